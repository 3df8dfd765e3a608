package io.modbackup.core.store;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.core.async.Futures;
import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.manifest.FileEntry;
import io.modbackup.core.manifest.ManifestCodec;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.manifest.SegmentRef;
import io.modbackup.core.manifest.TaskManifest;
import io.modbackup.core.manifest.TaskRef;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's manifests as the engine sees them ({@link StoreLayout}): module manifests, task manifests
 * and their shared segments, read and checked or written, and what each committed backup reaches. Its
 * parts for the index ({@link #index()}, {@link #indexWriter()}) and the owner record
 * ({@link #ownership()}) are their own types. Shared by the engine, the task workers and the garbage
 * collector; thread-safe. Methods returning a future do not block; the others wait for the store.
 */
public final class BackupStore {
    private static final Logger log = LoggerFactory.getLogger(BackupStore.class);

    private final SealingProvider provider;
    private final ManifestCodec codec;
    private final Executor executor;
    private final BackupIndex index;
    private final BackupIndex.Writer indexWriter;
    private final StoreOwnership ownership;

    /** A store on the sealing layer {@code provider} (for a keyless reader: {@link SealingProvider#reader}). */
    public BackupStore(SealingProvider provider, ManifestCodec codec, Executor executor) {
        this.provider = provider;
        this.codec = codec;
        this.executor = executor;
        this.index = new BackupIndex(provider);
        this.indexWriter = index.new Writer();
        this.ownership = new StoreOwnership(provider, this::readBytes);
    }

    /** The provider underneath: it seals chunks and manifests as the store's format says. */
    public SealingProvider provider() {
        return provider;
    }

    /** The newest-first index and the listing of modules and backups; reads only. */
    public BackupIndex index() {
        return index;
    }

    /** What writers (backups, GC) add to the index. */
    public BackupIndex.Writer indexWriter() {
        return indexWriter;
    }

    /** The owner record: which cluster the store belongs to. */
    public StoreOwnership ownership() {
        return ownership;
    }

    /**
     * The module manifest of {@code id}, or empty when the backup was never committed.
     *
     * @throws CorruptBackupException when it exists but is damaged
     */
    public Optional<ModuleManifest> moduleManifest(BackupId id) {
        return Futures.await(readModuleManifest(id), "read backup " + id);
    }

    /** {@link #moduleManifest} without waiting: completes empty for a backup never committed. */
    public CompletableFuture<Optional<ModuleManifest>> readModuleManifest(BackupId id) {
        return readBytes(StoreLayout.moduleManifestKey(id), "module manifest of backup " + id).thenApply(bytes -> bytes == null ? Optional.empty()
                : Optional.of(codec.decodeModule(bytes, id.toString(), id.module(), "module manifest of backup " + id)));
    }

    /**
     * A task manifest of a committed backup, checked against its reference.
     *
     * @throws CorruptBackupException when it is missing or does not verify
     */
    public TaskManifest taskManifest(ModuleManifest manifest, TaskRef ref) {
        String what = "task manifest " + ref.task() + " of backup " + manifest.backupId();
        TaskManifest task = Futures.await(readTaskManifest(ref, manifest.chunkSize(), what), "read " + ref.key());
        if (task == null) {
            throw new CorruptBackupException(what + " is missing (" + ref.key() + ")");
        }
        return task;
    }

    /**
     * Reads a task manifest and checks it against its reference, on the store's executor; completes
     * with {@code null} when it is absent, and fails with {@link CorruptBackupException} naming
     * {@code what} when it does not verify.
     */
    public CompletableFuture<TaskManifest> readTaskManifest(TaskRef ref, int chunkSize, String what) {
        return readBytes(ref.key(), what).thenCompose(bytes -> bytes == null ? CompletableFuture.completedFuture(null)
                : resolveSegments(codec.decodeTask(bytes, ref.sha256(), chunkSize, what), chunkSize, what));
    }

    /**
     * Reads a task manifest and checks it against its reference without reading its segments: format 2
     * manifests come with their segment references and no files, format 1 with their files. Completes
     * with {@code null} when it is absent; fails with {@link CorruptBackupException} naming {@code what}.
     */
    public CompletableFuture<TaskManifest> readTaskHeader(TaskRef ref, int chunkSize, String what) {
        return readBytes(ref.key(), what).thenApply(bytes -> bytes == null ? null
                : codec.decodeTask(bytes, ref.sha256(), chunkSize, what));
    }

    /**
     * Reads one file-list segment and checks it against its reference; fails with
     * {@link CorruptBackupException} naming {@code what} when it is missing or does not verify.
     */
    public CompletableFuture<List<FileEntry>> readSegment(SegmentRef ref, int chunkSize, String what) {
        String key = StoreLayout.segmentKey(ref.sha256());
        return readBytes(key, what).thenApply(bytes -> {
            if (bytes == null) {
                throw new CorruptBackupException(what + " is missing (" + key + ")");
            }
            return codec.decodeSegment(bytes, ref, chunkSize, what);
        });
    }

    /** A task manifest with its files read from its segments (all at once), each checked against its reference. */
    private CompletableFuture<TaskManifest> resolveSegments(TaskManifest task, int chunkSize, String what) {
        if (task.segments().isEmpty()) {
            return CompletableFuture.completedFuture(task);
        }
        List<CompletableFuture<List<FileEntry>>> reads = new ArrayList<>();
        for (int i = 0; i < task.segments().size(); i++) {
            reads.add(readSegment(task.segments().get(i), chunkSize, "segment " + i + " of " + what));
        }
        return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenApply(v -> {
            List<FileEntry> files = new ArrayList<>();
            reads.forEach(read -> files.addAll(read.join()));
            ManifestCodec.validateFileList(files, what);
            return task.withFiles(files);
        });
    }

    /**
     * Commits a backup: writes its sealed module manifest ({@link ManifestCodec#seal}) under its key, the
     * last write of a backup, after which it exists. Written only where no object is, so a commit never
     * replaces a backup; idempotent: a retry finds its own bytes. Fails with a {@link CorruptBackupException}
     * when the key holds another manifest. First a {@link #barrier()}, so that what this process stored for
     * the backup (the jar's chunks) is durable before the manifest refers to it; the manifest itself is
     * durable when the commit completes.
     */
    public CompletableFuture<Void> commit(BackupId id, ManifestCodec.Sealed manifest) {
        return barrier().thenCompose(v -> provider.storeOnce(StoreLayout.moduleManifestKey(id), manifest.bytes(),
                BackupProvider.Durability.IMMEDIATE)).thenApply(sent -> null);
    }

    /**
     * Completes when every chunk, segment and task manifest this process stored is durable (see
     * {@link BackupProvider#barrier()}): called before anything refers to them.
     */
    public CompletableFuture<Void> barrier() {
        return provider.barrier();
    }

    /**
     * Writes a task manifest: its files, in path order, cut into segments stored under the SHA-256 of
     * their bytes, then the task manifest itself (offsets and segment references) under its key.
     * Segments in {@code stored} (the previous backup's, which its commit and our lease keep in the
     * store) are not written again, so a backup writes manifest bytes in proportion to what changed.
     * Idempotent: a retry writes the same bytes. Completes with the reference and the bytes sent.
     */
    public CompletableFuture<WrittenTaskManifest> writeTaskManifest(TaskManifest manifest, Set<String> stored) {
        List<FileEntry> files = new ArrayList<>(manifest.files());
        files.sort(Comparator.comparing(FileEntry::path));
        TaskManifestWriter writer = taskManifestWriter(manifest, stored);
        files.forEach(writer::add);
        return writer.finish();
    }

    /**
     * A writer of the task manifest {@code meta} describes (its files ignored), for files given one at a
     * time in path order; as {@link #writeTaskManifest}, without holding the file list.
     */
    public TaskManifestWriter taskManifestWriter(TaskManifest meta, Set<String> stored) {
        return new TaskManifestWriter(provider, codec, meta, stored);
    }

    /**
     * A stored task manifest: the module manifest's reference to it, and the bytes sent to the store for it
     * and its new segments, as stored (compressed, encrypted).
     */
    public record WrittenTaskManifest(TaskRef ref, long bytesSent) {
    }

    /**
     * What a committed backup reaches, walking module manifest, task manifests and their files; the
     * one walk behind both verify and GC, so they agree on what a backup needs.
     *
     * @param onFile told of every file (the jar first), e.g. to check inlined content
     */
    public Reach reach(ModuleManifest manifest, Consumer<FileEntry> onFile) {
        return reach(manifest, onFile, Set.of());
    }

    /**
     * As {@link #reach(ModuleManifest, Consumer)}, reading every task manifest at once and skipping the
     * segments in {@code accounted}: a GC walking many backups that share segments reads each of them
     * once (their chunks are reachable already). The segments skipped are still in the result's
     * {@link Reach#segments()}; their files are not passed to {@code onFile} nor their chunks listed.
     */
    public Reach reach(ModuleManifest manifest, Consumer<FileEntry> onFile, Set<String> accounted) {
        Map<String, Long> chunks = new HashMap<>();
        Set<String> segments = new HashSet<>();
        List<String> unreadable = new ArrayList<>();
        addChunks(manifest.jar(), manifest.chunkSize(), chunks);
        onFile.accept(manifest.jar());
        long files = 1;
        int taskManifests = 0;
        List<CompletableFuture<TaskManifest>> reads = new ArrayList<>();
        for (TaskRef ref : manifest.tasks()) {
            String what = "task manifest " + ref.task() + " of backup " + manifest.backupId();
            reads.add(readBytes(ref.key(), what).thenCompose(bytes -> {
                if (bytes == null) {
                    throw new CorruptBackupException(what + " is missing (" + ref.key() + ")");
                }
                TaskManifest header = codec.decodeTask(bytes, ref.sha256(), manifest.chunkSize(), what);
                if (accounted.isEmpty() || header.segments().isEmpty()) {
                    return resolveSegments(header, manifest.chunkSize(), what);
                }
                List<CompletableFuture<List<FileEntry>>> parts = new ArrayList<>();
                for (int i = 0; i < header.segments().size(); i++) {
                    SegmentRef segment = header.segments().get(i);
                    parts.add(accounted.contains(segment.sha256()) ? CompletableFuture.completedFuture(List.of())
                            : readSegment(segment, manifest.chunkSize(), "segment " + i + " of " + what));
                }
                return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(v -> {
                    List<FileEntry> unaccounted = new ArrayList<>();
                    parts.forEach(part -> unaccounted.addAll(part.join()));
                    return header.withFiles(unaccounted);
                });
            }));
        }
        for (CompletableFuture<TaskManifest> read : reads) {
            TaskManifest task;
            try {
                task = Futures.await(read, "read a task manifest of backup " + manifest.backupId());
            } catch (CorruptBackupException e) {
                unreadable.add(e.getMessage());
                continue;
            }
            taskManifests++;
            task.segments().forEach(segment -> segments.add(segment.sha256()));
            for (FileEntry file : task.files()) {
                files++;
                addChunks(file, manifest.chunkSize(), chunks);
                onFile.accept(file);
            }
        }
        return new Reach(chunks, segments, taskManifests, files, unreadable);
    }

    private static void addChunks(FileEntry file, int chunkSize, Map<String, Long> chunks) {
        for (int i = 0; i < file.chunks().size(); i++) {
            chunks.put(file.chunks().get(i), file.storedChunkSize(i, chunkSize));
        }
    }

    /**
     * What one committed backup reaches.
     *
     * @param chunks the SHA-256 of every chunk it reaches, with the chunk's size
     * @param segments the SHA-256 of every file-list segment its task manifests refer to
     * @param taskManifests task manifests read intact
     * @param files files listed, the jar included
     * @param unreadable why each task manifest that could not be read failed: its chunks are unknown
     */
    public record Reach(Map<String, Long> chunks, Set<String> segments, int taskManifests, long files,
                        List<String> unreadable) {
        public Reach {
            chunks = Map.copyOf(chunks);
            segments = Set.copyOf(segments);
            unreadable = List.copyOf(unreadable);
        }
    }

    // ------------------------------------------------------------------ raw reads

    /**
     * As {@link #readBytes(String)}, naming {@code what} in the error when the object is sealed and does
     * not open (damaged, tampered with, or moved).
     */
    private CompletableFuture<byte[]> readBytes(String key, String what) {
        return readBytes(key).handle((bytes, error) -> {
            if (error == null) {
                return bytes;
            }
            Throwable cause = Futures.cause(error);
            if (cause instanceof CorruptBackupException) {
                throw new CorruptBackupException(what + ": " + cause.getMessage(), cause);
            }
            throw error instanceof java.util.concurrent.CompletionException c ? c
                    : new java.util.concurrent.CompletionException(cause);
        });
    }

    /** The bytes under {@code key}, or {@code null} when absent; read on the store's executor. */
    public CompletableFuture<byte[]> readBytes(String key) {
        return provider.getObject(key).thenApplyAsync(in -> {
            if (in == null) {
                return null;
            }
            try {
                return BoundedRead.readAll(in, BoundedRead.MAX_RECORD_BYTES, key);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + key, e);
            }
        }, executor);
    }
}
