package dev.tidemark.poller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.support.ProviderSimulator;
import dev.tidemark.support.ProviderSimulatorResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A provider is not trusted: its next links, cursors, answers and their
 * timing are input like a webhook body. Each case here is a hostile or broken
 * provider served over real HTTP by the simulator, and each must end the run
 * with a reason that names the cause, never loop, hang, exhaust memory or
 * send the source's credentials to a place the operator did not name.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
@QuarkusTestResource(ProviderSimulatorResource.class)
class HostileProviderTests {

    static final String TOKEN = "hostile-test-token";

    @Inject
    ResourceSync sync;

    @Inject
    CheckpointStore store;

    @Inject
    Pool pool;

    ProviderSimulator provider;

    @BeforeEach
    void hostileProvider() {
        provider = ProviderSimulatorResource.fresh();
        provider.requireBearer(TOKEN);
        Instant at = Instant.parse("2026-03-01T00:00:00Z");
        for (int i = 0; i < 20; i++) {
            provider.put(String.format("h%02d", i), at.plusSeconds(i), i);
        }
        forgetCheckpoints();
    }

    void forgetCheckpoints() {
        pool.query("DELETE FROM poll_checkpoints WHERE source IN ('simhostile', 'simallowed')").execute()
                .chain(() -> pool.query("DELETE FROM poll_leases WHERE source IN ('simhostile', 'simallowed')").execute())
                .await().atMost(Duration.ofSeconds(10));
    }

    SyncRun run(String source, String resource) {
        Optional<SyncRun> run = sync.run(SyncTarget.of(source, resource), SyncMode.FULL, "api").await().atMost(Duration.ofSeconds(60));
        assertThat(run).as("the lease was free").isPresent();
        return run.get();
    }

    int simulatorPort() {
        return URI.create(provider.baseUrl()).getPort();
    }

    @ParameterizedTest
    @ValueSource(strings = {"next-items", "link-items"})
    void aNextLinkToAnotherOriginEndsTheRunAndTheCredentialsStayHome(String resource) throws Exception {
        try (ServerSocket elsewhere = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            AtomicInteger reached = new AtomicInteger();
            Thread listener = new Thread(() -> {
                while (!elsewhere.isClosed()) {
                    try (Socket socket = elsewhere.accept()) {
                        reached.incrementAndGet();
                    } catch (Exception closed) {
                        return;
                    }
                }
            });
            listener.setDaemon(true);
            listener.start();
            int port = simulatorPort();
            List<List<String>> cases = List.of(
                    List.of("http://localhost:" + port, "http://localhost:" + port),               // another host (the same server)
                    List.of("http://127.0.0.1:" + elsewhere.getLocalPort(), "http://127.0.0.1:" + elsewhere.getLocalPort()),
                    List.of("https://127.0.0.1:" + port, "https://127.0.0.1:" + port),            // https for http: another scheme
                    List.of("http://user:" + TOKEN + "@127.0.0.1:" + port, "user-info"));          // credentials in the URL
            for (List<String> hostile : cases) {
                provider.reset();
                provider.requireBearer(TOKEN);
                provider.linkOrigin(hostile.get(0));
                SyncRun run = run("simhostile", resource);
                assertThat(run.status()).as(hostile.get(0)).isEqualTo("failed");
                assertThat(run.error()).get().asString().contains(hostile.get(1)).contains("not made")
                        // The origin, never the URL: its query may carry a key or a signature.
                        .doesNotContain("cursor=").doesNotContain(TOKEN);
                assertThat(provider.listCalls()).as("only the first page, at the source's own origin").isEqualTo(1);
                forgetCheckpoints();
            }
            assertThat(reached).as("connections to the other port").hasValue(0);
        }
    }

    @Test
    void aResumedCheckpointWhoseUrlNamesAnotherOriginIsRefusedToo() {
        String foreign = "http://localhost:" + simulatorPort() + "/next/items?limit=2&cursor=abc";
        SyncTarget target = SyncTarget.of("simhostile", "next-items");
        store.save(target, SyncMode.FULL, RunStatus.PARTIAL, UUID.randomUUID(), new Position(null, null, null, 0, foreign))
                .await().atMost(Duration.ofSeconds(10));
        SyncRun run = run("simhostile", "next-items");
        assertThat(run.status()).isEqualTo("failed");
        assertThat(run.error()).get().asString().contains("http://localhost:" + simulatorPort()).doesNotContain("cursor=abc");
        assertThat(provider.listCalls()).isZero();
    }

    @Test
    void anOriginTheSourceAllowsIsFollowed() {
        provider.linkOrigin("http://localhost:" + simulatorPort());
        SyncRun run = run("simallowed", "next-items");
        assertThat(run.status()).isEqualTo("completed");
        assertThat(run.pages()).isEqualTo(10);
        assertThat(provider.listCalls()).isEqualTo(10);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void aCursorHandedOutAgainEndsTheRunInsteadOfLoopingForEver(int loop) {
        provider.cursorLoop(List.of("A", "B", "C").subList(0, loop).toArray(String[]::new));
        SyncRun run = run("simhostile", "cursor-items");
        assertThat(run.status()).isEqualTo("failed");
        assertThat(run.error()).get().asString().contains("already given in this walk");
        // The first page, one call per cursor of the loop, and nothing more.
        assertThat(provider.listCalls()).isEqualTo(loop + 1);
    }

    @Test
    void aListThatNeverEndsStopsAtTheResourcesMaxPages() {
        SyncRun run = run("simhostile", "endless-items");
        assertThat(run.status()).isEqualTo("partial");
        assertThat(run.error()).get().asString().contains("max-pages");
        assertThat(provider.listCalls()).isEqualTo(7);
        assertThat(run.pages()).isEqualTo(7);
    }

    @Test
    void aRunThatGoesOnTooLongStopsAtTheResourcesMaxRunDuration() {
        provider.beforeList(call -> {
            try {
                Thread.sleep(400);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        SyncRun run = run("simhostile", "slow-items");
        assertThat(run.status()).isEqualTo("partial");
        assertThat(run.error()).get().asString().contains("max-run-duration");
        assertThat(provider.listCalls()).isBetween(1, 9);   // cut short: the whole list is 10 pages of 400 ms each
    }

    @Test
    void aProviderTricklingBytesHoldsACallNoLongerThanTheDeadline() {
        // One byte every 300 ms never trips the 1 s idle timeout; a 100-byte answer would take 30 s, five attempts 150 s.
        for (int i = 0; i < 5; i++) {
            provider.answerNext(ProviderSimulator.trickle(300, 100));
        }
        long started = System.nanoTime();
        SyncRun run = run("simhostile", "cursor-items");
        assertThat(run.status()).isEqualTo("failed");
        assertThat(run.error()).get().asString().contains("tidemark.poller.request-deadline");
        assertThat(run.calls()).isEqualTo(5);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(30));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void anAnswerOverTheSizeCapFailsTheRunWithThatReason(boolean chunked) {
        provider.answerNext(ProviderSimulator.huge(3 * 1024 * 1024, chunked));
        SyncRun run = run("simhostile", "cursor-items");
        assertThat(run.status()).isEqualTo("failed");
        assertThat(run.error()).get().asString().contains("tidemark.poller.max-response-size");
        assertThat(run.calls()).as("not retried").isEqualTo(1);
    }

    @Test
    void aTokenEndpointAnswerOverTheSizeCapFailsTheRunToo() {
        provider.reset();
        provider.oauth("tidemark", "s3cret", 60_000, "unused");
        provider.answerNext(ProviderSimulator.huge(3 * 1024 * 1024, true));
        SyncRun run = run("simtoken", "items");
        assertThat(run.status()).isEqualTo("failed");
        assertThat(run.error()).get().asString().contains("tidemark.poller.max-response-size");
        assertThat(provider.answeredPaths()).containsExactly("/oauth/token");
    }
}
