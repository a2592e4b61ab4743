package dev.tidemark.receiver;

import dev.tidemark.config.Roles;
import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.receiver.signature.SignatureScheme;
import dev.tidemark.receiver.signature.SchemeKind;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** The sources that accept webhooks, each with its verifier and mapper, built once from configuration. */
@ApplicationScoped
public class WebhookSources {

    /**
     * @param routing       for a source with connections, how a delivery reaches its connection; empty otherwise
     * @param routingHeader with routing by header, the header that names the account
     */
    public record WebhookSource(String name, TidemarkConfig.Webhook config, SignatureScheme scheme, DeliveryMapper mapper,
            Optional<WebhookRouting> routing, Optional<String> routingHeader) {
    }

    private final Map<String, WebhookSource> sources = new HashMap<>();

    public WebhookSources(TidemarkConfig config) {
        if (!Roles.RECEIVER.runsIn(config)) {
            return;   // no webhooks here, and maybe no webhook secrets either (a replica gets only its roles' secrets)
        }
        config.sources().forEach((name, source) -> source.webhook().ifPresent(webhook -> sources.put(name,
                new WebhookSource(name, webhook, SchemeKind.create(webhook), new DeliveryMapper(name, source),
                        source.connections().map(WebhookRouting::of),
                        source.connections().flatMap(TidemarkConfig.Connections::routingHeader)))));
    }

    public Optional<WebhookSource> get(String name) {
        return Optional.ofNullable(sources.get(name));
    }
}
