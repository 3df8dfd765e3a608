package io.modbackup.core.store;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.provider.BackupProvider.KeysPage;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modbackup.core.async.Futures;
import io.modbackup.core.error.BackupException;
import io.modbackup.core.error.BackupException.Problem;
import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.manifest.FileEntry;
import io.modbackup.core.manifest.SegmentRef;
import io.modbackup.core.manifest.ManifestCodec;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.manifest.TaskManifest;
import io.modbackup.core.manifest.TaskRef;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
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
 * The store's persistent structure ({@link StoreLayout}) as the engine sees it: which modules have
 * backups, which backup IDs exist, their manifests, what each committed backup reaches, and which
 * cluster owns the store. Shared by the engine, the task workers and the garbage collector; it
 * blocks the caller and is thread-safe.
 */
public final class BackupStore {
    private static final Logger log = LoggerFactory.getLogger(BackupStore.class);

    private final SealingProvider provider;
    private final ManifestCodec codec;
    private final Executor executor;
    private final ObjectMapper ownerJson = new ObjectMapper();
    /** Modules whose index this store has seen complete (it never becomes incomplete again). */
    private final java.util.Set<String> indexedModules = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** A store on the sealing layer {@code provider} (for a keyless reader: {@link SealingProvider#reader}). */
    public BackupStore(SealingProvider provider, ManifestCodec codec, Executor executor) {
        this.provider = provider;
        this.codec = codec;
        this.executor = executor;
    }

    /** The provider underneath: it seals chunks and manifests as the store's format says. */
    public SealingProvider provider() {
        return provider;
    }

    /** Names of the modules with anything under {@code backups/}. */
    public List<String> modules() {
        List<String> modules = new ArrayList<>();
        forEachName(StoreLayout.BACKUPS, name -> {
            if (name.endsWith("/")) {
                modules.add(name.substring(0, name.length() - 1));
            }
        });
        return modules;
    }

    /** IDs of every backup of {@code module} with a directory in the store, committed or not, newest first. */
    public List<BackupId> backupIdsNewestFirst(String module) {
        List<BackupId> ids = new ArrayList<>();
        forEachName(StoreLayout.modulePrefix(module), name -> {
            if (!name.endsWith("/")) {
                return;
            }
            try {
                BackupId id = BackupId.parse(name.substring(0, name.length() - 1));
                if (id.module().equals(module)) {
                    ids.add(id);
                }
            } catch (IllegalArgumentException e) {
                log.warn("ignoring {} in the backups of {}: {}", name, module, e.getMessage());
            }
        });
        ids.sort(Comparator.reverseOrder());
        return ids;
    }

    /** One page of a module's newest-first index: backup IDs (committed or not) and the provider's token for the next. */
    public record IndexPage(List<BackupId> ids, String nextToken) {
        public IndexPage {
            ids = List.copyOf(ids);
        }
    }

    /**
     * Up to {@code count} backups of {@code module} from its newest-first index, after the page
     * {@code token} (a {@link IndexPage#nextToken()}, or null for the newest): one listing request. The
     * index holds every committed backup (its object is written before the commit) and may hold
     * backups that never committed or that GC is deleting, whose module manifests are absent.
     *
     * <p>A store written before the index existed is indexed first when {@code mayIndex} (backups and
     * GC, which write anyway); a read-only caller (list, info, with perhaps read-only credentials)
     * writes nothing and pages through a listing of every backup instead, until a backup or GC indexed it.
     *
     * @throws IllegalArgumentException when {@code token} is not one this listing issued
     */
    public IndexPage newestFirst(String module, String token, int count, boolean mayIndex) {
        if (!indexed(module, mayIndex)) {
            return scanNewestFirst(module, token, count);
        }
        if (token != null && token.startsWith(SCAN_TOKEN)) {
            throw new IllegalArgumentException("a page token of a listing from before the module's backups were indexed");
        }
        KeysPage page = Futures.await(provider.listKeysNonRecursive(StoreLayout.indexPrefix(module), token, count),
                "list the index of " + module);
        List<BackupId> ids = new ArrayList<>(page.keys().size());
        for (String name : page.keys()) {
            BackupId id = StoreLayout.backupOfIndexName(module, name);
            if (id != null) {
                ids.add(id);
            }
        }
        return new IndexPage(ids, page.nextPageToken());
    }

    /** Tokens of pages read by listing every backup (a store not indexed yet) start with this. */
    private static final String SCAN_TOKEN = "scan\n";

    private IndexPage scanNewestFirst(String module, String token, int count) {
        BackupId after = null;
        if (token != null) {
            if (!token.startsWith(SCAN_TOKEN)) {
                throw new IllegalArgumentException("not a page token of this listing");
            }
            after = BackupId.parse(token.substring(SCAN_TOKEN.length()));
        }
        BackupId last = after;
        List<BackupId> newer = backupIdsNewestFirst(module).stream().filter(id -> last == null || id.compareTo(last) < 0)
                .toList();
        List<BackupId> ids = newer.subList(0, Math.min(count, newer.size()));
        String next = newer.size() > ids.size() ? SCAN_TOKEN + ids.get(ids.size() - 1) : null;
        return new IndexPage(ids, next);
    }

    /**
     * Whether {@code module}'s index is marked complete; when {@code mayIndex}, indexes it first if
     * needed (see {@link #ensureIndexed}).
     */
    private boolean indexed(String module, boolean mayIndex) {
        if (indexedModules.contains(module)) {
            return true;
        }
        if (mayIndex) {
            ensureIndexed(module);
            return true;
        }
        String marker = StoreLayout.indexCompleteKey(module);
        if (Futures.await(provider.hasKey(marker), "check " + marker)) {
            indexedModules.add(module);
            return true;
        }
        // Not marked (a store from before the index, or a module no writer has touched since): the
        // caller lists the backups themselves, which costs the same when there are none.
        return false;
    }

    /** Writes {@code id}'s index object. Idempotent; before the backup's commit. */
    public CompletableFuture<Void> writeIndexEntry(BackupId id) {
        byte[] bytes = id.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return provider.putObject(StoreLayout.indexKey(id), new ByteArrayInputStream(bytes), bytes.length);
    }

    /**
     * Makes sure every backup of {@code module} has its index object: a store written before the index
     * existed is indexed once (one listing of the module's backups and one small object per backup),
     * then marked complete. Afterwards one check per module and engine; idempotent and safe beside
     * backups (which index themselves) and GC (an object it races to index for a deleted backup is
     * skipped by listings and removed by the next GC). For writers only (backups, GC).
     */
    public void ensureIndexed(String module) {
        if (indexedModules.contains(module)) {
            return;
        }
        String marker = StoreLayout.indexCompleteKey(module);
        if (!Futures.await(provider.hasKey(marker), "check " + marker)) {
            List<BackupId> ids = backupIdsNewestFirst(module);
            Futures.await(io.modbackup.core.async.BoundedFanOut.map(ids, 16, this::writeIndexEntry), "index " + module);
            byte[] bytes = new byte[0];
            Futures.await(provider.putObject(marker, new ByteArrayInputStream(bytes), 0), "write " + marker);
            if (!ids.isEmpty()) {
                log.info("indexed the {} backups of {} written before the newest-first index", ids.size(), module);
            }
        }
        indexedModules.add(module);
    }

    private void forEachName(String prefix, Consumer<String> action) {
        String token = null;
        do {
            KeysPage page = Futures.await(provider.listKeysNonRecursive(prefix, token, 0), "list " + prefix);
            page.keys().forEach(action);
            token = page.nextPageToken();
        } while (token != null);
    }

    /** Every key under {@code prefix}. */
    public List<String> keysUnder(String prefix) {
        List<String> keys = new ArrayList<>();
        String token = null;
        do {
            KeysPage page = Futures.await(provider.listKeysRecursive(prefix, token), "list " + prefix);
            keys.addAll(page.keys());
            token = page.nextPageToken();
        } while (token != null);
        return keys;
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
                : Optional.of(codec.decodeModule(bytes, "module manifest of backup " + id)));
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
     * Writes a task manifest: its files, in path order, cut into segments stored under the SHA-256 of
     * their bytes, then the task manifest itself (offsets and segment references) under its key.
     * Segments in {@code stored} (the previous backup's, which its commit and our lease keep in the
     * store) are not written again, so a backup writes manifest bytes in proportion to what changed.
     * Idempotent: a retry writes the same bytes. Completes with the reference and the bytes written.
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

    /** A stored task manifest: the module manifest's reference to it, and its size in bytes. */
    public record WrittenTaskManifest(TaskRef ref, long bytes) {
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
            chunks.put(file.chunks().get(i), Math.min(chunkSize, file.size() - (long) i * chunkSize));
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

    // ------------------------------------------------------------------ the owner record

    /**
     * The cluster that owns the store, or empty when it was never written to.
     *
     * @throws CorruptBackupException when the owner record is damaged
     */
    public Optional<String> owner() {
        byte[] stored = Futures.await(readBytes(StoreLayout.OWNER_KEY), "read " + StoreLayout.OWNER_KEY);
        if (stored == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(ownerJson.readValue(stored, StoreOwner.class).clusterId());
        } catch (IOException e) {
            throw new CorruptBackupException(StoreLayout.OWNER_KEY + " is not a valid owner record: " + e.getMessage(), e);
        }
    }

    /**
     * Makes sure {@code clusterId} owns the store, claiming a store nobody owns yet. Idempotent.
     *
     * @throws BackupException ({@link Problem#STORE_OWNED_ELSEWHERE}) when another cluster owns it
     */
    public void claim(String clusterId) {
        Optional<String> owner = owner();
        // Checked before the format record is made, so a foreign store is refused untouched.
        if (owner.isPresent() && !owner.get().equals(clusterId)) {
            throw ownedElsewhere(owner.get(), clusterId);
        }
        Futures.await(provider.keys().initialize(owner.isPresent()), "claim " + StoreLayout.FORMAT_KEY);
        if (owner.isEmpty()) {
            writeOwner(clusterId);
        }
    }

    private static BackupException ownedElsewhere(String owner, String clusterId) {
        return new BackupException(Problem.STORE_OWNED_ELSEWHERE, owner, "the backup store belongs to another"
                + " cluster (" + StoreLayout.OWNER_KEY + " names " + owner + ", this is " + clusterId + "); give"
                + " each cluster its own backup.provider config, or take the store over if this cluster replaces that one");
    }

    /**
     * Makes {@code clusterId} the owner whoever owned the store before, for a cluster that replaces the
     * one that wrote it. Idempotent.
     *
     * @return the previous owner, if any
     */
    public Optional<String> takeOver(String clusterId) {
        Optional<String> previous = owner();
        writeOwner(clusterId);
        return previous;
    }

    /**
     * Fails unless the store was ever written to: a read-only action on a mistyped location must say
     * so rather than report an empty store.
     *
     * @throws BackupException ({@link Problem#STORE_EMPTY}) when it has no owner record
     */
    public void requireExists() {
        if (owner().isEmpty()) {
            throw new BackupException(Problem.STORE_EMPTY, StoreLayout.OWNER_KEY, "the backup store has no "
                    + StoreLayout.OWNER_KEY + ": nothing was ever backed up to it, or backup.provider names the wrong location");
        }
    }

    private void writeOwner(String clusterId) {
        byte[] bytes;
        try {
            bytes = ownerJson.writeValueAsBytes(new StoreOwner(clusterId));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Futures.await(provider.putObject(StoreLayout.OWNER_KEY, new ByteArrayInputStream(bytes), bytes.length),
                "write " + StoreLayout.OWNER_KEY);
    }

    /** The content of the owner record. */
    private record StoreOwner(String clusterId) {
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
            try (InputStream stream = in) {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + key, e);
            }
        }, executor);
    }
}
