package dev.tidemark.poller;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The next page's URL in an RFC 8288 {@code Link} header with {@code rel="next"} (GitHub, Shopify). */
final class LinkHeaderPagination extends TokenWalk {

    /** One link-value: {@code <uri>} then its parameters up to the next comma outside quotes. */
    private static final Pattern LINK = Pattern.compile("<([^>]*)>((?:\\s*;\\s*[^;,=]+(?:=(?:\"[^\"]*\"|[^;,]*))?)*)");
    private static final Pattern REL = Pattern.compile("(?i)(?:^|;)\\s*rel\\s*=\\s*(?:\"([^\"]*)\"|([^;\\s]+))");

    LinkHeaderPagination(ListQuery query) {
        super(query);
    }

    @Override
    protected PageRequest next(String token, Position position) {
        return PageRequest.url(token);
    }

    @Override
    protected Optional<String> nextToken(ListPage page) {
        for (String header : page.header("Link")) {
            Optional<String> next = next(header);
            if (next.isPresent()) {
                return next;
            }
        }
        return Optional.empty();
    }

    /** The target of the link whose rel (one of a space-separated list) is "next". */
    static Optional<String> next(String header) {
        Matcher link = LINK.matcher(header);
        while (link.find()) {
            Matcher rel = REL.matcher(link.group(2));
            while (rel.find()) {
                String rels = rel.group(1) != null ? rel.group(1) : rel.group(2);
                for (String value : rels.trim().split("\\s+")) {
                    if (value.equalsIgnoreCase("next")) {
                        return Optional.of(link.group(1));
                    }
                }
            }
        }
        return Optional.empty();
    }
}
