package io.modbackup.core.engine;

import io.modbackup.core.manifest.ModuleManifest;

/**
 * One row of a backup listing, with the byte figures of {@link io.modbackup.core.manifest.Totals}: its size
 * ({@code bytes}), its new content ({@code newBytes}) and the bytes sent to the store ({@code bytesSent},
 * null for a backup made before that was counted).
 */
public record BackupSummary(String backupId, long createdMillis, long completedMillis, int tasks, long files, long bytes,
                            long newBytes, Long bytesSent, long durationMillis) {

    /** The row of a committed backup. */
    static BackupSummary of(ModuleManifest m) {
        return new BackupSummary(m.backupId(), m.createdMillis(), m.completedMillis(), m.tasks().size(), m.totals().files(),
                m.totals().bytes(), m.totals().newBytes(), m.totals().bytesSent(), m.totals().durationMillis());
    }
}
