package io.modbackup.core.manifest;

/**
 * What a backup held and moved: three byte figures that each mean one thing.
 *
 * @param files files in the backup (with the jar)
 * @param bytes the backup's size: bytes of those files
 * @param bytesRead bytes read from local files to hash them
 * @param newBytes new content: bytes of file content the backup built on did not hold (the chunks sent,
 *     and small files stored inline whose content changed); for a first backup, every file's
 * @param bytesSent bytes sent to the store for this backup, as stored (compressed, encrypted), counted
 *     as each put completed: chunks, task manifests and their segments; not the module manifest that
 *     records this figure. Null in backups made before it was counted
 * @param chunksUploaded chunks that were not in the store yet
 * @param chunksReused chunks the store already had
 * @param filesReused immutable files whose chunk lists came from the previous backup unread
 * @param durationMillis wall time from start to commit
 */
public record Totals(long files, long bytes, long bytesRead, long newBytes, Long bytesSent, long chunksUploaded,
                     long chunksReused, long filesReused, long durationMillis) {
}
