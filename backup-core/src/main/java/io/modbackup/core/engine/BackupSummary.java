package io.modbackup.core.engine;

import io.modbackup.core.manifest.ModuleManifest;

/** One row of a backup listing. */
public record BackupSummary(String backupId, long createdMillis, long completedMillis, int tasks, long files, long bytes,
                            long newBytes, long durationMillis) {

    /** The row of a committed backup. */
    static BackupSummary of(ModuleManifest m) {
        return new BackupSummary(m.backupId(), m.createdMillis(), m.completedMillis(), m.tasks().size(), m.totals().files(),
                m.totals().bytes(), m.totals().newBytes(), m.totals().durationMillis());
    }
}
