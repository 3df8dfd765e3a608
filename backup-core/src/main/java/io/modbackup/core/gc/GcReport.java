package io.modbackup.core.gc;

import java.util.List;

/**
 * What a garbage collection deleted (or, for a dry run, would delete).
 *
 * @param dryRun whether nothing was deleted
 * @param deletedBackups backups removed by retention
 * @param keptBackups committed backups that remain
 * @param deletedChunks chunks no remaining backup reaches
 * @param deletedManifests task manifests of deleted or never-committed backups, and file-list segments no
 *     remaining backup refers to
 * @param freedBytes bytes of the deleted chunks: their content size where a manifest records it (the store
 *     held fewer where they were compressed), and the stored size of orphans, chunks of backups that never
 *     committed, which no manifest names
 * @param durationMillis how long it took
 * @param manifestsRead module manifests, task manifests and segments it read: those of the backups
 *     committed since the last run and of the deleted ones, or of every backup on a first run
 * @param exclusiveMillis how long it held the store's exclusive lease, during which backups wait
 */
public record GcReport(boolean dryRun, List<String> deletedBackups, int keptBackups, long deletedChunks,
                       long deletedManifests, long freedBytes, long durationMillis, long manifestsRead,
                       long exclusiveMillis) {
    public GcReport {
        deletedBackups = List.copyOf(deletedBackups);
    }
}
