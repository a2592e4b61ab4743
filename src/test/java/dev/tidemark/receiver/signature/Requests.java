package dev.tidemark.receiver.signature;

import java.util.HashMap;
import java.util.Map;

/** Builds {@link SignedRequest}s with case-insensitive headers, as the HTTP layer gives them. */
final class Requests {

    private Requests() {
    }

    static SignedRequest of(byte[] body, Map<String, String> headers) {
        Map<String, String> lower = new HashMap<>();
        headers.forEach((k, v) -> lower.put(k.toLowerCase(), v));
        return new SignedRequest(body, name -> lower.get(name.toLowerCase()));
    }
}
