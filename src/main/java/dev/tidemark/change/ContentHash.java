package dev.tidemark.change;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.io.IOException;

/**
 * SHA-256 of a record's data in canonical JSON (object keys sorted), so two
 * deliveries of the same content compare equal whatever order the provider
 * wrote the fields in. A tombstone has its own fixed hash.
 */
public final class ContentHash {

    public static final ContentHash TOMBSTONE = new ContentHash(sha256("tidemark:tombstone".getBytes(StandardCharsets.UTF_8)));

    private static final ObjectMapper CANONICAL = JsonMapper.builder()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .build();

    private final byte[] bytes;

    private ContentHash(byte[] bytes) {
        this.bytes = bytes;
    }

    public static ContentHash of(JsonNode data) {
        try {
            // Converting to plain maps lets ORDER_MAP_ENTRIES_BY_KEYS sort every nested object.
            Object tree = CANONICAL.treeToValue(data, Object.class);
            return new ContentHash(sha256(CANONICAL.writeValueAsBytes(tree)));
        } catch (IOException e) {
            throw new IllegalArgumentException("record data is not serializable JSON", e);
        }
    }

    public static ContentHash fromBytes(byte[] bytes) {
        return new ContentHash(bytes.clone());
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    private static byte[] sha256(byte[] input) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(input);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ContentHash that && Arrays.equals(bytes, that.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return HexFormat.of().formatHex(bytes);
    }
}
