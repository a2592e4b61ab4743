package dev.tidemark.config;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A kind that a configuration key names in kebab-case ({@code next-url},
 * {@code oauth2-refresh-token}): an enum constant {@code NEXT_URL} whose
 * class owns the kind's settings, checks and behaviour. The mapping keeps the
 * name as text and the kind is looked up here, so that an unknown name is
 * one more problem reported with all the others at start-up, naming its key,
 * rather than a conversion error that stops at the first.
 */
public interface ConfigKind {

    /** The name configuration uses for this kind. */
    default String configName() {
        return ((Enum<?>) this).name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The kind configured as {@code name}, if there is one. */
    static <E extends Enum<E> & ConfigKind> Optional<E> named(Class<E> kinds, String name) {
        return Arrays.stream(kinds.getEnumConstants()).filter(kind -> kind.configName().equals(name)).findFirst();
    }

    /** The kind configured as {@code name}; the start-up check has refused any other, so another is a defect. */
    static <E extends Enum<E> & ConfigKind> E of(Class<E> kinds, String name) {
        return named(kinds, name).orElseThrow(() -> new IllegalStateException(
                kinds.getSimpleName() + " '" + name + "' is checked at start-up"));
    }

    /** Every name of the kinds, sorted, comma-separated: what a problem lists as allowed. */
    static <E extends Enum<E> & ConfigKind> String names(Class<E> kinds) {
        return Arrays.stream(kinds.getEnumConstants()).map(ConfigKind::configName).sorted().collect(Collectors.joining(", "));
    }

    /**
     * The kind configured as {@code name}; if there is none, the problem
     * {@link #unknown} words is added to {@code problems} and nothing returned.
     */
    static <E extends Enum<E> & ConfigKind> Optional<E> checked(String key, Class<E> kinds, String name, List<String> problems) {
        Optional<E> kind = named(kinds, name);
        if (kind.isEmpty()) {
            unknown(key, kinds, name).ifPresent(problems::add);
        }
        return kind;
    }

    /** "KEY: 'NAME' is not one of a, b, c" unless {@code name} is a kind of {@code kinds}. */
    static <E extends Enum<E> & ConfigKind> Optional<String> unknown(String key, Class<E> kinds, String name) {
        return named(kinds, name).isPresent() ? Optional.empty()
                : Optional.of(key + ": '" + name + "' is not one of " + names(kinds));
    }
}
