package dev.tidemark.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.core.Request;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.net.URI;
import java.lang.reflect.Proxy;
import org.junit.jupiter.api.Test;

/** What no resource answered: a JAX-RS refusal keeps its 4xx and is counted; a defect is a 500 with an error id. */
class UnexpectedFailuresTest {

    static <T> T stub(Class<T> type, String method, Object answer) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
                (proxy, m, args) -> m.getName().equals(method) ? answer : null));
    }

    @Test
    void aRefusalKeepsItsStatusAndADefectIsA500WithAnErrorId() {
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        UnexpectedFailures mapper = new UnexpectedFailures(metrics);
        // The raw request URI: RESTEasy Reactive refuses getPath(false), which a failure's log line used to ask for.
        UriInfo uri = stub(UriInfo.class, "getRequestUri", URI.create("http://localhost/api/records/a%00b"));
        Request request = stub(Request.class, "getMethod", "GET");

        Response refused = mapper.map(new NotFoundException(), uri, request);
        assertThat(refused.getStatus()).isEqualTo(404);
        assertThat(metrics.counter("tidemark.http.refused", "status", "404").count()).isEqualTo(1);

        Response failed = mapper.map(new IllegalStateException("a defect"), uri, request);
        assertThat(failed.getStatus()).isEqualTo(500);
        String errorId = failed.getHeaderString("X-Error-Id");
        assertThat(errorId).isNotBlank();
        assertThat(((Problem) failed.getEntity()).detail()).contains(errorId).doesNotContain("a defect");
        assertThat(metrics.counter("tidemark.http.failures").count()).isEqualTo(1);
    }
}
