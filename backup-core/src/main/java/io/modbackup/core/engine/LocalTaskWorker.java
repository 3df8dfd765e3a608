package io.modbackup.core.engine;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.runtime.CapturedFile;
import io.modbackup.api.runtime.FileKind;
import io.modbackup.api.runtime.SupervisorRuntime;
import io.modbackup.core.manifest.CorruptBackupException;
import io.modbackup.core.manifest.FileEntry;
import io.modbackup.core.manifest.ManifestCodec;
import io.modbackup.core.manifest.TaskManifest;
import io.modbackup.core.manifest.TaskRef;
import io.modbackup.core.store.BackupId;
import io.modbackup.core.store.BackupStore;
import io.modbackup.core.store.ChunkStore;
import io.modbackup.core.store.Hashing;
import io.modbackup.core.store.StoreLayout;
import io.modbackup.core.store.TransferStats;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/** A {@link TaskWorker} running in the same process as the Supervisor whose files it reads. */
public final class LocalTaskWorker implements TaskWorker {
    private final SupervisorRuntime supervisor;
    private final BackupProvider provider;
    private final ChunkStore chunks;
    private final ManifestCodec codec = new ManifestCodec();
    private final Executor executor;
    private final BackupStore store;

    public LocalTaskWorker(SupervisorRuntime supervisor, BackupProvider provider, ChunkStore chunks, Executor executor) {
        this.supervisor = supervisor;
        this.provider = provider;
        this.chunks = chunks;
        this.executor = executor;
        this.store = new BackupStore(provider, codec, executor);
    }

    @Override
    public CompletableFuture<TaskBackupResult> backupTask(TaskBackupRequest request) {
        TransferStats task = new TransferStats();
        return loadPrevious(request).thenComposeAsync(previous -> {
            List<CapturedFile> files = supervisor.cutFiles(request.module(), request.cutId(), request.task());
            Set<String> known = ConcurrentHashMap.newKeySet();
            Map<String, FileEntry> previousByPath = new HashMap<>();
            if (previous != null) {
                for (FileEntry entry : previous.files()) {
                    previousByPath.put(entry.path(), entry);
                    known.addAll(entry.chunks());
                }
            }
            List<CompletableFuture<FileEntry>> entries = new ArrayList<>();
            for (CapturedFile file : files) {
                FileEntry before = previousByPath.get(file.path());
                if (unchanged(file, before)) {
                    task.filesReused.incrementAndGet();
                    task.chunksReused.addAndGet(before.chunks().size());
                    entries.add(CompletableFuture.completedFuture(before));
                } else {
                    entries.add(chunks.store(file.path(), file.kind(), file.source(), file.size(), file.modifiedMillis(),
                            known, task));
                }
            }
            return CompletableFuture.allOf(entries.toArray(CompletableFuture[]::new))
                    .thenCompose(v -> writeManifest(request, entries.stream().map(CompletableFuture::join).toList(), task));
        }, executor);
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

    private CompletableFuture<TaskManifest> loadPrevious(TaskBackupRequest request) {
        TaskRef previous = request.previous();
        if (previous == null) {
            return CompletableFuture.completedFuture(null);
        }
        return store.readBytes(previous.key()).thenApply(bytes -> bytes == null ? null
                : codec.decodeTask(bytes, previous.sha256(), request.chunkSize(), "previous task manifest " + previous.key()));
    }

    private CompletableFuture<TaskBackupResult> writeManifest(TaskBackupRequest request, List<FileEntry> files,
                                                              TransferStats task) {
        TaskManifest manifest = new TaskManifest(ManifestCodec.VERSION, request.module(), request.backupId(), request.task(),
                files, request.depotEndOffsets(), request.processedOffsets());
        byte[] bytes = codec.encode(manifest);
        String key = StoreLayout.taskManifestKey(BackupId.parse(request.backupId()), request.task());
        return provider.putObject(key, new ByteArrayInputStream(bytes), bytes.length).thenApply(v -> new TaskBackupResult(
                new TaskRef(request.task(), key, Hashing.sha256Hex(bytes), files.size(),
                        files.stream().mapToLong(FileEntry::size).sum()),
                task.bytesRead.get(), task.newBytes.get() + bytes.length, task.chunksUploaded.get(),
                task.chunksReused.get(), task.filesReused.get()));
    }

    @Override
    public CompletableFuture<TaskRestoreResult> restoreTask(TaskRestoreRequest request) {
        String what = "task manifest " + request.task() + " of backup " + request.backupId();
        return store.readBytes(request.manifest().key()).thenComposeAsync(bytes -> {
            if (bytes == null) {
                throw new CorruptBackupException(what + " is missing from the store (" + request.manifest().key() + ")");
            }
            TaskManifest manifest = codec.decodeTask(bytes, request.manifest().sha256(), request.chunkSize(), what);
            if (manifest.task() != request.task() || !manifest.backupId().equals(request.backupId())) {
                throw new CorruptBackupException(what + " describes task " + manifest.task() + " of " + manifest.backupId());
            }
            Path staging = supervisor.stagingDirectory(request.module(), request.restoreId(), request.task());
            TransferStats task = new TransferStats();
            List<CompletableFuture<Void>> files = new ArrayList<>();
            for (FileEntry file : manifest.files()) {
                Path target = staging.resolve(file.path()).normalize();
                if (!target.startsWith(staging)) {
                    throw new CorruptBackupException(what + " has file path '" + file.path() + "' that leaves the task directory");
                }
                files.add(chunks.restore(file, target, "file " + file.path() + " of task " + request.task(), task));
            }
            return CompletableFuture.allOf(files.toArray(CompletableFuture[]::new)).thenApply(v -> new TaskRestoreResult(
                    request.task(), manifest.files().size(), manifest.files().stream().mapToLong(FileEntry::size).sum()));
        }, executor);
    }
}
