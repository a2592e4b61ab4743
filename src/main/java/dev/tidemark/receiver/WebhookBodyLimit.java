package dev.tidemark.receiver;

import dev.tidemark.metrics.Metric;
import dev.tidemark.http.LogBudget;
import dev.tidemark.http.Problem;
import dev.tidemark.config.TidemarkConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/**
 * Refuses a webhook whose declared Content-Length is over the limit before a
 * byte of it is read, with a problem body and the {@code too_large} metric.
 * A body without a length (chunked) is cut off by the HTTP server's own limit
 * ({@code quarkus.http.limits.max-body-size}, set to the same value) while it
 * is read, so no body is ever buffered past the limit; that 413 is counted and
 * logged here too, when its headers go out.
 */
@ApplicationScoped
public class WebhookBodyLimit {

    private static final Logger LOG = Logger.getLogger(WebhookBodyLimit.class);

    /** Before Quarkus REST's route, which is where the body would be read. */
    static final int ORDER = -10_000;

    void install(@Observes Router router, TidemarkConfig config, WebhookSources sources, MeterRegistry metrics) {
        long limit = config.receiver().maxBodySize().asLongValue();
        router.route("/webhooks/:source").order(ORDER).handler(ctx -> {
            String declared = ctx.request().getHeader("Content-Length");
            if (declared == null) {
                ctx.addHeadersEndHandler(ignored -> {
                    if (ctx.response().getStatusCode() == 413) {
                        tooLarge(ctx.pathParam("source"), "read_past_limit", sources, metrics);
                    }
                });
                ctx.next();
                return;
            }
            if (!declaredOver(declared, limit)) {
                ctx.next();
                return;
            }
            tooLarge(ctx.pathParam("source"), "content_length", sources, metrics);
            JsonObject problem = new JsonObject()
                    .put("type", "about:blank")
                    .put("title", "Request Entity Too Large")
                    .put("status", 413)
                    .put("detail", "body: over the limit of " + limit + " bytes");
            ctx.response().setStatusCode(413)
                    .putHeader("Content-Type", Problem.MEDIA_TYPE)
                    .putHeader("Connection", "close")
                    .end(problem.encode());
        });
    }

    private static void tooLarge(String sourceName, String reason, WebhookSources sources, MeterRegistry metrics) {
        String source = sources.get(sourceName).map(WebhookSources.WebhookSource::name).orElse("unknown");
        metrics.counter(Metric.WEBHOOK_DELIVERIES, "source", source, "outcome", "too_large").increment();
        long skipped = LogBudget.WEBHOOKS.admit();
        if (skipped >= 0) {
            LOG.infof("webhook rejected: source=%s outcome=too_large reason=%s status=413%s", source, reason,
                    skipped > 0 ? " (" + skipped + " rejections before it not logged)" : "");
        }
    }

    private static boolean declaredOver(String declared, long limit) {
        try {
            return Long.parseLong(declared.trim()) > limit;
        } catch (NumberFormatException e) {
            // A malformed length is the HTTP server's to reject.
            return false;
        }
    }
}
