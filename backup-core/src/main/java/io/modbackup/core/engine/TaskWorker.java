package io.modbackup.core.engine;

import io.modbackup.core.manifest.TaskRef;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The engine's part that runs in a Supervisor, next to the tasks' files: it uploads a task's part of
 * a cut and writes its task manifest, or downloads and verifies a task's files into staging. The
 * coordinator in the Conductor calls it with JSON-serializable records, so a host can carry the calls
 * over its own RPC; {@link LocalTaskWorker} runs it in-process. Implementations are thread-safe;
 * methods do not block the caller.
 */
public interface TaskWorker {

    /**
     * Backs up one task of a cut: uploads its new chunks, writes its task manifest, and completes with
     * the manifest's reference. Retrying with the same request is safe (chunks and the manifest are
     * overwritten with the same bytes).
     */
    CompletableFuture<TaskBackupResult> backupTask(TaskBackupRequest request);

    /**
     * Downloads one task of a backup into the Supervisor's staging directory for {@code restoreId},
     * verifying the task manifest's checksum, every path, every chunk and every file. Touches no live
     * state. Fails with {@link io.modbackup.core.error.CorruptBackupException} on any mismatch.
     */
    CompletableFuture<TaskRestoreResult> restoreTask(TaskRestoreRequest request);

    /**
     * @param chunkSize the chunk size this backup's files are split into (its module manifest records it)
     * @param previous the same task's manifest in the module's previous backup, whose unchanged
     *     immutable files are reused without reading; {@code null} for none
     * @param chunksFrom a committed backup's manifest of the same task whose chunks the store holds
     *     (the worker's chunk index: none of them is checked or sent again); usually {@code previous},
     *     after a restore the backup restored; {@code null} for none
     * @param sourceChunkSize the chunk size of the backup {@code chunksFrom} (and {@code previous}) belong
     *     to, by which their manifests are read; equals {@code chunkSize} whenever {@code previous} is given
     * @param probeUnknownChunks whether a chunk not in {@code chunksFrom} is looked up in the store
     *     before it is sent (one request each); false when such chunks are almost surely new (the
     *     module's first backup, or any with a chunk source), so they are sent without asking: sending
     *     a chunk the store has rewrites the same bytes, never loses any
     */
    record TaskBackupRequest(String module, String backupId, String cutId, int task, int chunkSize,
                             TaskRef previous, TaskRef chunksFrom, int sourceChunkSize, boolean probeUnknownChunks,
                             Map<String, Long> depotEndOffsets, Map<String, Map<String, Long>> processedOffsets,
                             long bytesPerSecond) {
    }

    /**
     * What one task's backup wrote: {@code newBytes} of file content the backup built on did not hold, and
     * {@code bytesSent} to the store for them and for the task manifest, as stored (compressed, encrypted).
     */
    record TaskBackupResult(TaskRef ref, long bytesRead, long newBytes, long bytesSent, long chunksUploaded,
                            long chunksReused, long filesReused) {
    }

    /**
     * One task of a restore; {@code chunkSize} is the backup's own (its module manifest's); {@code bytesPerSecond}
     * the download limit of the worker's process ({@code backup.restore.bytes.per.second}), 0 for none.
     */
    record TaskRestoreRequest(String module, String backupId, String restoreId, int task, TaskRef manifest, int chunkSize,
                              long bytesPerSecond) {
    }

    /** What one task's restore staged. */
    record TaskRestoreResult(int task, int files, long bytes) {
    }
}
