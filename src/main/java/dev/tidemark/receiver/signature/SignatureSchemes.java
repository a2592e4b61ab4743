package dev.tidemark.receiver.signature;

import dev.tidemark.config.TidemarkConfig;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Builds a source's {@link SignatureScheme} from its configuration. A new
 * scheme is one more class and one more entry here; providers stay YAML.
 */
public final class SignatureSchemes {

    private static final Map<String, Function<TidemarkConfig.Webhook, SignatureScheme>> FACTORIES = Map.of(
            "standard-webhooks", w -> new StandardWebhooksScheme(secrets(w), w.tolerance()),
            "stripe", w -> new StripeScheme(secrets(w), w.tolerance()),
            "github", w -> new GithubScheme(secrets(w)),
            "shopify", w -> new ShopifyScheme(secrets(w)),
            "slack", w -> new SlackScheme(secrets(w), w.tolerance()),
            "hmac", SignatureSchemes::genericHmac);

    public static final Set<String> NAMES = FACTORIES.keySet();

    private SignatureSchemes() {
    }

    private static List<String> secrets(TidemarkConfig.Webhook webhook) {
        return webhook.secrets().orElse(List.of());
    }

    /** @throws IllegalArgumentException naming what is wrong, e.g. a secret the scheme cannot use */
    public static SignatureScheme create(TidemarkConfig.Webhook webhook) {
        Function<TidemarkConfig.Webhook, SignatureScheme> factory = FACTORIES.get(webhook.scheme());
        if (factory == null) {
            throw new IllegalArgumentException("unknown signature scheme " + webhook.scheme());
        }
        return factory.apply(webhook);
    }

    private static SignatureScheme genericHmac(TidemarkConfig.Webhook webhook) {
        TidemarkConfig.Hmac hmac = webhook.hmac();
        return new GenericHmacScheme(
                hmac.header(),
                hmac.algorithm(),
                GenericHmacScheme.Encoding.valueOf(hmac.encoding().toUpperCase(Locale.ROOT)),
                hmac.prefix().orElse(""),
                hmac.timestampHeader(),
                hmac.signedContent(),
                webhook.tolerance(),
                secrets(webhook));
    }
}
