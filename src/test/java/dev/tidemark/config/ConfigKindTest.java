package dev.tidemark.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tidemark.poller.ChangeDetection;
import dev.tidemark.poller.PaginationKind;
import dev.tidemark.poller.ProviderAuth;
import dev.tidemark.poller.RunStatus;
import dev.tidemark.poller.SinceFormat;
import dev.tidemark.poller.SyncMode;
import dev.tidemark.receiver.signature.GenericHmacScheme;
import dev.tidemark.receiver.signature.HmacAlgorithm;
import dev.tidemark.receiver.signature.SchemeKind;
import dev.tidemark.rules.Edge;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The names configuration, the API and the stored rows use for each kind, and what an unknown one is told. */
class ConfigKindTest {

    @Test
    void aKindIsNamedInKebabCaseAndFoundOnlyByThatName() {
        assertThat(PaginationKind.NEXT_URL.configName()).isEqualTo("next-url");
        assertThat(ProviderAuth.OAUTH2_REFRESH_TOKEN.configName()).isEqualTo("oauth2-refresh-token");
        assertThat(ConfigKind.named(PaginationKind.class, "link-header")).contains(PaginationKind.LINK_HEADER);
        assertThat(ConfigKind.named(PaginationKind.class, "LINK_HEADER")).isEmpty();
        assertThat(ConfigKind.named(PaginationKind.class, "link_header")).isEmpty();
        assertThat(ConfigKind.named(SyncMode.class, "reconcile")).contains(SyncMode.RECONCILE);
        assertThat(SyncMode.FULL).hasToString("full");
        assertThat(RunStatus.PARTIAL).hasToString("partial");
    }

    @Test
    void anUnknownNameIsAProblemThatNamesTheKeyAndEveryKnownName() {
        assertThat(ConfigKind.unknown("tidemark.rules.r.edge", Edge.class, "sideways"))
                .contains("tidemark.rules.r.edge: 'sideways' is not one of falling, rising");
        assertThat(ConfigKind.unknown("k", Edge.class, "rising")).isEmpty();
        assertThatThrownBy(() -> ConfigKind.of(SinceFormat.class, "fortnightly"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("'fortnightly'");
    }

    @Test
    void everyConfiguredKindIsDocumentedInTheConfigurationReference() throws IOException {
        String reference = Files.readString(Path.of("docs/configuration.md"));
        List<List<? extends ConfigKind>> kinds = List.of(Arrays.asList(PaginationKind.values()), Arrays.asList(ProviderAuth.values()),
                Arrays.asList(ProviderAuth.ClientAuthentication.values()), Arrays.asList(ChangeDetection.values()),
                Arrays.asList(SinceFormat.values()), Arrays.asList(Edge.values()), Arrays.asList(SchemeKind.values()),
                Arrays.asList(HmacAlgorithm.values()), Arrays.asList(GenericHmacScheme.Encoding.values()));
        kinds.stream().flatMap(List::stream).forEach(kind ->
                assertThat(reference).as("docs/configuration.md names %s", kind.configName()).contains("`" + kind.configName() + "`"));
    }
}
