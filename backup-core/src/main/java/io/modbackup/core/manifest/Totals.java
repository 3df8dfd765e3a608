package io.modbackup.core.manifest;

/**
 * What a backup moved.
 *
 * @param files files in the backup (with the jar)
 * @param bytes bytes of those files
 * @param bytesRead bytes read from local files to hash them
 * @param newBytes bytes uploaded as new chunks and inlined files
 * @param chunksUploaded chunks that were not in the store yet
 * @param chunksReused chunks the store already had
 * @param filesReused immutable files whose chunk lists came from the previous backup unread
 * @param durationMillis wall time from start to commit
 */
public record Totals(long files, long bytes, long bytesRead, long newBytes, long chunksUploaded, long chunksReused,
                     long filesReused, long durationMillis) {
}
