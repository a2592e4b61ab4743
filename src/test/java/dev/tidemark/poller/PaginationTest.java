package dev.tidemark.poller;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Each pagination kind's requests and readings, without HTTP. */
class PaginationTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final URI BASE = URI.create("https://api.example/v2");
    static final Instant T = Instant.parse("2026-11-26T10:00:00Z");

    static ListQuery query(int size, boolean filtered, String afterId) {
        return new ListQuery("/items", Map.of("sort", "updated_at"), size, Optional.of("limit"),
                filtered ? Optional.of("updated_since") : Optional.empty(), SinceFormat.ISO, Optional.ofNullable(afterId));
    }

    static ListItem item(String id, Instant at) {
        return new ListItem(id, at, JSON.createObjectNode().put("id", id));
    }

    static List<ListItem> items(Instant at, int from, int count) {
        List<ListItem> items = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            items.add(item(String.format("r%04d", i), at));
        }
        return items;
    }

    static ListPage page(List<ListItem> items, String body) throws Exception {
        return new ListPage(items, JSON.readTree(body), Map.of());
    }

    @Test
    void aConfiguredPathJoinsTheBaseUrlsPathAndAProviderLinkResolvesLikeABrowser() {
        assertThat(PageRequest.path("/items", Map.of("b", "x y", "a", "1")).resolve(BASE).toString())
                .isEqualTo("https://api.example/v2/items?a=1&b=x%20y");
        assertThat(PageRequest.url("/v3/items?page=2").resolve(BASE).toString()).isEqualTo("https://api.example/v3/items?page=2");
        // Resolved as a browser would; whether it may be called with the source's credentials is ProviderOrigins' to say.
        assertThat(PageRequest.url("https://other.example/items?c=1").resolve(BASE).toString()).isEqualTo("https://other.example/items?c=1");
    }

    @Test
    void credentialsGoOnlyToTheBaseUrlsOriginAndThoseTheSourceAllows() {
        ProviderOrigins origins = ProviderOrigins.of("https://api.example/v2", List.of("https://cdn.example:8443"));
        assertThat(origins.refusal(PageRequest.url("/v3/items?page=2").resolve(BASE))).isEmpty();
        assertThat(origins.refusal(URI.create("https://API.example:443/x"))).isEmpty();
        assertThat(origins.refusal(URI.create("https://cdn.example:8443/items"))).isEmpty();
        assertThat(origins.refusal(URI.create("https://other.example/items?key=secret"))).get().asString()
                .contains("https://other.example:443").doesNotContain("secret");
        assertThat(origins.refusal(URI.create("http://api.example/items"))).get().asString().contains("http://api.example:80");
        assertThat(origins.refusal(URI.create("https://api.example:444/items"))).get().asString().contains(":444");
        assertThat(origins.refusal(URI.create("https://cdn.example/items"))).get().asString().contains("https://cdn.example:443");
        assertThat(origins.refusal(URI.create("https://u:p@api.example/items"))).get().asString().contains("user-info").doesNotContain("u:p");
        assertThat(origins.refusal(URI.create("ftp://api.example/items"))).isPresent();
        assertThat(origins.refusal(URI.create("items/2"))).isPresent();
    }

    @Test
    void aCursorWalkSendsTheFilterFirstThenTheTokenAndEndsWithoutOne() throws Exception {
        Pagination cursor = new CursorPagination(query(2, true, null), "cursor", "/next_cursor");
        Position start = Position.from(T);
        assertThat(cursor.request(start).query()).containsEntry("updated_since", "2026-11-26T10:00:00Z").containsEntry("limit", "2")
                .doesNotContainKey("cursor");
        PageResult first = cursor.read(start, page(items(T, 0, 2), "{\"next_cursor\":\"abc\"}"));
        assertThat(first.last()).isFalse();
        assertThat(first.next().token()).isEqualTo("abc");
        assertThat(first.next().seen()).isEqualTo(2);
        assertThat(cursor.request(first.next()).query()).containsEntry("cursor", "abc").containsEntry("updated_since", "2026-11-26T10:00:00Z");
        PageResult second = cursor.read(first.next(), page(items(T.plusSeconds(1), 2, 1), "{\"next_cursor\":null}"));
        assertThat(second.last()).isTrue();
        assertThat(second.next().updatedAt()).isEqualTo(T.plusSeconds(1));
        assertThat(second.next().seen()).isEqualTo(1);
    }

    @Test
    void aNextUrlOrLinkWalkCallsTheUrlItWasGiven() throws Exception {
        Pagination next = new NextUrlPagination(query(2, true, null), "/links/next", Optional.empty());
        PageResult first = next.read(Position.START, page(items(T, 0, 2), "{\"links\":{\"next\":\"/v2/items?page=2\"}}"));
        assertThat(next.request(first.next())).isEqualTo(PageRequest.url("/v2/items?page=2"));
        assertThat(next.read(first.next(), page(List.of(), "{\"links\":{}}")).last()).isTrue();

        assertThat(LinkHeaderPagination.next("<https://a.example/i?page=1>; rel=\"prev first\", <https://a.example/i?page=3>; rel=\"next\""))
                .contains("https://a.example/i?page=3");
        assertThat(LinkHeaderPagination.next("<https://a.example/i?page=3>; rel=next; title=\"a, b\"")).contains("https://a.example/i?page=3");
        assertThat(LinkHeaderPagination.next("<https://a.example/i?page=1>; rel=\"prev\"")).isEmpty();
    }

    @Test
    void aNextUrlWalkWithAnEndPointerStopsWhereTheProviderSaysTheStreamEnds() throws Exception {
        // Zendesk's incremental export: after_url on every page, end_of_stream true on the last.
        Pagination export = new NextUrlPagination(query(2, true, null), "/after_url", Optional.of("/end_of_stream"));
        PageResult first = export.read(Position.START, page(items(T, 0, 2), "{\"after_url\":\"/x?cursor=a\",\"end_of_stream\":false}"));
        assertThat(first.last()).isFalse();
        assertThat(export.request(first.next())).isEqualTo(PageRequest.url("/x?cursor=a"));
        assertThat(export.read(first.next(), page(items(T, 2, 1), "{\"after_url\":\"/x?cursor=b\",\"end_of_stream\":true}")).last())
                .isTrue();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> export.read(Position.START, page(items(T, 0, 2), "{\"after_url\":\"/x\"}")))
                .isInstanceOf(MalformedPageException.class).hasMessageContaining("end-path");
        // Not the end until the provider says so: an empty page goes on; more to come without a URL is malformed.
        assertThat(export.read(first.next(), page(List.of(), "{\"after_url\":\"/x?cursor=b\",\"end_of_stream\":false}")).last()).isFalse();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> export.read(Position.START, page(items(T, 0, 2), "{\"end_of_stream\":false}")))
                .isInstanceOf(MalformedPageException.class);
        // A token that is an object, not a string: malformed, not an end a sweep would delete after.
        Pagination cursor = new CursorPagination(query(2, true, null), "cursor", "/paging/next");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> cursor.read(Position.START,
                page(items(T, 0, 2), "{\"paging\":{\"next\":{\"after\":\"x\"}}}"))).isInstanceOf(MalformedPageException.class);
    }

    @Test
    void aLastItemWalkStartsEachPageAfterThePreviousPagesLastIdWhileTheProviderSaysThereIsMore() throws Exception {
        Pagination stripe = new LastItemPagination(query(2, false, null), "starting_after", "/has_more", "/id");
        assertThat(stripe.request(Position.START).query()).containsEntry("limit", "2").doesNotContainKey("starting_after");
        // The shape of stripe-java's own list fixture (model_fixtures/pageable_model_page_1.json).
        String body = "{\"data\":[{\"id\":\"pm_125\",\"object\":\"pageablemodel\"},{\"id\":\"pm_126\",\"object\":\"pageablemodel\"}],"
                + "\"has_more\":true,\"object\":\"list\",\"url\":\"/v1/pageablemodels\"}";
        List<ListItem> two = List.of(item("pm_125", null), item("pm_126", null));
        PageResult first = stripe.read(Position.START, page(two, body));
        assertThat(first.last()).isFalse();
        assertThat(first.next().token()).isEqualTo("pm_126");
        assertThat(stripe.request(first.next()).query()).containsEntry("starting_after", "pm_126").containsEntry("limit", "2");
        assertThat(stripe.read(first.next(), page(List.of(item("pm_127", null)), "{\"data\":[],\"has_more\":false}")).last()).isTrue();
        // "More" with nothing on the page to go on from: malformed, not an end (a sweep would delete the rest).
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> stripe.read(first.next(), page(List.of(), "{\"data\":[],\"has_more\":true}")))
                .isInstanceOf(MalformedPageException.class);

        // A page that does not say whether there is more, or says so without an id to go on from, cannot be walked on.
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> stripe.read(Position.START, page(two, "{\"data\":[]}")))
                .isInstanceOf(MalformedPageException.class).hasMessageContaining("/has_more");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> stripe.read(Position.START, page(two, "{\"has_more\":\"yes\"}")))
                .isInstanceOf(MalformedPageException.class);
        ListItem noId = new ListItem("x", null, JSON.createObjectNode().put("name", "no id here"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> stripe.read(Position.START, page(List.of(noId), "{\"has_more\":true}")))
                .isInstanceOf(MalformedPageException.class).hasMessageContaining("last-item-path");
    }

    @Test
    void anOffsetWalkStepsThroughARunOfEqualTimestampsLongerThanAPageTakingEachItemOnce() throws Exception {
        ListQuery query = query(100, true, null);
        Pagination offset = new OffsetPagination(query, "offset");
        List<ListItem> all = items(T, 0, 1000);
        Position position = Position.START;
        List<String> taken = new ArrayList<>();
        int calls = 0;
        boolean last = false;
        while (!last) {
            PageRequest request = offset.request(position);
            calls++;
            int from = Integer.parseInt(request.query().get("offset"));
            int count = Integer.parseInt(request.query().get("limit"));
            List<ListItem> window = all.subList(Math.min(from, all.size()), Math.min(from + count, all.size()));
            PageResult result = offset.read(position, page(window, "{}"));
            assertThat(result.rewound()).isFalse();
            result.take().forEach(item -> taken.add(item.id()));
            position = result.next();
            last = result.last();
        }
        assertThat(taken).hasSize(1000).doesNotHaveDuplicates();
        assertThat(calls).isEqualTo(11);   // ⌈1000/100⌉ + the one that finds nothing more
        assertThat(position.seen()).isEqualTo(1000);
    }

    @Test
    void anOffsetWalkWhoseAnchorMovedGoesBackRatherThanSkip() throws Exception {
        Pagination offset = new OffsetPagination(query(3, true, null), "offset");
        Position after = new Position(null, T, "r0002", 3, null);
        PageRequest request = offset.request(after);
        assertThat(request.query()).containsEntry("offset", "2").containsEntry("limit", "4").containsEntry("updated_since", T.toString());
        // r0000 was updated (it left the run at T): everything moved one place up, r0002 is no longer where it was.
        PageResult moved = offset.read(after, page(items(T, 3, 4), "{}"));
        assertThat(moved.rewound()).isTrue();
        assertThat(moved.take()).isEmpty();
        assertThat(moved.next()).isEqualTo(new Position(null, T, null, 0, null));
        assertThat(offset.request(moved.next()).query()).containsEntry("offset", "0").containsEntry("limit", "3");
    }

    @Test
    void aPageWalkChecksTheAnchorWhenItIsOnThePageAndTakesOnlyWhatFollows() throws Exception {
        Pagination pages = new PageNumberPagination(query(100, true, null), "page", 1);
        Position mid = new Position(null, T, "r0149", 150, null);
        assertThat(pages.request(mid).query()).containsEntry("page", "2");
        PageResult result = pages.read(mid, page(items(T, 100, 100), "{}"));
        assertThat(result.take()).extracting(ListItem::id).first().isEqualTo("r0150");
        assertThat(result.take()).hasSize(50);
        assertThat(pages.read(mid, page(items(T, 101, 100), "{}")).rewound()).isTrue();
    }

    @Test
    void aCompoundKeysetAsksForWhatFollowsTheLastItem() throws Exception {
        Pagination keyset = new OffsetPagination(query(2, true, "after_id"), "offset");
        Position at = new Position(null, T, "r0007", 8, null);
        assertThat(keyset.request(at).query()).containsEntry("after_id", "r0007").containsEntry("offset", "0")
                .containsEntry("limit", "2").containsEntry("updated_since", T.toString());
        PageResult result = keyset.read(at, page(items(T, 8, 2), "{}"));
        assertThat(result.take()).hasSize(2);
        assertThat(result.last()).isFalse();
        assertThat(keyset.read(at, page(items(T, 8, 1), "{}")).last()).isTrue();
    }

    @Test
    void withoutAFilterAnIndexWalkGoesThroughTheOffsetsOnce() throws Exception {
        Pagination offset = new OffsetPagination(query(2, false, null), "offset");
        assertThat(offset.request(Position.START).query()).containsEntry("offset", "0").doesNotContainKey("updated_since");
        PageResult first = offset.read(Position.START, page(items(T, 0, 2), "{}"));
        assertThat(offset.request(first.next()).query()).containsEntry("offset", "2");
        Pagination pages = new PageNumberPagination(query(2, false, null), "page", 0);
        PageResult firstPage = pages.read(Position.START, page(items(T, 0, 2), "{}"));
        assertThat(pages.request(firstPage.next()).query()).containsEntry("page", "1");
    }

    @Test
    void itemsAreReadAtTheirPointersAndAPageOfAnotherShapeIsMalformed() throws Exception {
        ItemReader reader = new ItemReader(Optional.of("/data"), "/id", Optional.of("/updated_at"));
        JsonNode body = JSON.readTree("{\"data\":[{\"id\":7,\"updated_at\":1764151200}]}");
        assertThat(reader.read(body)).containsExactly(new ListItem("7", Instant.ofEpochSecond(1764151200L), body.at("/data/0")));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> reader.read(JSON.readTree("{\"items\":[]}")))
                .isInstanceOf(MalformedPageException.class).hasMessageContaining("/data");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> reader.read(JSON.readTree("{\"data\":[{\"id\":\"a\"}]}")))
                .hasMessageContaining("updated_at");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> reader.read(JSON.readTree("{\"data\":[{\"updated_at\":1}]}")))
                .hasMessageContaining("no id");
    }

    @Test
    void aRunStartsFromScratchResumesAnUnfinishedWalkAndContinuesAFinishedOneWithItsLookback() {
        ListQuery query = query(100, true, null);
        java.util.UUID run = java.util.UUID.randomUUID();
        Position mid = new Position(null, T, "r5", 3, "tok");
        assertThat(ResumePolicy.startPosition(Optional.empty(), SyncMode.INCREMENTAL, query, java.time.Duration.ZERO)).isEqualTo(Position.START);
        Checkpoint cut = new Checkpoint(SyncMode.FULL, RunStatus.PARTIAL, run, mid, T);
        assertThat(ResumePolicy.startPosition(Optional.of(cut), SyncMode.INCREMENTAL, query, java.time.Duration.ZERO)).isEqualTo(mid);
        assertThat(ResumePolicy.walkMode(Optional.of(cut), SyncMode.INCREMENTAL)).isEqualTo(SyncMode.FULL);
        assertThat(ResumePolicy.startPosition(Optional.of(cut), SyncMode.FULL, query, java.time.Duration.ZERO)).isEqualTo(mid);
        // A walk that failed may have failed on its token (an expired cursor): it continues from its last item instead,
        // and a full walk asked for anew starts over.
        Checkpoint failed = new Checkpoint(SyncMode.FULL, RunStatus.FAILED, run, mid, T);
        assertThat(ResumePolicy.startPosition(Optional.of(failed), SyncMode.INCREMENTAL, query, java.time.Duration.ZERO))
                .isEqualTo(new Position(T, T, "r5", 3, null));
        assertThat(ResumePolicy.startPosition(Optional.of(failed), SyncMode.FULL, query, java.time.Duration.ZERO)).isEqualTo(Position.START);
        // A resource without updated_at (hash) has no time to continue from: once Poll dropped a token the provider
        // refused (Stripe's starting_after naming an object deleted since), the walk starts over; a run that failed
        // otherwise (a 5xx, Kafka away) keeps its token and resumes there.
        Checkpoint refusedWithoutTime = new Checkpoint(SyncMode.INCREMENTAL, RunStatus.FAILED, run, new Position(null, null, "cus_9", 3, null), T);
        assertThat(ResumePolicy.startPosition(Optional.of(refusedWithoutTime), SyncMode.INCREMENTAL, query(100, false, null),
                java.time.Duration.ZERO)).isEqualTo(Position.START);
        Checkpoint failedWithoutTime = new Checkpoint(SyncMode.INCREMENTAL, RunStatus.FAILED, run, new Position(null, null, "cus_9", 3, "cus_9"), T);
        assertThat(ResumePolicy.startPosition(Optional.of(failedWithoutTime), SyncMode.INCREMENTAL, query(100, false, null),
                java.time.Duration.ZERO)).isEqualTo(failedWithoutTime.position());
        assertThat(Poll.refusedToken(new ProviderCallException("400 resource_missing", false, 400))).isTrue();
        assertThat(Poll.refusedToken(new ProviderCallException("503", false, 503))).isFalse();
        assertThat(Poll.refusedToken(new ProviderCallException("429", false, 429))).isFalse();
        assertThat(Poll.refusedToken(new ProviderCallException("quota", true, 400))).isFalse();
        assertThat(Poll.refusedToken(new ProviderCallException("401", false, 401))).isFalse();
        Checkpoint cutWithoutTime = new Checkpoint(SyncMode.INCREMENTAL, RunStatus.PARTIAL, run, new Position(null, null, "cus_9", 3, "cus_9"), T);
        assertThat(ResumePolicy.startPosition(Optional.of(cutWithoutTime), SyncMode.INCREMENTAL, query(100, false, null),
                java.time.Duration.ZERO)).as("cut short, not failed: resumed").isEqualTo(cutWithoutTime.position());
        Checkpoint done = new Checkpoint(SyncMode.FULL, RunStatus.COMPLETED, run, mid.withToken(null), T);
        assertThat(ResumePolicy.startPosition(Optional.of(done), SyncMode.FULL, query, java.time.Duration.ZERO)).isEqualTo(Position.START);
        assertThat(ResumePolicy.startPosition(Optional.of(done), SyncMode.INCREMENTAL, query, java.time.Duration.ZERO))
                .isEqualTo(new Position(T, T, "r5", 3, null));
        assertThat(ResumePolicy.startPosition(Optional.of(done), SyncMode.INCREMENTAL, query, java.time.Duration.ofMinutes(5)))
                .isEqualTo(Position.from(T.minusSeconds(300)));
        assertThat(ResumePolicy.startPosition(Optional.of(done), SyncMode.INCREMENTAL, query(100, false, null), java.time.Duration.ZERO))
                .isEqualTo(Position.START);
    }
}
