package dev.tidemark.connections;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/**
 * A connection as stored: one row of {@code connections} (V12). Flyway owns
 * the table; Hibernate only maps it. Sealed values are kept as the
 * {@link dev.tidemark.secrets.SecretBox} made them, with the id of their key
 * beside them; nothing outside {@link ConnectionStore} reads this class, so
 * nothing else can hand a sealed value on.
 */
@Entity
@Table(name = "connections")
class ConnectionRow extends PanacheEntityBase {

    /** Never reused; the sealed values are bound to it. */
    @Id
    UUID uid;

    String source;

    /** The connection's id in its source (column {@code id}); not called {@code id}, which HQL reserves for identifiers. */
    @Column(name = "id")
    String connectionId;

    String state;

    @Column(name = "state_reason")
    String stateReason;

    @JdbcTypeCode(SqlTypes.JSON)
    Map<String, String> variables;

    /** Opaque to Tidemark: the caller's own JSON. */
    @JdbcTypeCode(SqlTypes.JSON)
    JsonNode metadata;

    /** Per resource, how often it is polled when not the source's schedule (a duration as configuration writes it). */
    @JdbcTypeCode(SqlTypes.JSON)
    Map<String, String> schedule;

    /** The connection's own rate limit (V14), when not the source's: {@link ConnectionLimits}' parts. */
    @Column(name = "rate_limit")
    @JdbcTypeCode(SqlTypes.JSON)
    Map<String, Double> rateLimit;

    @Column(name = "credentials_key_id")
    String credentialsKeyId;

    byte[] credentials;

    @Column(name = "credentials_changed_at")
    Instant credentialsChangedAt;

    @Column(name = "credentials_version")
    long credentialsVersion;

    @Column(name = "webhook_secrets_key_id")
    String webhookSecretsKeyId;

    @Column(name = "webhook_secrets")
    byte[] webhookSecrets;

    @Column(name = "created_at")
    Instant createdAt;

    @Column(name = "updated_at")
    Instant updatedAt;
}
