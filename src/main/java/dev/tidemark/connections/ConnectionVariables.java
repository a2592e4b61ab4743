package dev.tidemark.connections;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The variables a connection fills into its source's {@code api.base-url}
 * and paths ({@code https://{subdomain}.example.com/api}). A value is made of
 * URL-unreserved characters only, so it can never change more of a URL than
 * its placeholder: no {@code /}, {@code @}, {@code :}, {@code ?} or {@code #}
 * that would move a call to another host or path.
 */
public final class ConnectionVariables {

    /** A variable's name, as the source declares it. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_-]{0,63}");

    /** A value: URL-unreserved characters, 1 to 253 of them (a DNS name's length). */
    public static final Pattern VALUE = Pattern.compile("[A-Za-z0-9._~-]{1,253}");

    /** A {@code {name}} in a URL or path template: the connection's variables and a nested resource's ancestors alike. */
    public static final Pattern PLACEHOLDER = Pattern.compile("\\{([^{}]+)}");

    private ConnectionVariables() {
    }

    /** The template with each {@code {name}} that {@code values} has replaced by its value; other placeholders stay. */
    public static String fill(String template, Map<String, String> values) {
        if (values.isEmpty()) {
            return template;
        }
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = values.get(m.group(1));
            m.appendReplacement(out, Matcher.quoteReplacement(value == null ? m.group() : value));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** The names a template refers to, in order (variables, ancestors and {@code id} alike). */
    public static List<String> placeholders(String template) {
        List<String> names = new ArrayList<>();
        Matcher m = PLACEHOLDER.matcher(template);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /**
     * What is wrong with a connection's variables against the names its source
     * declares, each problem naming its field ({@code variables.subdomain});
     * empty when they are all there and well-formed.
     */
    public static Optional<String> problem(List<String> declared, Map<String, String> values) {
        for (String name : values.keySet()) {
            if (!declared.contains(name)) {
                String shown = NAME.matcher(name).matches() ? name : "(a name)";
                return Optional.of("variables." + shown + ": the source declares no such variable"
                        + (declared.isEmpty() ? "" : " (it declares: " + String.join(", ", declared) + ")"));
            }
        }
        for (String name : declared) {
            String value = values.get(name);
            if (value == null) {
                return Optional.of("variables." + name + ": required by the source");
            }
            if (!VALUE.matcher(value).matches() || value.contains("..") || value.startsWith(".")) {
                return Optional.of("variables." + name + ": must be 1 to 253 of A-Z a-z 0-9 . _ ~ -, not starting with a dot "
                        + "nor holding two in a row (it is put into URLs)");
            }
        }
        return Optional.empty();
    }
}
