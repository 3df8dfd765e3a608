package io.modbackup.core.engine;

/**
 * How far a backup or restore is, reported to a {@link Observer}.
 *
 * @param operation "backup" or "restore"
 * @param bytesDone bytes hashed or written so far
 * @param bytesTotal bytes of all files
 * @param filesDone files done
 * @param filesTotal files in all
 * @param tasksDone tasks done
 * @param tasksTotal tasks in all
 * @param bytesPerSecondLimit the transfer limit each Supervisor keeps to for it (the module's
 *     {@code backup.upload.bytes.per.second} or {@code backup.restore.bytes.per.second}), 0 for none
 */
public record Progress(String operation, long bytesDone, long bytesTotal, long filesDone, long filesTotal,
                       int tasksDone, int tasksTotal, long bytesPerSecondLimit) {

    /**
     * Told of a backup's or restore's progress (unlike a provider's byte-level
     * {@link io.modbackup.api.provider.BackupProvider.ProgressListener}); called from engine threads,
     * must be quick and thread-safe.
     */
    @FunctionalInterface
    public interface Observer {
        void onProgress(Progress progress);

        /** A listener that ignores everything. */
        static Observer none() {
            return p -> { };
        }
    }
}
