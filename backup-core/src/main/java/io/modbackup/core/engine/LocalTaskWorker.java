package io.modbackup.core.engine;

import io.modbackup.api.runtime.CapturedFile;
import io.modbackup.api.runtime.FileKind;
import io.modbackup.api.runtime.SupervisorRuntime;
import io.modbackup.core.async.BoundedFanOut;
import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.manifest.FileEntry;
import io.modbackup.core.manifest.ManifestCodec;
import io.modbackup.core.manifest.TaskManifest;
import io.modbackup.core.manifest.TaskRef;
import io.modbackup.core.store.BackupStore;
import io.modbackup.core.store.ChunkStore;
import io.modbackup.core.store.KnownChunks;
import io.modbackup.core.store.TransferStats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.stream.Collectors;

/** A {@link TaskWorker} running in the same process as the Supervisor whose files it reads. */
public final class LocalTaskWorker implements TaskWorker {
    private final SupervisorRuntime supervisor;
    private final BackupStore store;
    private final ChunkStore chunks;
    private final Executor executor;
    private final int filesInFlight;
    /** The chunk index of each backup with tasks running here, shared by them (tasks hold equal files). */
    private final Map<String, SharedIndex> indexes = new ConcurrentHashMap<>();

    /** A backup's chunk index and how many of its tasks are running here. */
    private static final class SharedIndex {
        final KnownChunks chunks;
        int users;

        SharedIndex(boolean probe) {
            chunks = new KnownChunks(probe);
        }
    }

    /**
     * @param executor      where the worker's own steps run (not its I/O, which is the stores')
     * @param filesInFlight files of one task being stored or restored at once; bounds the memory a
     *                      task's work holds however many files it has
     */
    public LocalTaskWorker(SupervisorRuntime supervisor, BackupStore store, ChunkStore chunks, Executor executor,
                           int filesInFlight) {
        if (filesInFlight < 1) {
            throw new IllegalArgumentException("filesInFlight must be at least 1, got " + filesInFlight);
        }
        this.supervisor = supervisor;
        this.store = store;
        this.chunks = chunks;
        this.executor = executor;
        this.filesInFlight = filesInFlight;
    }

    @Override
    public CompletableFuture<TaskBackupResult> backupTask(TaskBackupRequest request) {
        TransferStats task = new TransferStats();
        CompletableFuture<TaskManifest> loadPrevious = load(request.previous(), request, "previous task manifest ");
        CompletableFuture<TaskManifest> loadSource = request.chunksFrom() == null || request.chunksFrom().equals(request.previous())
                ? loadPrevious : load(request.chunksFrom(), request, "task manifest ");
        return loadPrevious.thenCombine(loadSource, (previous, source) -> new TaskManifest[] {previous, source})
                .thenComposeAsync(loaded -> {
                    KnownChunks known = index(request);
                    CompletableFuture<TaskBackupResult> result;
                    try {
                        result = backUpFiles(request, loaded[0], loaded[1], known, task);
                    } catch (RuntimeException e) {
                        release(request.backupId());
                        throw e;
                    }
                    return result.whenComplete((r, error) -> release(request.backupId()));
                }, executor);
    }

    private CompletableFuture<TaskBackupResult> backUpFiles(TaskBackupRequest request, TaskManifest previous,
                                                           TaskManifest chunkSource, KnownChunks known, TransferStats task) {
        List<CapturedFile> files = supervisor.cutFiles(request.module(), request.cutId(), request.task());
        // The chunk index: what the chunk source holds is in the store, protected by this backup's lease.
        if (chunkSource != null) {
            chunkSource.files().forEach(entry -> known.addStored(entry.chunks()));
        }
        Map<String, FileEntry> previousByPath = new HashMap<>();
        if (previous != null) {
            previous.files().forEach(entry -> previousByPath.put(entry.path(), entry));
        }
        return BoundedFanOut.map(files, filesInFlight, file -> {
            FileEntry before = previousByPath.get(file.path());
            if (unchanged(file, before)) {
                task.fileReused();
                task.reused(before.chunks().size());
                return CompletableFuture.completedFuture(before);
            }
            return chunks.store(file.path(), file.kind(), file.source(), file.size(), file.modifiedMillis(), known, task);
        }).thenCompose(entries -> writeManifest(request, entries, previous, task));
    }

    private KnownChunks index(TaskBackupRequest request) {
        return indexes.compute(request.backupId(), (id, shared) -> {
            SharedIndex index = shared != null ? shared : new SharedIndex(request.probeUnknownChunks());
            index.users++;
            return index;
        }).chunks;
    }

    private void release(String backupId) {
        indexes.computeIfPresent(backupId, (id, shared) -> --shared.users == 0 ? null : shared);
    }

    /**
     * Whether {@code file} can reuse the previous backup's entry without being read: an immutable file
     * with the same size and modification time, or an append-only one to which nothing was appended
     * (same size and modification time). Mutable files are always read. The coordinator offers a
     * previous manifest only while the module's restore epoch is unchanged, so a file that a restore
     * replaced under the same name is never mistaken for the old one.
     */
    private static boolean unchanged(CapturedFile file, FileEntry before) {
        return before != null && file.kind() != FileKind.MUTABLE && before.kind() == file.kind()
                && before.size() == file.size() && before.modifiedMillis() == file.modifiedMillis();
    }

    private CompletableFuture<TaskManifest> load(TaskRef ref, TaskBackupRequest request, String what) {
        return ref == null ? CompletableFuture.completedFuture(null)
                : store.readTaskManifest(ref, request.chunkSize(), what + ref.key());
    }

    private CompletableFuture<TaskBackupResult> writeManifest(TaskBackupRequest request, List<FileEntry> files,
                                                              TaskManifest previous, TransferStats task) {
        TaskManifest manifest = new TaskManifest(ManifestCodec.VERSION, request.module(), request.backupId(), request.task(),
                files, request.depotEndOffsets(), request.processedOffsets());
        // The task manifest is new bytes too: it counts into the backup's new bytes.
        // The previous backup's segments are in the store (its commit, and our lease against GC): shared, not rewritten.
        Set<String> stored = previous == null ? Set.of()
                : previous.segments().stream().map(io.modbackup.core.manifest.SegmentRef::sha256).collect(Collectors.toSet());
        return store.writeTaskManifest(manifest, stored).thenApply(written -> new TaskBackupResult(written.ref(), task.bytesRead(),
                task.newBytes() + written.bytes(), task.chunksUploaded(), task.chunksReused(), task.filesReused()));
    }

    @Override
    public CompletableFuture<TaskRestoreResult> restoreTask(TaskRestoreRequest request) {
        String what = "task manifest " + request.task() + " of backup " + request.backupId();
        return store.readTaskManifest(request.manifest(), request.chunkSize(), what).thenComposeAsync(manifest -> {
            if (manifest == null) {
                throw new CorruptBackupException(what + " is missing from the store (" + request.manifest().key() + ")");
            }
            if (manifest.task() != request.task() || !manifest.backupId().equals(request.backupId())) {
                throw new CorruptBackupException(what + " describes task " + manifest.task() + " of " + manifest.backupId());
            }
            Path staging = supervisor.stagingDirectory(request.module(), request.restoreId(), request.task());
            Set<Path> directories = new HashSet<>();
            for (FileEntry file : manifest.files()) {
                Path target = staging.resolve(file.path()).normalize();
                if (!target.startsWith(staging) || target.equals(staging)) {
                    throw new CorruptBackupException(what + " has file path '" + file.path() + "' that leaves the task directory");
                }
                directories.add(target.getParent());
            }
            // Every directory up front: a file being written never creates one, so once the host removed
            // the staging of an abandoned restore, nothing brings it back.
            for (Path directory : directories) {
                try {
                    Files.createDirectories(directory);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException("cannot create " + directory, e);
                }
            }
            return BoundedFanOut.map(manifest.files(), filesInFlight, file -> {
                // The host removes the staging of a restore its Conductor gave up (crashed, timed out):
                // stop there instead of downloading the rest into a directory nobody will install.
                if (!Files.isDirectory(staging)) {
                    throw new IllegalStateException("restore " + request.restoreId() + " of task " + request.task()
                            + " was abandoned: its staging directory " + staging + " was removed");
                }
                return chunks.restore(file, staging.resolve(file.path()).normalize(),
                        "file " + file.path() + " of task " + request.task());
            }).thenApply(v -> new TaskRestoreResult(
                    request.task(), manifest.files().size(), manifest.files().stream().mapToLong(FileEntry::size).sum()));
        }, executor);
    }
}
