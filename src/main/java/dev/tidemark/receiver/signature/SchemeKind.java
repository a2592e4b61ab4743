package dev.tidemark.receiver.signature;

import dev.tidemark.config.ConfigKind;
import dev.tidemark.config.TidemarkConfig;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The signature schemes a source's webhooks may use ({@code webhook.scheme}):
 * each builds its {@link SignatureScheme} from configuration and checks its
 * own settings. A new scheme is one class and one constant here; providers
 * stay YAML.
 */
public enum SchemeKind implements ConfigKind {

    STANDARD_WEBHOOKS {
        @Override
        SignatureScheme build(TidemarkConfig.Webhook webhook) {
            return new StandardWebhooksScheme(secrets(webhook), webhook.tolerance());
        }
    },
    STRIPE {
        @Override
        SignatureScheme build(TidemarkConfig.Webhook webhook) {
            return new StripeScheme(secrets(webhook), webhook.tolerance());
        }
    },
    GITHUB {
        @Override
        SignatureScheme build(TidemarkConfig.Webhook webhook) {
            return new GithubScheme(secrets(webhook));
        }
    },
    SHOPIFY {
        @Override
        SignatureScheme build(TidemarkConfig.Webhook webhook) {
            return new ShopifyScheme(secrets(webhook));
        }
    },
    SLACK {
        @Override
        SignatureScheme build(TidemarkConfig.Webhook webhook) {
            return new SlackScheme(secrets(webhook), webhook.tolerance());
        }
    },
    /** A configurable HMAC for providers without a named scheme. */
    HMAC {
        @Override
        SignatureScheme build(TidemarkConfig.Webhook webhook) {
            TidemarkConfig.Hmac hmac = webhook.hmac();
            return new GenericHmacScheme(hmac.header(), hmac.algorithm(),
                    ConfigKind.of(GenericHmacScheme.Encoding.class, hmac.encoding()), hmac.prefix().orElse(""),
                    hmac.timestampHeader(), hmac.signedContent(), webhook.tolerance(), secrets(webhook));
        }

        /** Any text is an HMAC key. */
        @Override
        void secretProblems(String key, TidemarkConfig.Webhook webhook, List<String> problems) {
        }

        @Override
        void settingProblems(String key, TidemarkConfig.Webhook webhook, List<String> problems) {
            TidemarkConfig.Hmac hmac = webhook.hmac();
            ConfigKind.unknown(key + ".hmac.algorithm", HmacAlgorithm.class, hmac.algorithm()).ifPresent(problems::add);
            ConfigKind.unknown(key + ".hmac.encoding", GenericHmacScheme.Encoding.class, hmac.encoding()).ifPresent(problems::add);
            if (!hmac.signedContent().contains("{body}")) {
                problems.add(key + ".hmac.signed-content: must contain {body}, was '" + hmac.signedContent() + "'");
            }
            if (hmac.signedContent().contains("{timestamp}") && hmac.timestampHeader().isEmpty()) {
                problems.add(key + ".hmac.signed-content: uses {timestamp}, but " + key + ".hmac.timestamp-header is not set");
            }
            // A tolerance checked on a header the signature does not cover stops no replay: a captured
            // delivery sent again with a fresh header would pass at any time.
            if (hmac.timestampHeader().isPresent() && !hmac.signedContent().contains("{timestamp}")) {
                problems.add(key + ".hmac.timestamp-header: is set, but " + key + ".hmac.signed-content does not sign it "
                        + "(add {timestamp}, e.g. \"{timestamp}.{body}\"), so anyone could replace it");
            }
        }
    };

    /** @throws IllegalArgumentException naming what is wrong, e.g. a secret the scheme cannot use */
    abstract SignatureScheme build(TidemarkConfig.Webhook webhook);

    /** What is wrong with the configured secrets for this scheme: the message says what, never the secret itself. */
    void secretProblems(String key, TidemarkConfig.Webhook webhook, List<String> problems) {
        try {
            build(webhook);
        } catch (IllegalArgumentException e) {
            problems.add(key + ".secrets: " + e.getMessage());
        }
    }

    /** What is wrong with this scheme's own settings under {@code key} (the webhook's). */
    void settingProblems(String key, TidemarkConfig.Webhook webhook, List<String> problems) {
    }

    /** The scheme a source's webhook configures. */
    public static SignatureScheme create(TidemarkConfig.Webhook webhook) {
        return ConfigKind.named(SchemeKind.class, webhook.scheme())
                .orElseThrow(() -> new IllegalArgumentException("unknown signature scheme " + webhook.scheme()))
                .build(webhook);
    }

    /**
     * The scheme a source's webhook configures, verifying with {@code secrets}
     * (a connection's own) instead of the source's.
     *
     * @throws IllegalArgumentException naming what is wrong with the secrets, never a secret
     */
    public static SignatureScheme create(TidemarkConfig.Webhook webhook, List<String> secrets) {
        return create(new WithSecrets(webhook, List.copyOf(secrets)));
    }

    /** A webhook's settings with other secrets. */
    private record WithSecrets(TidemarkConfig.Webhook base, List<String> list) implements TidemarkConfig.Webhook {

        @Override
        public String scheme() {
            return base.scheme();
        }

        @Override
        public Optional<List<String>> secrets() {
            return Optional.of(list);
        }

        @Override
        public Duration tolerance() {
            return base.tolerance();
        }

        @Override
        public Optional<String> deliveryIdHeader() {
            return base.deliveryIdHeader();
        }

        @Override
        public String eventType() {
            return base.eventType();
        }

        @Override
        public Optional<String> eventTypeHeader() {
            return base.eventTypeHeader();
        }

        @Override
        public TidemarkConfig.Hmac hmac() {
            return base.hmac();
        }

        @Override
        public Optional<TidemarkConfig.Challenge> challenge() {
            return base.challenge();
        }

        /** Never the secrets. */
        @Override
        public String toString() {
            return "Webhook[" + base.scheme() + ", " + list.size() + " secrets]";
        }
    }

    /**
     * The webhook's scheme problems: an unknown scheme, missing secrets where
     * webhooks are received ({@code receiving}), secrets the scheme cannot
     * use, and its own settings.
     */
    public static void check(String key, TidemarkConfig.Webhook webhook, boolean receiving, List<String> problems) {
        Optional<SchemeKind> kind = ConfigKind.named(SchemeKind.class, webhook.scheme());
        if (kind.isEmpty()) {
            problems.add(key + ".scheme: unknown signature scheme '" + webhook.scheme() + "' (known: "
                    + ConfigKind.names(SchemeKind.class) + ")");
        }
        boolean secretsPresent = webhook.secrets().map(list -> !list.isEmpty() && list.stream().noneMatch(String::isBlank)).orElse(false);
        if (!secretsPresent) {
            if (receiving) {
                problems.add(key + ".secrets: a source that receives webhooks needs at least one non-empty secret");
            }
        } else {
            kind.ifPresent(k -> k.secretProblems(key, webhook, problems));
        }
        kind.ifPresent(k -> k.settingProblems(key, webhook, problems));
    }

    private static List<String> secrets(TidemarkConfig.Webhook webhook) {
        return webhook.secrets().orElse(List.of());
    }
}
