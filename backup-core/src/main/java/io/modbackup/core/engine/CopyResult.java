package io.modbackup.core.engine;

/**
 * The outcome of copying a backup into another store ({@link BackupEngine#copy}).
 *
 * @param backupId the backup copied
 * @param alreadyThere whether the target held it already (then nothing was sent)
 * @param files files copied, the jar included
 * @param chunksSent chunks the target lacked and was sent
 * @param bytesSent bytes written to the target for it (as stored there)
 */
public record CopyResult(String backupId, boolean alreadyThere, long files, long chunksSent, long bytesSent) {
}
