package dev.tidemark.change;

import dev.tidemark.poller.SyncTarget;

/** An upward import, kept in the tests only, that ArchitectureTest must refuse (see anUpwardImportFailsTheCheck). */
public final class UpwardImportFixture {

    private UpwardImportFixture() {
    }

    public static String name(SyncTarget target) {
        return target.toString();
    }
}
