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
 * @param freedBytes bytes of the deleted chunks, where the manifests tell their size
 * @param durationMillis how long it took
 */
public record GcReport(boolean dryRun, List<String> deletedBackups, int keptBackups, long deletedChunks,
                       long deletedManifests, long freedBytes, long durationMillis) {
    public GcReport {
        deletedBackups = List.copyOf(deletedBackups);
    }
}
