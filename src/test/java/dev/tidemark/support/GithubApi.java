package dev.tidemark.support;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * GitHub's REST API as far as the github template reads a repository's issues, really served over HTTP:
 * {@code GET /repos/o/r/issues?state=all&sort=updated&direction=asc&since=&per_page=&page=} in updated order, at most
 * 100 a page, the next page in a {@code Link} header ({@code rel="next"}, {@code rel="last"}) naming the repository by
 * its id ({@code /repositories/1296269/issues}), as GitHub's do; {@code GET
 * /repos/o/r/issues/<number>} the issue or GitHub's 404. A bearer token or a 401; no User-Agent is GitHub's 403; every
 * answer carries {@code X-RateLimit-*} and {@code X-GitHub-Request-Id}.
 */
public final class GithubApi extends SimulatedApi {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String token;
    private final Map<Long, ObjectNode> issues = new ConcurrentHashMap<>();

    public GithubApi(int port, String token) {
        super(port);
        this.token = token;
        start();
    }

    /** The API root; the template's base-url adds /repos/{owner}/{repo}. */
    public String root() {
        return origin();
    }

    public void put(ObjectNode issue) {
        issues.put(issue.get("number").asLong(), issue);
    }

    public void delete(long number) {
        issues.remove(number);
    }

    public void clear() {
        issues.clear();
        forgetCalls();
    }

    @Override
    void answer(HttpExchange exchange, Map<String, String> query) throws IOException {
        exchange.getResponseHeaders().set("X-GitHub-Request-Id", "C0DE:1234:5678:9ABC:6566B7F4");
        exchange.getResponseHeaders().set("X-RateLimit-Limit", "5000");
        exchange.getResponseHeaders().set("X-RateLimit-Remaining", "4990");
        exchange.getResponseHeaders().set("X-RateLimit-Reset", Long.toString(Instant.now().getEpochSecond() + 3600));
        exchange.getResponseHeaders().set("X-RateLimit-Resource", "core");
        String agent = exchange.getRequestHeaders().getFirst("User-Agent");
        if (agent == null || agent.isBlank()) {
            HttpExchanges.send(exchange, 403, JSON.createObjectNode().put("message", "Request forbidden by administrative rules. "
                    + "Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required)."));
            return;
        }
        if (!("Bearer " + token).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            HttpExchanges.send(exchange, 401, JSON.createObjectNode().put("message", "Bad credentials")
                    .put("documentation_url", "https://docs.github.com/rest"));
            return;
        }
        String path = exchange.getRequestURI().getPath();
        // GitHub's next links name the repository by its id: the same list.
        if (path.equals("/repos/o/r/issues") || path.equals("/repositories/1296269/issues")) {
            list(exchange, query);
        } else if (path.startsWith("/repos/o/r/issues/")) {
            ObjectNode issue;
            try {
                issue = issues.get(Long.parseLong(path.substring("/repos/o/r/issues/".length())));
            } catch (NumberFormatException e) {
                issue = null;
            }
            if (issue == null) {
                HttpExchanges.send(exchange, 404, JSON.createObjectNode().put("message", "Not Found")
                        .put("documentation_url", "https://docs.github.com/rest/issues/issues#get-an-issue"));
            } else {
                HttpExchanges.send(exchange, 200, issue);
            }
        } else {
            HttpExchanges.send(exchange, 404, JSON.createObjectNode().put("message", "Not Found"));
        }
    }

    private void list(HttpExchange exchange, Map<String, String> query) throws IOException {
        if (!"updated".equals(query.get("sort")) || !"asc".equals(query.get("direction")) || !"all".equals(query.get("state"))) {
            HttpExchanges.send(exchange, 422, JSON.createObjectNode().put("message", "this test's repository is read with state=all&sort=updated&direction=asc"));
            return;
        }
        int perPage = Math.min(100, Integer.parseInt(query.getOrDefault("per_page", "30")));
        int page = Integer.parseInt(query.getOrDefault("page", "1"));
        Instant since = query.containsKey("since") ? Instant.parse(query.get("since")) : null;
        List<ObjectNode> all = new ArrayList<>(issues.values());
        all.removeIf(issue -> since != null && Instant.parse(issue.get("updated_at").asText()).isBefore(since));
        all.sort(Comparator.comparing((ObjectNode i) -> Instant.parse(i.get("updated_at").asText())).thenComparingLong(i -> i.get("number").asLong()));
        int from = (page - 1) * perPage;
        List<ObjectNode> slice = from >= all.size() ? List.of() : all.subList(from, Math.min(all.size(), from + perPage));
        int last = Math.max(1, (all.size() + perPage - 1) / perPage);
        if (page < last) {
            String base = root() + "/repositories/1296269/issues?state=all&sort=updated&direction=asc&per_page=" + perPage
                    + (since == null ? "" : "&since=" + since);
            exchange.getResponseHeaders().set("Link", "<" + base + "&page=" + (page + 1) + ">; rel=\"next\", <" + base + "&page=" + last
                    + ">; rel=\"last\"");
        }
        ArrayNode body = JSON.createArrayNode();
        slice.forEach(body::add);
        HttpExchanges.send(exchange, 200, body);
    }

}
