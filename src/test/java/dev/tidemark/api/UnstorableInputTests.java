package dev.tidemark.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tidemark.local.LocalInfraResource;
import dev.tidemark.support.Records;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Ids, sources, resources, cursors and query values PostgreSQL cannot hold (a
 * NUL, an over-long value) are a 400 naming the parameter before they reach
 * the database, not a 500 from it.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
class UnstorableInputTests {

    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String LONG = "x".repeat(ApiInputFilter.MAX_LENGTH + 1);

    @TestHTTPResource("/")
    URI app;

    HttpResponse<String> get(String pathAndQuery) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(app.resolve(pathAndQuery)).header("Authorization", Records.TOKEN).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"api/records/shop/orders/%00", "api/records/shop/orders/a%00b/c", "api/records/sh%00op/orders/1",
            "api/records/shop/or%00ders", "api/records/shop/orders?cursor=%00", "api/records/shop/orders?updatedSince=%00",
            "api/events?source=%00", "api/events?type=a%00", "api/runs?source=%00", "api/runs/%00",
            "api/records/shop/orders/" + "x", "api/records/shop/orders?cursor=" + "LONG", "api/records/shop/orders/LONG"})
    void aValueThePostgresCannotHoldIs400NamingItsParameter(String pathAndQuery) throws Exception {
        String path = pathAndQuery.replace("LONG", LONG);
        HttpResponse<String> response = get(path);
        if (path.endsWith("/x")) {
            assertThat(response.statusCode()).as("an ordinary unknown id").isEqualTo(404);
            return;
        }
        assertThat(response.statusCode()).as(pathAndQuery).isEqualTo(400);
        assertThat(response.body()).containsAnyOf("NUL character", "longer than");
    }

    /** Found by the long fuzz campaign: a path JAX-RS cannot decode (a matrix parameter, then %25 and a digit) was a 500. */
    @ParameterizedTest
    @ValueSource(strings = {"';%20DROP%20TABLE%20records;%20--/%250/%00", "api/';x;%20--/%25", "api/records/';a;b/%250/x",
            "%25/';x;%20--/%27"})
    void aPathThatCannotBeDecodedIs400NotA500(String path) throws Exception {
        assertThat(get(path).statusCode()).as(path).isEqualTo(400);
    }
}
