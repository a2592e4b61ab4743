package dev.tidemark.config;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Everything a user configures about Tidemark: the providers it listens to and
 * polls (sources and their resources), the rules that turn changes into events,
 * and the service's own knobs. docs/configuration.md describes every key.
 * Cross-field checks that the type system cannot express live in
 * the start-up check.
 */
@ConfigMapping(prefix = "tidemark")
public interface TidemarkConfig {

    /** What this replica does: any of receiver, processor, poller, relay (TIDEMARK_ROLES); all when unset. */
    Optional<String> roles();

    Map<String, Source> sources();

    Map<String, Rule> rules();

    Api api();

    Receiver receiver();

    Topics topics();

    Relay relay();

    PollerConfig poller();

    Secrets secrets();

    /**
     * The keys that encrypt credentials stored in PostgreSQL (AES-256-GCM).
     * Without {@code key}, nothing secret is ever stored: a write that would
     * store one is refused.
     */
    interface Secrets {
        /** 32 random bytes in base64 ({@code openssl rand -base64 32}): new values are encrypted under it. */
        Optional<String> key();

        /** Earlier keys, in base64: values encrypted under them still open until they are encrypted again. */
        Optional<List<String>> previousKeys();
    }

    interface Relay {
        /** Outbox rows claimed, published and marked per pass. */
        @WithDefault("500")
        int batchSize();

        /** The safety net under the commit wake-ups; also how often the backlog gauges refresh. */
        @WithDefault("5s")
        Duration pollInterval();

        /** Published rows are kept this long (for inspection and replays), then removed. */
        @WithDefault("24h")
        Duration retention();

        @WithDefault("1m")
        Duration cleanupInterval();

        /** Where the outbox is published: the name of an EventSink (kafka). */
        @WithDefault("kafka")
        String sink();
    }

    interface Api {
        /** Bearer token for /api. Without one, every /api call is refused. */
        Optional<String> token();
    }

    interface Receiver {
        /** Largest accepted webhook body; larger ones get 413 while still being read. */
        @WithDefault("1M")
        MemorySize maxBodySize();

        /** How long a webhook request waits for Kafka to acknowledge its changes before answering 503. */
        @WithDefault("5s")
        Duration ackTimeout();

        /** Seconds a provider is told to wait (Retry-After) when Kafka did not acknowledge. */
        @WithDefault("5")
        int retryAfterSeconds();

        /**
         * The most changes one delivery may carry (a JSON array of events); more is answered 413 before any is
         * sent. Kafka must acknowledge all of a delivery's changes within ack-timeout: about 2,000 changes take
         * 0.5-1 s on two cores, so the default keeps any accepted delivery well inside the default 5 s.
         */
        @WithDefault("2000")
        int maxChangesPerDelivery();

        /**
         * The origin providers call Tidemark at, as they see it in front of any proxy ({@code https://hooks.example.com}):
         * a signature over the URL ({@code {url}} in webhook.hmac.signed-content, HubSpot's v3) covers this with the
         * request's path and query. Without it, the request's own scheme and host.
         */
        Optional<String> publicUrl();
    }

    interface Topics {
        /** Create missing topics at start-up (the changelog topic compacted). Off where topics are managed elsewhere. */
        @WithDefault("true")
        boolean create();

        /** Partitions of topics Tidemark creates: the processor's parallelism across replicas. */
        @WithDefault("6")
        int partitions();

        /** Replication factor of topics Tidemark creates; -1 takes the broker's default. */
        @WithDefault("-1")
        short replicationFactor();

        @WithDefault("tidemark.changes")
        String changes();

        @WithDefault("tidemark.changes.dlq")
        String changesDlq();

        @WithDefault("tidemark.events")
        String events();

        @WithDefault("tidemark.records")
        String records();
    }

    interface Source {
        /**
         * A provider template shipped with Tidemark ({@code github}, {@code stripe}, ...: docs/providers/): its keys
         * are this source's unless the source sets them itself ({@link ProviderTemplates}).
         */
        Optional<String> template();

        Optional<Webhook> webhook();

        @WithName("api")
        Optional<ProviderApi> api();

        Map<String, Resource> resources();

        /**
         * Present when the source serves many accounts: its connections are
         * created through the API (docs/connections.md), and it has no
         * implicit one of its own.
         */
        Optional<Connections> connections();
    }

    interface Connections {
        /** How a webhook reaches its connection: url ({@code /webhooks/{source}/{connection}}), pointer or header. */
        @WithDefault("url")
        String routing();

        /** With routing: pointer, where each event names its account (Stripe Connect {@code /account}). */
        Optional<String> routingPointer();

        /** With routing: header, the header that names the account ({@code X-Shopify-Shop-Domain}). */
        Optional<String> routingHeader();

        /** The names each connection fills in {@code api.base-url} and the paths, as {@code {subdomain}}. */
        Optional<List<String>> variables();
    }

    interface Webhook {
        /** A signature scheme's name: standard-webhooks, stripe, github, shopify, slack or hmac. */
        String scheme();

        /** Every secret currently valid for this source; several during a rotation. */
        Optional<List<String>> secrets();

        /** How far a signed timestamp may be from now, for schemes that carry one. */
        @WithDefault("5m")
        Duration tolerance();

        /** Header carrying the provider's delivery id; without one the id is derived from the body's hash. */
        Optional<String> deliveryIdHeader();

        /** JSON pointer to the event type in each event of the delivery body. */
        @WithDefault("/type")
        String eventType();

        /** Header carrying the event type (GitHub's X-GitHub-Event, Shopify's X-Shopify-Topic); overrides event-type. */
        Optional<String> eventTypeHeader();

        /** Settings of the configurable generic HMAC scheme ({@code scheme: hmac}). */
        Hmac hmac();

        /**
         * A handshake the provider sends to check the URL before it sends events (Slack's url_verification): a
         * verified delivery for which {@code when} holds changes nothing and is answered 200 with the text at
         * {@code answer}.
         */
        Optional<Challenge> challenge();
    }

    interface Challenge {
        /** CEL predicate over the delivery ({@code event}) and its headers ({@code headers}, by lower-case name). */
        String when();

        /** JSON pointer to the text to answer with (at most 512 printable ASCII characters). */
        String answer();
    }

    interface Hmac {
        @WithDefault("X-Signature")
        String header();

        /** sha256 or sha512. */
        @WithDefault("sha256")
        String algorithm();

        /** hex or base64. */
        @WithDefault("hex")
        String encoding();

        /** Text before the signature in the header, e.g. {@code sha256=}. */
        Optional<String> prefix();

        /**
         * Header carrying the signing time, in epoch seconds, epoch milliseconds (HubSpot) or ISO-8601 (Zendesk);
         * when set, the tolerance applies.
         */
        Optional<String> timestampHeader();

        /**
         * What is signed: {@code {body}}, {@code {timestamp}} (the timestamp header's text), {@code {method}}
         * ({@code POST}) and {@code {url}} (the URL the provider called: tidemark.receiver.public-url, or the
         * request's own origin, with the request's path and query) are replaced.
         */
        @WithDefault("{body}")
        String signedContent();
    }

    interface ProviderApi {
        String baseUrl();

        /**
         * Origins besides base-url's that the provider's own next-page links may name (a CDN host serving pages):
         * {@code https://cdn.example.com}. Credentials go to base-url's origin and these only.
         */
        Optional<List<String>> allowedOrigins();

        Optional<Auth> auth();

        Optional<RateLimit> rateLimit();
    }

    interface Auth {
        /** bearer, api-key, basic, oauth2-client-credentials, oauth2-refresh-token. Secrets are never logged. */
        String type();

        Optional<String> token();

        /** api-key: the header that carries the key (default X-API-Key)... */
        Optional<String> header();

        /** ...or the query parameter, for APIs that take the key in the URL. */
        Optional<String> queryParam();

        Optional<String> username();

        Optional<String> password();

        Optional<String> tokenUrl();

        Optional<String> clientId();

        Optional<String> clientSecret();

        Optional<String> refreshToken();

        Optional<List<String>> scopes();

        /** OAuth2: how the client authenticates at the token endpoint: basic (HTTP Basic, RFC 6749's default) or body. */
        @WithDefault("basic")
        String clientAuthentication();
    }

    interface RateLimit {
        double requestsPerSecond();

        Optional<Integer> burst();

        Optional<Integer> maxConcurrency();
    }

    interface Resource {
        /** JSON pointer to the record id, inside the record. */
        @WithDefault("/id")
        String id();

        /** JSON pointer to the record's own updated_at, inside the record. */
        @WithDefault("/updated_at")
        String updatedAt();

        /**
         * How a poll tells a changed record: {@code updated-at} (the record's own timestamp orders
         * everything), or {@code hash} for a resource whose records carry none — every poll walks the
         * whole list and only records whose content differs from the local copy go downstream, stamped
         * with the time the poll read them.
         */
        @WithDefault("updated-at")
        String changeDetection();

        Optional<ResourceWebhook> webhook();

        Optional<ListEndpoint> list();

        /** Path of the single-record endpoint, with {id}: serves refetches (thin webhooks, ordering conflicts). */
        Optional<String> fetch();

        /** JSON pointer to the record in the single-record endpoint's answer; empty means the whole body. */
        Optional<String> fetchRecord();

        /**
         * A CEL predicate over the single-record endpoint's record ({@code record}) that means the record is gone,
         * as a 404 would: for providers that answer a deleted record with a marker (Stripe's {@code deleted: true}).
         */
        Optional<String> fetchGoneWhen();

        /** Interval of incremental polls. */
        Optional<Duration> schedule();

        /**
         * How far before the last checkpoint an incremental poll starts again, for providers whose
         * updated_at can land in the past (a write committed late). What it fetches twice is dropped as a duplicate.
         */
        @WithDefault("0s")
        Duration lookback();

        /** Interval of reconciliation sweeps. */
        Optional<Duration> reconcile();

        /** This resource's tidemark.poller.max-pages. */
        OptionalLong maxPages();

        /** This resource's tidemark.poller.max-run-duration. */
        Optional<Duration> maxRunDuration();

        /** This resource's tidemark.poller.max-sweep-duration. */
        Optional<Duration> maxSweepDuration();

        /**
         * A nested resource: one that is listed under each record of another
         * (projects → equipment → attributes). Its list path names each ancestor's id
         * by resource, {@code /projects/{projects}/equipment}; its record ids keep that
         * context ({@code p1/e7}).
         */
        Optional<Parent> parent();
    }

    /** Where a nested resource's records are listed: under each record of its parent resource. */
    interface Parent {
        /** The parent resource, of the same source; the poller walks its local copy's live records. */
        String resource();

        /**
         * A CEL predicate over the parent's local copy ({@code record}): only parents for which it
         * holds are walked (e.g. {@code record.status == 'active'}). Empty walks every parent.
         */
        Optional<String> when();

        /**
         * Skip a parent's children in incremental polls while the parent's updated_at is the one
         * their last completed walk began with. Only for a provider that bumps a parent's
         * updated_at whenever one of its children changes; full polls and sweeps walk every parent.
         */
        @WithDefault("false")
        boolean skipUnchanged();
    }

    interface ResourceWebhook {
        /** Event types whose record is an upsert of this resource. */
        Optional<List<String>> events();

        /** Event types that delete a record of this resource. */
        Optional<List<String>> deleteEvents();

        /**
         * A CEL predicate over the event ({@code event}) and the request's headers ({@code headers}, by lower-case
         * name): an event of {@link #events()} for which it holds deletes its record, for providers that say so in
         * the event rather than its type (GitHub's {@code action: deleted}).
         */
        Optional<String> deleteWhen();

        /** JSON pointer to the record in the event; empty means the whole event. */
        Optional<String> record();

        /** JSON pointer to the record id in the event, where the record itself does not carry it. */
        Optional<String> id();

        /** JSON pointer to updated_at in the event (e.g. the event's own time), where the record does not carry it. */
        Optional<String> updatedAt();

        /**
         * Header carrying the time of the change, read where neither the record nor the event has updated_at
         * (Shopify's X-Shopify-Triggered-At on a delete whose body is only the id).
         */
        Optional<String> updatedAtHeader();

        /**
         * The delivery carries only an id: the change is a refetch, and the poller reads the record from the
         * provider. updated_at is then optional; without it the delivery's arrival time is used.
         */
        @WithDefault("false")
        boolean thin();
    }

    interface ListEndpoint {
        /** Path of the list endpoint, relative to the source's api.base-url. */
        String path();

        /** JSON pointer to the items array; empty means the body is the array. */
        Optional<String> items();

        /**
         * Query parameters sent with every list call, for example the sort the
         * poller needs ({@code sort: updated_at}): pages must come in ascending
         * updated_at order (and, for ties, one stable order).
         */
        Map<String, String> params();

        /** Items asked for per page. */
        @WithDefault("100")
        int pageSize();

        /** Query parameter carrying the page size (limit, per_page); none sends no size. */
        Optional<String> pageSizeParam();

        /** The filter that makes incremental polls possible; without it every poll is a full walk. */
        Optional<UpdatedSince> updatedSince();

        Pagination pagination();
    }

    /** The list endpoint's "changed since" filter. It is taken as inclusive (updated_at >= the value). */
    interface UpdatedSince {
        /** Query parameter, e.g. updated_since. */
        String param();

        /** iso (ISO-8601, UTC), epoch-seconds or epoch-millis. */
        @WithDefault("iso")
        String format();

        /**
         * Query parameter for the last id already seen, where the API offers a compound
         * (updated_at, id) keyset: it then returns only items after (since, that id).
         */
        Optional<String> afterIdParam();
    }

    interface Pagination {
        /** cursor, last-item, next-url, link-header, page, offset. */
        @WithDefault("cursor")
        String type();

        /** cursor, last-item: the query parameter that carries the token (last-item: the last item's id). */
        @WithDefault("cursor")
        String cursorParam();

        /** cursor: JSON pointer to the next page's token in the body (missing, null or empty on the last page). */
        @WithDefault("/next_cursor")
        String cursorPath();

        /** last-item: JSON pointer to the body's true or false for "there are more pages" (Stripe's has_more). */
        @WithDefault("/has_more")
        String hasMorePath();

        /** last-item: JSON pointer, inside the page's last item, to the value the next page starts after. */
        @WithDefault("/id")
        String lastItemPath();

        /** next-url: JSON pointer to the next page's URL in the body. */
        @WithDefault("/next")
        String nextUrlPath();

        /**
         * next-url: JSON pointer to a true or false in the body, true on the last page, for an API that hands out a
         * next URL on every page (Zendesk's end_of_stream with its after_url).
         */
        Optional<String> endPath();

        /** page: the query parameter of the page number. */
        @WithDefault("page")
        String pageParam();

        /** page: the number of the first page. */
        @WithDefault("1")
        int firstPage();

        /** offset: the query parameter of the offset. */
        @WithDefault("offset")
        String offsetParam();
    }

    interface Rule {
        String source();

        String resource();

        /** CEL predicate over {@code record}. */
        String when();

        /** rising (false to true) or falling (true to false). */
        @WithDefault("rising")
        String edge();

        String eventType();
    }
}
