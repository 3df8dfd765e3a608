package io.modbackup.core.engine;

import io.modbackup.api.runtime.ClusterRuntime;
import io.modbackup.api.runtime.CutDescriptor;
import io.modbackup.api.runtime.FileKind;
import io.modbackup.api.runtime.ModuleDescriptor;
import io.modbackup.api.runtime.RestoreMarker;
import io.modbackup.api.runtime.TaskCut;
import io.modbackup.core.async.Futures;
import io.modbackup.core.engine.TaskWorker.TaskBackupRequest;
import io.modbackup.core.engine.TaskWorker.TaskBackupResult;
import io.modbackup.core.error.BackupException.Problem;
import io.modbackup.core.error.BackupException;
import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.lock.StoreLocks;
import io.modbackup.core.manifest.FileEntry;
import io.modbackup.core.manifest.ManifestCodec;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.manifest.TaskRef;
import io.modbackup.core.manifest.Totals;
import io.modbackup.core.store.BackupId;
import io.modbackup.core.store.BackupStore;
import io.modbackup.core.store.ChunkStore;
import io.modbackup.core.store.KnownChunks;
import io.modbackup.core.store.StoreLayout;
import io.modbackup.core.store.TransferStats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's side of one backup: captures a consistent cut, has each task's worker upload what
 * the store lacks and write its task manifest, backs up the jar, and last commits the module manifest
 * that makes the backup exist. Thread-safe; each call is one backup.
 */
final class ModuleBackup {
    private static final Logger log = LoggerFactory.getLogger(ModuleBackup.class);

    private final ClusterRuntime runtime;
    private final BackupStore store;
    private final ChunkStore chunks;
    private final StoreLocks locks;
    private final ManifestCodec codec;
    private final BackupOptions options;
    private final Function<String, TaskWorker> workers;
    private final Clock clock;
    /** Modules already warned about (once per engine) that their config overrides go to an unencrypted store. */
    private final java.util.Set<String> warnedInTheClear = java.util.concurrent.ConcurrentHashMap.newKeySet();

    ModuleBackup(ClusterRuntime runtime, BackupStore store, ChunkStore chunks, StoreLocks locks, ManifestCodec codec,
                 BackupOptions options, Function<String, TaskWorker> workers, Clock clock) {
        this.runtime = runtime;
        this.store = store;
        this.chunks = chunks;
        this.locks = locks;
        this.codec = codec;
        this.options = options;
        this.workers = workers;
        this.clock = clock;
    }

    /** Backs up a running {@code module} under a shared lease and returns the committed manifest. */
    ModuleManifest run(String module, Progress.Observer observer) {
        ModuleDescriptor descriptor = runtime.describe(module).orElseThrow(() -> Modules.unknown(runtime, module));
        if (options.masterKey() == null && !descriptor.configOverrides().isEmpty() && warnedInTheClear.add(module)) {
            log.warn("module {} has config overrides {} and the store is not encrypted: their values are stored in the"
                    + " clear; set backup.encryption.key to encrypt the store", module,
                    descriptor.configOverrides().keySet().stream().sorted().toList());
        }
        if (!descriptor.running()) {
            throw new BackupException(Problem.MODULE_NOT_RUNNING, module, "module " + module
                    + " is not running: only a running module can be backed up");
        }
        store.ownership().claim(runtime.clusterId());
        long started = clock.millis();
        BackupId id = unusedId(module, started);
        try (StoreLocks.Lease lease = locks.shared(id.toString())) {
            return run(descriptor, id, started, lease, observer);
        }
    }

    /**
     * A new backup ID that nothing in the store uses: a clock that stood still or stepped back repeats a
     * time, and an ID holds only 256 suffixes, so a backup that reused the ID of a failed or committed one
     * would overwrite its task manifests. One listing and one metadata request.
     */
    private BackupId unusedId(String module, long started) {
        for (int attempt = 0; attempt < 64; attempt++) {
            BackupId id = BackupId.create(module, started);
            boolean used = !store.index().keysUnder(StoreLayout.backupPrefix(id)).isEmpty()
                    || Futures.await(store.provider().hasKey(StoreLayout.indexKey(id)), "look up backup ID " + id);
            if (!used) {
                return id;
            }
        }
        throw new IllegalStateException("no unused backup ID for module " + module + " at " + started
                + " after 64 tries: the store holds that many backups created in that millisecond");
    }

    private ModuleManifest run(ModuleDescriptor descriptor, BackupId id, long started, StoreLocks.Lease lease,
                               Progress.Observer observer) {
        String module = descriptor.name();
        Optional<RestoreMarker> marker = runtime.restoreMarker(module);
        long epoch = marker.map(RestoreMarker::epoch).orElse(0L);
        Predecessors previous = predecessors(descriptor, epoch, marker.map(RestoreMarker::backupId).orElse(null));
        CutDescriptor cut = runtime.captureCut(module);
        try {
            CutValidation.requireConsistent(cut);
            List<CompletableFuture<TaskBackupResult>> results = backUpTasks(module, id, cut, previous, observer);
            TransferStats jarStats = new TransferStats();
            Path jar = runtime.moduleJar(module);
            CompletableFuture<FileEntry> jarEntry = chunks.store(jar.getFileName().toString(), FileKind.IMMUTABLE, jar,
                    size(jar), 0, options.chunkSize(), new KnownChunks(true).withPrevious(
                            previous.reusable() == null ? null : previous.reusable().jar()), jarStats);
            List<TaskBackupResult> done = Futures.awaitAll(results, "back up module " + module);
            FileEntry jarFile = Futures.await(jarEntry, "back up the jar of module " + module);
            long completed = clock.millis();
            Totals totals = new Totals(
                    done.stream().mapToLong(r -> r.ref().files()).sum() + 1,
                    done.stream().mapToLong(r -> r.ref().bytes()).sum() + jarFile.size(),
                    done.stream().mapToLong(TaskBackupResult::bytesRead).sum() + jarStats.bytesRead(),
                    done.stream().mapToLong(TaskBackupResult::newBytes).sum() + jarStats.newBytes(),
                    done.stream().mapToLong(TaskBackupResult::bytesSent).sum() + jarStats.bytesSent(),
                    done.stream().mapToLong(TaskBackupResult::chunksUploaded).sum() + jarStats.chunksUploaded(),
                    done.stream().mapToLong(TaskBackupResult::chunksReused).sum() + jarStats.chunksReused(),
                    done.stream().mapToLong(TaskBackupResult::filesReused).sum(),
                    completed - started);
            ManifestCodec.Sealed sealed = codec.seal(new ModuleManifest(ManifestCodec.VERSION, id.toString(), module,
                    runtime.clusterId(), started, completed, epoch, options.chunkSize(), cut.descriptor(),
                    cut.microbatchCommitIds(), jarFile, done.stream().map(TaskBackupResult::ref)
                    .sorted(Comparator.comparingInt(TaskRef::task)).toList(), totals, null));
            if (locks.gcRanSince(lease.startedMillis())) {
                throw new BackupException(Problem.LEASE_OVERTAKEN, id.toString(), "backup " + id + " was not committed:"
                        + " its lease expired and a garbage collection ran meanwhile, which may have removed chunks it"
                        + " uploaded; run the backup again");
            }
            // On a store that locks objects, what the backup reuses must stay locked as long as what it creates.
            store.provider().retention().ifPresent(lock -> new RetentionExtension(lock, store)
                    .keepLocked(sealed.manifest(), previous));
            // Indexed before the commit: every committed backup is in the newest-first index.
            Futures.await(store.indexWriter().writeIndexEntry(id), "index backup " + id);
            Futures.await(store.commit(id, sealed), "commit backup " + id);
            log.info("backup {} committed: {} files, {} bytes, {} bytes of new content, {} bytes sent, {} ms", id,
                    totals.files(), totals.bytes(), totals.newBytes(), totals.bytesSent(), totals.durationMillis());
            return sealed.manifest();
        } finally {
            runtime.releaseCut(module, cut.cutId());
        }
    }

    /** Asks each task's worker to back up its part of the cut; progress counts come from the task results. */
    private List<CompletableFuture<TaskBackupResult>> backUpTasks(String module, BackupId id, CutDescriptor cut,
                                                                  Predecessors previous, Progress.Observer observer) {
        AtomicInteger tasksDone = new AtomicInteger();
        AtomicLong bytesDone = new AtomicLong();
        AtomicLong filesDone = new AtomicLong();
        long cutBytes = cut.tasks().stream().mapToLong(TaskCut::totalBytes).sum();
        long cutFiles = cut.tasks().stream().mapToLong(TaskCut::fileCount).sum();
        List<CompletableFuture<TaskBackupResult>> results = new ArrayList<>();
        for (TaskCut task : cut.tasks()) {
            TaskRef before = previous.reusable() == null ? null : previous.reusable().tasks().get(task.task());
            TaskRef chunksFrom = previous.chunkSource() == null ? null : previous.chunkSource().tasks().get(task.task());
            int sourceChunkSize = previous.chunkSource() == null ? options.chunkSize() : previous.chunkSource().chunkSize();
            TaskBackupRequest request = new TaskBackupRequest(module, id.toString(), cut.cutId(), task.task(),
                    options.chunkSize(), before, chunksFrom, sourceChunkSize, previous.probeUnknownChunks(), task.depotEndOffsets(),
                    task.processedOffsets(), TransferRates.upload(cut.descriptor()));
            TaskWorker worker = workers.apply(task.supervisorId());
            results.add(TaskAttempts.run(() -> worker.backupTask(request), options.taskTimeout(), options.taskAttempts(),
                    "task " + task.task() + " of backup " + id + " on " + task.supervisorId()).whenComplete((r, e) -> {
                if (e == null) {
                    observer.onProgress(new Progress("backup", bytesDone.addAndGet(r.ref().bytes()), cutBytes,
                            filesDone.addAndGet(r.ref().files()), cutFiles, tasksDone.incrementAndGet(), cut.tasks().size(),
                            request.bytesPerSecond()));
                }
            }));
        }
        return results;
    }

    /**
     * What a backup builds on: {@code reusable}, the newest committed backup if its files may be reused
     * (same restore epoch, chunk size and task count), or null; {@code chunkSource}, a committed backup
     * with the same task count whose chunks the tasks take as stored (the reusable one, else after a
     * restore the backup restored, else the newest), whatever its chunk size: a chunk is named by its
     * content, so a source of another chunk size still names chunks the store holds (those of files no
     * larger than either chunk size; a larger file's chunks all differ between chunk sizes and are sent
     * without a lookup, as new chunks are); and whether chunks outside it are looked up before being
     * sent (only when the module has backups but none could serve as the source). Both are committed
     * backups read under this backup's lease, so no GC removes their chunks before it ends.
     */
    record Predecessors(ModuleManifest reusable, ModuleManifest chunkSource, boolean probeUnknownChunks) {
        static final Predecessors NONE = new Predecessors(null, null, false);
    }

    private Predecessors predecessors(ModuleDescriptor descriptor, long epoch, String restoredBackup) {
        try {
            ModuleManifest newest = newestCommitted(descriptor.name());
            if (newest == null) {
                return Predecessors.NONE;
            }
            if (sameTasks(newest, descriptor) && newest.chunkSize() == options.chunkSize()
                    && newest.restoreEpoch() == epoch) {
                return new Predecessors(newest, newest, false);
            }
            ModuleManifest restored = restoredBackup == null || restoredBackup.equals(newest.backupId()) ? null
                    : store.moduleManifest(BackupId.parse(restoredBackup)).orElse(null);
            ModuleManifest source = restored != null && sameTasks(restored, descriptor) ? restored
                    : sameTasks(newest, descriptor) ? newest : null;
            return new Predecessors(null, source, source == null);
        } catch (CorruptBackupException | IllegalArgumentException e) {
            log.warn("not building on the previous backups of {}: {}", descriptor.name(), e.getMessage());
            return new Predecessors(null, null, true);
        }
    }

    private static boolean sameTasks(ModuleManifest manifest, ModuleDescriptor descriptor) {
        return manifest.tasks().size() == descriptor.taskCount();
    }

    /** The newest committed backup of {@code module}, from the newest-first index a few entries at a time. */
    private ModuleManifest newestCommitted(String module) {
        store.indexWriter().ensureIndexed(module); // a backup writes anyway: a store from before the index is indexed once
        String token = null;
        do {
            io.modbackup.core.store.BackupIndex.IndexPage page = store.index().newestFirst(module, token, 4);
            for (BackupId id : page.ids()) {
                Optional<ModuleManifest> manifest = store.moduleManifest(id);
                if (manifest.isPresent()) {
                    return manifest.get();
                }
            }
            token = page.nextToken();
        } while (token != null);
        return null;
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
