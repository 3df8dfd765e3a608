package io.modbackup.core.engine;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.provider.BackupProvider.KeysPage;
import io.modbackup.api.runtime.ClusterRuntime;
import io.modbackup.api.runtime.ClusterRuntime.RestoreRequest;
import io.modbackup.api.runtime.CutDescriptor;
import io.modbackup.api.runtime.FileKind;
import io.modbackup.api.runtime.ModuleDescriptor;
import io.modbackup.api.runtime.ObjectRef;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.api.runtime.RestoreMarker;
import io.modbackup.api.runtime.TaskCut;
import io.modbackup.core.engine.Progress.ProgressListener;
import io.modbackup.core.engine.TaskWorker.TaskBackupRequest;
import io.modbackup.core.engine.TaskWorker.TaskBackupResult;
import io.modbackup.core.engine.TaskWorker.TaskRestoreRequest;
import io.modbackup.core.engine.TaskWorker.TaskRestoreResult;
import io.modbackup.core.gc.GarbageCollector;
import io.modbackup.core.gc.GcReport;
import io.modbackup.core.gc.RetentionPolicy;
import io.modbackup.core.lock.StoreLocks;
import io.modbackup.core.manifest.CorruptBackupException;
import io.modbackup.core.manifest.FileEntry;
import io.modbackup.core.manifest.ManifestCodec;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.manifest.TaskManifest;
import io.modbackup.core.manifest.TaskRef;
import io.modbackup.core.manifest.Totals;
import io.modbackup.core.store.BackupId;
import io.modbackup.core.store.BackupStore;
import io.modbackup.core.store.ChunkStore;
import io.modbackup.core.store.RetryingProvider;
import io.modbackup.core.store.Hashing;
import io.modbackup.core.store.StoreLayout;
import io.modbackup.core.store.TransferStats;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backup coordinator, in the Conductor: backs up a module through the runtime SPI into the store
 * of a {@link BackupProvider}, lists and inspects backups, verifies and restores them. Task work runs
 * in {@link TaskWorker}s next to the tasks' files; by default in-process {@link LocalTaskWorker}s.
 *
 * <p>Methods block until done and are safe to call from several threads; the work itself runs on the
 * engine's own bounded executors, never on the caller's or the runtime's task threads.
 */
public final class BackupEngine implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BackupEngine.class);

    /** Tries per store operation; with the delays below a failing store is given about 3 seconds. */
    static final int RETRY_ATTEMPTS = 6;
    static final java.time.Duration RETRY_FIRST_DELAY = java.time.Duration.ofMillis(50);

    private final ClusterRuntime runtime;
    private final Clock clock;
    private final StoreLocks locks;
    private final BackupProvider provider;
    private final BackupOptions options;
    private final ManifestCodec codec = new ManifestCodec();
    private final com.fasterxml.jackson.databind.ObjectMapper ownerJson = new com.fasterxml.jackson.databind.ObjectMapper();
    private final ExecutorService io;
    private final ExecutorService tasks;
    private final ChunkStore chunks;
    private final BackupStore store;
    private final GarbageCollector collector;
    private final Function<String, TaskWorker> workers;
    private final Map<String, TaskWorker> localWorkers = new ConcurrentHashMap<>();
    private final Map<String, RestoreInProgress> restoresInProgress = new ConcurrentHashMap<>();

    /** A restore that is running: which backup, since when. */
    public record RestoreInProgress(String module, String backupId, long startedMillis) {
    }

    /** An engine whose task workers run in this process, reaching Supervisors through {@code runtime}. */
    public BackupEngine(ClusterRuntime runtime, BackupProvider provider, BackupOptions options) {
        this(runtime, provider, options, null);
    }

    /**
     * An engine whose task workers are reached through {@code workers} (Supervisor ID to worker), as
     * a host that carries the calls over its own RPC provides; {@code null} for in-process workers.
     */
    public BackupEngine(ClusterRuntime runtime, BackupProvider provider, BackupOptions options,
                        Function<String, TaskWorker> workers) {
        this(runtime, provider, options, workers, Clock.systemUTC());
    }

    /** As {@link #BackupEngine(ClusterRuntime, BackupProvider, BackupOptions, Function)}, on {@code clock}. */
    public BackupEngine(ClusterRuntime runtime, BackupProvider backupProvider, BackupOptions options,
                        Function<String, TaskWorker> workers, Clock clock) {
        // Every store operation is idempotent: transient failures are retried before anything fails.
        BackupProvider provider = new RetryingProvider(backupProvider, RETRY_ATTEMPTS, RETRY_FIRST_DELAY);
        this.clock = clock;
        this.locks = new StoreLocks(provider, clock, options.leaseTtl(), options.lockWait());
        this.runtime = runtime;
        this.provider = provider;
        this.options = options;
        this.io = Executors.newFixedThreadPool(options.ioThreads(), daemon("modbackup-io-"));
        this.tasks = Executors.newFixedThreadPool(options.taskParallelism(), daemon("modbackup-task-"));
        this.chunks = new ChunkStore(provider, io, new Semaphore(options.maxUploadsInFlight()), options.chunkSize(),
                options.inlineThreshold());
        this.store = new BackupStore(provider, codec, io);
        this.collector = new GarbageCollector(store, locks, clock, this::retentionPolicy);
        this.workers = workers != null ? workers : supervisorId -> localWorkers.computeIfAbsent(supervisorId,
                id -> new LocalTaskWorker(runtime.supervisor(id), provider, chunks, tasks));
    }

    // ------------------------------------------------------------------ backup

    /** Backs up {@code module} now and returns the committed manifest. */
    public ModuleManifest backup(String module) {
        return backup(module, ProgressListener.none());
    }

    /**
     * Backs up {@code module} now: captures a consistent cut, uploads what the store lacks, writes the
     * task manifests and, last, the module manifest that makes the backup exist.
     *
     * @throws BackupException when the module is unknown or not running, or the store belongs to
     *     another cluster
     */
    public ModuleManifest backup(String module, ProgressListener listener) {
        ModuleDescriptor descriptor = runtime.describe(module).orElseThrow(() -> unknownModule(module));
        if (!descriptor.running()) {
            throw new BackupException("module " + module + " is not running: only a running module can be backed up");
        }
        checkOwnership();
        long started = clock.millis();
        BackupId id = BackupId.create(module, started);
        try (StoreLocks.Lease lease = locks.shared(id.toString())) {
            return backup(module, id, started, lease, listener);
        }
    }

    private ModuleManifest backup(String module, BackupId id, long started, StoreLocks.Lease lease,
                                  ProgressListener listener) {
        long epoch = runtime.restoreMarker(module).map(RestoreMarker::epoch).orElse(0L);
        ModuleManifest previous = latestReusable(module, epoch);
        CutDescriptor cut = runtime.captureCut(module);
        try {
            AtomicInteger tasksDone = new AtomicInteger();
            AtomicLong bytesDone = new AtomicLong();
            AtomicLong filesDone = new AtomicLong();
            long cutBytes = cut.tasks().stream().mapToLong(TaskCut::totalBytes).sum();
            long cutFiles = cut.tasks().stream().mapToLong(TaskCut::fileCount).sum();
            List<CompletableFuture<TaskBackupResult>> results = new ArrayList<>();
            for (TaskCut task : cut.tasks()) {
                TaskRef before = previous == null ? null : previous.tasks().get(task.task());
                TaskBackupRequest request = new TaskBackupRequest(module, id.toString(), cut.cutId(), task.task(),
                        options.chunkSize(), options.inlineThreshold(), before, task.depotEndOffsets(), task.processedOffsets());
                results.add(workers.apply(task.supervisorId()).backupTask(request).whenComplete((r, e) -> {
                    if (e == null) {
                        // Counted from task results, which remote workers report too.
                        int done = tasksDone.incrementAndGet();
                        listener.onProgress(new Progress("backup", bytesDone.addAndGet(r.ref().bytes()), cutBytes,
                                filesDone.addAndGet(r.ref().files()), cutFiles, done, cut.tasks().size()));
                    }
                }));
            }
            TransferStats jarStats = new TransferStats();
            Path jar = runtime.moduleJar(module);
            CompletableFuture<FileEntry> jarEntry = chunks.store(jar.getFileName().toString(), FileKind.IMMUTABLE, jar,
                    size(jar), 0, ConcurrentHashMap.newKeySet(), jarStats);
            List<TaskBackupResult> done = await(CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
                    .thenApply(v -> results.stream().map(CompletableFuture::join).toList()), "back up module " + module);
            FileEntry jarFile = await(jarEntry, "back up the jar of module " + module);
            long completed = clock.millis();
            Totals totals = new Totals(
                    done.stream().mapToLong(r -> r.ref().files()).sum() + 1,
                    done.stream().mapToLong(r -> r.ref().bytes()).sum() + jarFile.size(),
                    done.stream().mapToLong(TaskBackupResult::bytesRead).sum() + jarStats.bytesRead.get(),
                    done.stream().mapToLong(TaskBackupResult::newBytes).sum() + jarStats.newBytes.get(),
                    done.stream().mapToLong(TaskBackupResult::chunksUploaded).sum() + jarStats.chunksUploaded.get(),
                    done.stream().mapToLong(TaskBackupResult::chunksReused).sum() + jarStats.chunksReused.get(),
                    done.stream().mapToLong(TaskBackupResult::filesReused).sum(),
                    completed - started);
            ModuleManifest manifest = codec.sealed(new ModuleManifest(ManifestCodec.VERSION, id.toString(), module,
                    runtime.clusterId(), started, completed, epoch, options.chunkSize(), cut.descriptor(),
                    cut.microbatchCommitIds(), jarFile, done.stream().map(TaskBackupResult::ref)
                    .sorted(Comparator.comparingInt(TaskRef::task)).toList(), totals, null));
            byte[] bytes = codec.encode(manifest);
            if (locks.gcRanSince(lease.startedMillis())) {
                throw new BackupException("backup " + id + " was not committed: its lease expired and a garbage"
                        + " collection ran meanwhile, which may have removed chunks it uploaded; run the backup again");
            }
            await(provider.putObject(StoreLayout.moduleManifestKey(id), new ByteArrayInputStream(bytes), bytes.length),
                    "commit backup " + id);
            log.info("backup {} committed: {} files, {} bytes, {} new bytes, {} ms", id, totals.files(), totals.bytes(),
                    totals.newBytes(), totals.durationMillis());
            return manifest;
        } finally {
            runtime.releaseCut(module, cut.cutId());
        }
    }

    /** The newest committed backup whose files may be reused by the next one, or null. */
    private ModuleManifest latestReusable(String module, long epoch) {
        try {
            for (BackupId id : store.backupIdsNewestFirst(module)) {
                Optional<ModuleManifest> manifest = store.moduleManifest(id);
                if (manifest.isPresent()) {
                    ModuleManifest m = manifest.get();
                    boolean reusable = m.restoreEpoch() == epoch && m.chunkSize() == options.chunkSize()
                            && m.tasks().size() == runtime.describe(module).map(ModuleDescriptor::taskCount).orElse(-1);
                    return reusable ? m : null;
                }
            }
        } catch (CorruptBackupException e) {
            log.warn("not reusing the previous backup of {}: {}", module, e.getMessage());
        }
        return null;
    }

    // ------------------------------------------------------------------ GC and ownership

    /**
     * Deletes the backups that each module's retention policy (its dynamic options
     * {@code backup.max.age.hours} and {@code backup.min.backups.to.keep}) lets go, then every chunk
     * and manifest no remaining backup reaches. Waits for backups in progress and makes new ones wait.
     *
     * @param dryRun report what would go without deleting anything
     * @throws BackupException when the store belongs to another cluster
     */
    public GcReport gc(boolean dryRun) {
        checkOwnership();
        return collector.collect(dryRun);
    }

    /** The retention policy of a module: from its dynamic options, or keep-all when the cluster lacks it. */
    private RetentionPolicy retentionPolicy(String module) {
        return runtime.describe(module).map(d -> RetentionPolicy.fromDynamicOptions(d.dynamicOptions()))
                .orElse(RetentionPolicy.KEEP_ALL);
    }

    /**
     * Makes this cluster the owner of the store, for a cluster that replaces the one that wrote it
     * (after a disaster recovery). Only one cluster may back up to and collect a store.
     */
    public void takeOwnership() {
        String previous = storeOwner().orElse("nobody");
        byte[] bytes = ownerRecord();
        await(provider.putObject(StoreLayout.CLUSTER_KEY, new ByteArrayInputStream(bytes), bytes.length),
                "write " + StoreLayout.CLUSTER_KEY);
        log.warn("cluster {} took ownership of the backup store from {}", runtime.clusterId(), previous);
    }

    /** The cluster that owns the store, if any backup was ever taken. */
    public Optional<String> storeOwner() {
        byte[] stored = await(store.readBytes(StoreLayout.CLUSTER_KEY), "read " + StoreLayout.CLUSTER_KEY);
        if (stored == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(ownerJson.readValue(stored, StoreOwner.class).clusterId());
        } catch (IOException e) {
            throw new CorruptBackupException(StoreLayout.CLUSTER_KEY + " is not a valid owner record: " + e.getMessage(), e);
        }
    }

    /** The content of {@code cluster.json}. */
    private record StoreOwner(String clusterId) {
    }

    private byte[] ownerRecord() {
        try {
            return ownerJson.writeValueAsBytes(new StoreOwner(runtime.clusterId()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void checkOwnership() {
        Optional<String> owner = storeOwner();
        if (owner.isEmpty()) {
            byte[] bytes = ownerRecord();
            await(provider.putObject(StoreLayout.CLUSTER_KEY, new ByteArrayInputStream(bytes), bytes.length),
                    "write " + StoreLayout.CLUSTER_KEY);
        } else if (!owner.get().equals(runtime.clusterId())) {
            throw new BackupException("the backup store belongs to another cluster (" + StoreLayout.CLUSTER_KEY + " names "
                    + owner.get() + ", this is " + runtime.clusterId() + "); give each cluster its own backup.provider"
                    + " config, or take the store over with --takeover if this cluster replaces that one");
        }
    }

    // ------------------------------------------------------------------ read side

    /**
     * A page of {@code module}'s committed backups, newest first.
     *
     * @param pageToken null for the first page, else the token of the previous page
     * @param pageSize backups per page, at least 1
     * @throws IllegalArgumentException for a page token this listing did not issue
     * @throws BackupException when neither the cluster nor the store knows the module
     */
    public BackupPage list(String module, String pageToken, int pageSize) {
        if (pageSize < 1) {
            throw new IllegalArgumentException("page size must be at least 1, got " + pageSize);
        }
        BackupId after = pageToken == null ? null : decodePageToken(pageToken, module);
        List<BackupId> candidates = store.backupIdsNewestFirst(module).stream()
                .filter(id -> after == null || id.compareTo(after) < 0).toList();
        if (candidates.isEmpty() && after == null && runtime.describe(module).isEmpty()) {
            throw unknownModule(module);
        }
        List<BackupSummary> page = new ArrayList<>();
        int next = 0;
        while (page.size() < pageSize && next < candidates.size()) {
            List<BackupId> batch = candidates.subList(next, Math.min(candidates.size(), next + pageSize - page.size()));
            next += batch.size();
            List<CompletableFuture<byte[]>> reads = batch.stream().map(id -> store.readBytes(StoreLayout.moduleManifestKey(id))).toList();
            for (int i = 0; i < batch.size(); i++) {
                byte[] bytes = await(reads.get(i), "read backup " + batch.get(i));
                if (bytes != null) {
                    page.add(summary(codec.decodeModule(bytes, "module manifest of backup " + batch.get(i))));
                }
            }
        }
        String token = next < candidates.size() && !page.isEmpty()
                ? encodePageToken(page.get(page.size() - 1).backupId()) : null;
        return new BackupPage(page, token);
    }

    /**
     * The manifest of a backup: depots, PStates, topologies, tasks, commit IDs, sizes.
     *
     * @throws IllegalArgumentException for a malformed backup ID
     * @throws BackupException when the store has no such backup
     * @throws CorruptBackupException when its manifest is damaged or tampered with
     */
    public ModuleManifest info(String backupId) {
        BackupId id = BackupId.parse(backupId);
        return store.moduleManifest(id).orElseThrow(() -> new BackupException("no backup " + id + " in the store; list the backups"
                + " of module " + id.module() + " with --action list --module " + id.module()));
    }

    /**
     * Checks that a backup can be restored: its manifests are intact and every chunk is present; when
     * {@code deep}, every chunk is downloaded and re-hashed.
     */
    public VerifyReport verify(String backupId, boolean deep) {
        List<String> problems = new ArrayList<>();
        ModuleManifest manifest;
        try {
            manifest = info(backupId);
        } catch (CorruptBackupException e) {
            return new VerifyReport(backupId, deep, 0, 0, 0, List.of(e.getMessage()));
        }
        Set<String> chunkSet = new HashSet<>(manifest.jar().chunks());
        long files = 1;
        int taskManifests = 0;
        for (TaskRef ref : manifest.tasks()) {
            String what = "task manifest " + ref.task() + " of backup " + backupId;
            try {
                TaskManifest task = store.taskManifest(manifest, ref);
                taskManifests++;
                for (FileEntry file : task.files()) {
                    files++;
                    chunkSet.addAll(file.chunks());
                    if (file.inline() != null && !Hashing.sha256Hex(
                            Base64.getDecoder().decode(file.inline())).equals(file.sha256())) {
                        problems.add(what + ": inlined file " + file.path() + " does not match its SHA-256");
                    }
                }
            } catch (CorruptBackupException e) {
                problems.add(e.getMessage());
            }
        }
        List<String> sorted = chunkSet.stream().sorted().toList();
        Semaphore inFlight = new Semaphore(options.maxUploadsInFlight());
        List<CompletableFuture<String>> checks = new ArrayList<>();
        for (String sha : sorted) {
            inFlight.acquireUninterruptibly();
            checks.add(chunks.check(sha, deep).whenComplete((r, e) -> inFlight.release()));
        }
        for (CompletableFuture<String> check : checks) {
            String problem = await(check.exceptionally(e -> "chunk check failed: " + ChunkStore.cause(e).getMessage()),
                    "verify chunks");
            if (problem != null) {
                problems.add(problem);
            }
        }
        return new VerifyReport(backupId, deep, taskManifests, files, sorted.size(), problems);
    }

    // ------------------------------------------------------------------ restore

    /** Restores a running module to a backup, keeping its parallelism. */
    public RestoreResult restore(String backupId) {
        return restore(backupId, null, ProgressListener.none());
    }

    /**
     * Restores the module of {@code backupId} to that backup. Every file is downloaded and verified
     * into staging before the runtime stops the module and swaps the staged files in.
     *
     * @param parallelism how to start the module; {@code null} keeps a running module's and is refused
     *     for a module that is not running
     * @throws BackupException when another module depends on an object the backup lacks, or the
     *     module is not running and no parallelism was given
     * @throws CorruptBackupException when anything stored does not verify; live state is untouched
     */
    public RestoreResult restore(String backupId, Parallelism parallelism, ProgressListener listener) {
        long started = clock.millis();
        ModuleManifest manifest = info(backupId);
        String module = manifest.module();
        checkDependents(manifest);
        if (restoresInProgress.putIfAbsent(module, new RestoreInProgress(module, backupId, started)) != null) {
            throw new BackupException("module " + module + " is being restored already (from "
                    + restoresInProgress.get(module).backupId() + "); wait for that restore to finish");
        }
        try {
            return restore(manifest, parallelism, listener, started);
        } finally {
            restoresInProgress.remove(module);
        }
    }

    /** The restore of {@code module} in progress, if any. */
    public Optional<RestoreInProgress> restoreInProgress(String module) {
        return Optional.ofNullable(restoresInProgress.get(module));
    }

    private RestoreResult restore(ModuleManifest manifest, Parallelism parallelism, ProgressListener listener, long started) {
        String module = manifest.module();
        String backupId = manifest.backupId();
        Optional<ModuleDescriptor> current = runtime.describe(module);
        if (parallelism == null && (current.isEmpty() || !current.get().running())) {
            throw new BackupException("module " + module + " is not running: give --threads, --workers and optionally "
                    + "--replicationFactor to restore it");
        }
        Map<Integer, String> placement = runtime.placeRestore(manifest.descriptor(), parallelism);
        String restoreId = "restore-" + Long.toHexString(started) + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt());
        Path stagedJar = null;
        try {
            AtomicInteger tasksDone = new AtomicInteger();
            AtomicLong bytesDone = new AtomicLong();
            AtomicLong filesDone = new AtomicLong();
            List<CompletableFuture<TaskRestoreResult>> results = new ArrayList<>();
            for (TaskRef ref : manifest.tasks()) {
                TaskRestoreRequest request = new TaskRestoreRequest(module, manifest.backupId(), restoreId, ref.task(), ref,
                        manifest.chunkSize());
                results.add(workers.apply(placement.get(ref.task())).restoreTask(request).whenComplete((r, e) -> {
                    if (e == null) {
                        listener.onProgress(new Progress("restore", bytesDone.addAndGet(r.bytes()), manifest.totals().bytes(),
                                filesDone.addAndGet(r.files()), manifest.totals().files(), tasksDone.incrementAndGet(),
                                manifest.tasks().size()));
                    }
                }));
            }
            Path jarDir = Files.createTempDirectory("modbackup-jar-");
            stagedJar = jarDir.resolve(manifest.jar().path());
            CompletableFuture<Void> jar = chunks.restore(manifest.jar(), stagedJar, "jar of backup " + backupId, new TransferStats());
            List<TaskRestoreResult> staged = await(CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
                    .thenApply(v -> results.stream().map(CompletableFuture::join).toList()), "stage backup " + backupId);
            await(jar, "stage the jar of backup " + backupId);
            long stagedMillis = clock.millis();
            RestoreMarker marker = runtime.installRestore(new RestoreRequest(restoreId, manifest.backupId(),
                    manifest.descriptor(), parallelism, placement, stagedJar));
            log.info("restored module {} to backup {} (restore epoch {}): staged in {} ms, installed in {} ms", module,
                    backupId, marker.epoch(), stagedMillis - started, clock.millis() - stagedMillis);
            return new RestoreResult(backupId, marker, staged.stream().mapToLong(TaskRestoreResult::files).sum() + 1,
                    staged.stream().mapToLong(TaskRestoreResult::bytes).sum() + manifest.jar().size(),
                    clock.millis() - started, stagedMillis - started);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stage the restore of " + backupId, e);
        } catch (RuntimeException e) {
            new HashSet<>(placement.values()).forEach(s -> runtime.supervisor(s).discardStaging(module, restoreId));
            throw e;
        } finally {
            if (stagedJar != null) {
                deleteQuietly(stagedJar);
                deleteQuietly(stagedJar.getParent());
            }
        }
    }

    /** Refuses a restore that would take away an object another module depends on. */
    private void checkDependents(ModuleManifest manifest) {
        for (String other : runtime.moduleNames()) {
            if (other.equals(manifest.module())) {
                continue;
            }
            ModuleDescriptor dependent = runtime.describe(other).orElse(null);
            if (dependent == null) {
                continue;
            }
            for (ObjectRef needed : dependent.dependencies()) {
                if (needed.module().equals(manifest.module()) && !manifest.descriptor().hasObject(needed.kind(), needed.name())) {
                    throw new BackupException("restore of " + manifest.backupId() + " refused: module " + other
                            + " depends on " + needed + ", which that backup does not have; choose a backup that has it"
                            + " or update module " + other + " first");
                }
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    private static BackupSummary summary(ModuleManifest m) {
        return new BackupSummary(m.backupId(), m.createdMillis(), m.completedMillis(), m.tasks().size(), m.totals().files(),
                m.totals().bytes(), m.totals().newBytes(), m.totals().durationMillis());
    }

    private static String encodePageToken(String backupId) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(backupId.getBytes(StandardCharsets.UTF_8));
    }

    private static BackupId decodePageToken(String token, String module) {
        try {
            BackupId id = BackupId.parse(new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8));
            if (id.module().equals(module)) {
                return id;
            }
        } catch (IllegalArgumentException e) {
            // refused below
        }
        throw new IllegalArgumentException("invalid page token '" + token + "' for the backups of module " + module
                + ": use the token printed by the previous page of the same listing, or list again without one");
    }

    private BackupException unknownModule(String module) {
        return new BackupException("unknown module " + module + ": the cluster has no such module"
                + (runtime.moduleNames().isEmpty() ? "" : " (modules: " + String.join(", ", runtime.moduleNames()) + ")"));
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** Waits for an engine future, rethrowing its cause unwrapped. */
    private static <T> T await(CompletableFuture<T> future, String doing) {
        return BackupStore.await(future, doing);
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.debug("cannot delete {}: {}", path, e.toString());
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    @Override
    public void close() {
        locks.close();
        tasks.shutdown();
        io.shutdown();
    }
}
