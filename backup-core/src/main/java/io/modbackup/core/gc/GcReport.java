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
 * @param locked what the store's lock against deletion kept (S3 Object Lock): not deleted this run, nor counted
 *     above, and met again by a later run
 */
public record GcReport(boolean dryRun, List<String> deletedBackups, int keptBackups, long deletedChunks,
                       long deletedManifests, long freedBytes, long durationMillis, long manifestsRead,
                       long exclusiveMillis, Locked locked) {
    public GcReport {
        deletedBackups = List.copyOf(deletedBackups);
    }

    /**
     * What the store's lock kept from a GC.
     *
     * @param backups backups retention lets go whose module manifest is still locked: kept whole (in keptBackups)
     * @param objects chunks and manifests a delete left because they are locked
     * @param untilMillis when the last of these locks ends, 0 when none
     */
    public record Locked(int backups, long objects, long untilMillis) {
        /** Nothing kept. */
        public static final Locked NONE = new Locked(0, 0, 0);

        /** Whether the lock kept anything. */
        public boolean any() {
            return backups > 0 || objects > 0;
        }

        /** One line, e.g. "2 backups and 14 objects locked until 2027-01-05T00:00:00Z: a later GC deletes them". */
        public String describe() {
            return backups + (backups == 1 ? " backup" : " backups") + " and " + objects + (objects == 1 ? " object" : " objects")
                    + " locked until " + java.time.Instant.ofEpochMilli(untilMillis) + ": a later GC deletes them";
        }
    }
}
