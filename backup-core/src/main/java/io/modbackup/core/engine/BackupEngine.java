package io.modbackup.core.engine;

import io.modbackup.core.async.DaemonThreads;
import io.modbackup.core.async.Futures;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.runtime.ClusterRuntime;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.core.error.BackupException;
import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.fs.PrivateFiles;
import io.modbackup.core.store.TransferLimits;
import io.modbackup.core.gc.GarbageCollector;
import io.modbackup.core.gc.GcReport;
import io.modbackup.core.gc.RetentionPolicy;
import io.modbackup.core.lock.StoreLocks;
import io.modbackup.core.manifest.ManifestCodec;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.store.BackupStore;
import io.modbackup.core.store.ChunkStore;
import io.modbackup.core.store.SealingProvider;
import io.modbackup.core.seal.StoreFormat;
import io.modbackup.api.crypto.MasterKeyProvider;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backup coordinator, in the Conductor: backs up a module through the runtime SPI into the store
 * of a {@link BackupProvider}, lists and inspects backups, verifies and restores them, and collects
 * garbage. Task work runs in {@link TaskWorker}s next to the tasks' files; by default in-process
 * {@link LocalTaskWorker}s. The verbs are carried out by {@link ModuleBackup}, {@link ModuleRestore},
 * {@link BackupCatalog} and {@link GarbageCollector}; this class wires them to one store.
 *
 * <p>Methods block until done and are safe to call from several threads; the work itself runs on the
 * engine's own bounded executors, never on the caller's or the runtime's task threads. Every failure
 * a caller can cause is a {@link BackupException} carrying its {@link BackupException.Problem}, or a
 * {@link CorruptBackupException}.
 */
public final class BackupEngine implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BackupEngine.class);

    /** Tries per store operation; with the delays below a failing store is given about 3 seconds. */
    static final int RETRY_ATTEMPTS = 6;
    static final Duration RETRY_FIRST_DELAY = Duration.ofMillis(50);

    private final ClusterRuntime runtime;
    private final StoreLocks locks;
    private final ExecutorService io;
    /** Threads that fsync restored files (they only wait for the disk). */
    private final ExecutorService syncs;
    private final ExecutorService tasks;
    private final BackupStore store;
    private final SealingProvider sealing;
    private final GarbageCollector collector;
    private final ModuleBackup backups;
    private final ModuleRestore restores;
    private final BackupCopy copies;
    private final TransferLimits limits;
    private final Clock engineClock;
    private final BackupCatalog catalog;
    private final Map<String, TaskWorker> localWorkers = new ConcurrentHashMap<>();

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
        ManifestCodec codec = new ManifestCodec();
        this.runtime = runtime;
        this.io = Executors.newFixedThreadPool(options.ioThreads(), DaemonThreads.named("modbackup-io-"));
        this.syncs = Executors.newFixedThreadPool(ChunkStore.SYNC_THREADS, DaemonThreads.named("modbackup-sync-"));
        StoreStack stack = StoreStack.open(backupProvider, options, io, syncs, clock);
        this.locks = new StoreLocks(stack.retrying(), clock, options.leaseTtl(), options.lockWait());
        this.sealing = stack.sealing();
        this.tasks = Executors.newFixedThreadPool(options.taskParallelism(), DaemonThreads.named("modbackup-task-"));
        ChunkStore chunks = stack.chunks();
        this.store = stack.store();
        this.collector = new GarbageCollector(store, locks, clock, this::retentionPolicy);
        Function<String, TaskWorker> taskWorkers = workers != null ? workers : supervisorId -> localWorkers.computeIfAbsent(
                supervisorId, id -> new LocalTaskWorker(runtime.supervisor(id), store, chunks, tasks,
                        options.filesInFlightPerTask(), stack.limits()));
        this.backups = new ModuleBackup(runtime, store, chunks, locks, codec, options, taskWorkers, clock);
        this.restores = new ModuleRestore(runtime, chunks, taskWorkers, options, clock);
        this.catalog = new BackupCatalog(runtime, store, chunks, codec, options.maxUploadsInFlight());
        this.copies = new BackupCopy(store, chunks, codec, options.scratchDirectory() != null
                ? PrivateFiles.createDirectories(options.scratchDirectory())
                : PrivateFiles.userScratch());
        this.engineClock = clock;
        this.limits = stack.limits();
    }

    // ------------------------------------------------------------------ backup

    /** Backs up {@code module} now and returns the committed manifest. */
    public ModuleManifest backup(String module) {
        return backup(module, Progress.Observer.none());
    }

    /**
     * Backs up {@code module} now: captures a consistent cut, uploads what the store lacks, writes the
     * task manifests and, last, the module manifest that makes the backup exist.
     *
     * @throws BackupException when the module is unknown or not running, the store belongs to another
     *     cluster, or a GC overtook the backup's lease
     */
    public ModuleManifest backup(String module, Progress.Observer observer) {
        return backups.run(module, observer);
    }

    /**
     * This process's transfer limits, as the last operation set them from its module's dynamic options
     * ({@code backup.upload.bytes.per.second}, {@code backup.restore.bytes.per.second}): what its in-process
     * workers move, and how long the limits held them back.
     */
    public TransferLimits transferLimits() {
        return limits;
    }

    // ------------------------------------------------------------------ copy

    /**
     * Copies backup {@code backupId} into the store behind {@code target}, a store in its own right
     * ({@code targetOptions} give its compression and master key), under the same ID: only the chunks the
     * target lacks are sent, and the copy is listed there only once complete and checked. Idempotent: a
     * backup the target holds is not sent again, and a copy that stopped half-way is run again.
     *
     * @throws BackupException when the backup is unknown, or the target belongs to another cluster or
     *     cannot be opened with {@code targetOptions}' key
     * @throws CorruptBackupException when the source's data does not verify
     */
    public CopyResult copy(String backupId, BackupProvider target, BackupOptions targetOptions) {
        return copies.copy(catalog.info(backupId), target, targetOptions, runtime.clusterId(), io, engineClock);
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
        store.ownership().claim(runtime.clusterId());
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
        String previous = store.ownership().takeOver(runtime.clusterId()).orElse("nobody");
        log.warn("cluster {} took ownership of the backup store from {}", runtime.clusterId(), previous);
    }

    /**
     * Rewraps the encrypted store's data key under {@code newKey}: one small write, no chunk or
     * manifest rewritten. This engine keeps working; processes that open the store afterwards need
     * {@code newKey} as their {@code backup.encryption.key}.
     *
     * @return the store's new format record
     * @throws BackupException when the store is not encrypted or this engine's key does not open it
     */
    public StoreFormat rotateKey(MasterKeyProvider newKey) {
        StoreFormat rotated = Futures.await(sealing.keys().rotate(newKey), "rotate the store's key");
        log.warn("the backup store's data key is now wrapped by master key {} (was {})", rotated.encryption().keyId(),
                rotated.encryption().previousKeyId());
        return rotated;
    }

    /** The store's format record, or empty for a store of format 1 or one never written to. */
    public Optional<StoreFormat> storeFormat() {
        return Futures.await(sealing.keys().readFormat(), "read the store's format record");
    }

    /** The cluster that owns the store, if any backup was ever taken. */
    public Optional<String> storeOwner() {
        return store.ownership().owner();
    }

    /**
     * Fails unless the store was ever written to; read-only callers use it so that a mistyped store
     * location is reported rather than listed as empty.
     *
     * @throws BackupException ({@link BackupException.Problem#STORE_EMPTY}) when it was not
     */
    public void requireStoreExists() {
        store.ownership().requireExists();
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
        return catalog.list(module, pageToken, pageSize);
    }

    /**
     * The manifest of a backup: depots, PStates, topologies, tasks, commit IDs, sizes.
     *
     * @throws IllegalArgumentException for a malformed backup ID
     * @throws BackupException when the store has no such backup
     * @throws CorruptBackupException when its manifest is damaged or tampered with
     */
    public ModuleManifest info(String backupId) {
        return catalog.info(backupId);
    }

    /**
     * Checks that a backup can be restored: its manifests are intact and every chunk is present; when
     * {@code deep}, every chunk is downloaded and re-hashed.
     */
    public VerifyReport verify(String backupId, boolean deep) {
        return catalog.verify(backupId, deep, null);
    }

    /**
     * As {@link #verify(String, boolean)} without {@code deep}, downloading and re-hashing the chunks of
     * part {@code sample} ({@code n/t}): verifying parts 1 to t in turn reads every chunk once.
     */
    public VerifyReport verify(String backupId, VerifySample sample) {
        return catalog.verify(backupId, false, java.util.Objects.requireNonNull(sample, "sample"));
    }

    // ------------------------------------------------------------------ restore

    /** Restores a running module to a backup, keeping its parallelism. */
    public RestoreResult restore(String backupId) {
        return restore(backupId, null, Progress.Observer.none());
    }

    /**
     * Restores the module of {@code backupId} to that backup. Every file is downloaded and verified
     * into staging before the runtime stops the module and swaps the staged files in.
     *
     * @param parallelism how to start the module; {@code null} keeps a running module's and is refused
     *     for a module that is not running
     * @throws BackupException when another module depends on an object the backup lacks, the module is
     *     being restored already, or it is not running and no parallelism was given
     * @throws CorruptBackupException when anything stored does not verify; live state is untouched
     */
    public RestoreResult restore(String backupId, Parallelism parallelism, Progress.Observer observer) {
        return restores.run(catalog.info(backupId), parallelism, observer);
    }

    /** The restore of {@code module} in progress, if any. */
    public Optional<RestoreInProgress> restoreInProgress(String module) {
        return restores.inProgress(module);
    }

    @Override
    public void close() {
        locks.close();
        tasks.shutdown();
        io.shutdown();
        syncs.shutdown();
    }
}
