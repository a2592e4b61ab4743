package dev.tidemark.receiver;

import dev.tidemark.config.ConfigKind;
import dev.tidemark.config.TidemarkConfig;
import java.util.List;

/**
 * How a webhook of a source with connections reaches its connection
 * ({@code connections.routing}): by the URL it was posted to, by a JSON
 * pointer into each event, or by a header of the delivery.
 */
public enum WebhookRouting implements ConfigKind {
    /** {@code POST /webhooks/{source}/{connection}}, verified with that connection's own secrets when it has them. */
    URL,
    /** {@code POST /webhooks/{source}}; each event names its account at {@code connections.routing-pointer}. */
    POINTER,
    /** {@code POST /webhooks/{source}}; the header {@code connections.routing-header} names the account. */
    HEADER;

    /** The routing of a source with connections. */
    public static WebhookRouting of(TidemarkConfig.Connections connections) {
        return ConfigKind.of(WebhookRouting.class, connections.routing());
    }

    /** What is wrong with a source's {@code connections} block under {@code key}. */
    public static void check(String key, TidemarkConfig.Connections connections, List<String> problems) {
        ConfigKind.checked(key + ".routing", WebhookRouting.class, connections.routing(), problems).ifPresent(routing -> {
            if (routing == POINTER && connections.routingPointer().filter(p -> p.startsWith("/")).isEmpty()) {
                problems.add(key + ".routing-pointer: routing by pointer needs the JSON pointer to each event's account, "
                        + "such as /account");
            }
            if (routing == HEADER && connections.routingHeader().filter(h -> !h.isBlank()).isEmpty()) {
                problems.add(key + ".routing-header: routing by header needs the header's name, such as X-Shopify-Shop-Domain");
            }
            if (routing != POINTER && connections.routingPointer().isPresent()) {
                problems.add(key + ".routing-pointer: only read with routing: pointer (routing is " + routing.configName() + ")");
            }
            if (routing != HEADER && connections.routingHeader().isPresent()) {
                problems.add(key + ".routing-header: only read with routing: header (routing is " + routing.configName() + ")");
            }
        });
    }
}
