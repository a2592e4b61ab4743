package dev.tidemark.connections;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import jakarta.persistence.EmbeddedId;
import jakarta.persistence.Entity;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.util.UUID;

/** One routing key of a connection: {@code connection_routing_keys} (V12), unique within its source. */
@Entity
@Table(name = "connection_routing_keys")
class RoutingKeyRow extends PanacheEntityBase {

    @Embeddable
    record Key(String source, @Column(name = "routing_key") String routingKey) implements Serializable {
    }

    @EmbeddedId
    Key key;

    @Column(name = "connection_uid")
    UUID connectionUid;

    RoutingKeyRow() {
    }

    RoutingKeyRow(String source, String routingKey, UUID connectionUid) {
        this.key = new Key(source, routingKey);
        this.connectionUid = connectionUid;
    }
}
