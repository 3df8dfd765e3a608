package io.modbackup.core.engine;

/** One row of a backup listing. */
public record BackupSummary(String backupId, long createdMillis, long completedMillis, int tasks, long files, long bytes,
                            long newBytes, long durationMillis) {
}
