package io.modbackup.core.engine;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.runtime.SupervisorRuntime;
import io.modbackup.core.async.DaemonThreads;
import io.modbackup.core.store.ChunkStore;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The task worker of one Supervisor process: it reads that Supervisor's pinned cuts and stages its
 * restores, and moves chunks between them and the store through its own provider (loaded in the
 * Supervisor from the cluster's {@code backup.provider}), so task data never passes through the
 * Conductor. The Conductor reaches it over the host's RPC. Thread-safe; owns its executors until
 * {@link #close()}.
 */
public final class SupervisorWorker implements TaskWorker, AutoCloseable {
    private final ExecutorService io;
    private final ExecutorService syncs;
    private final ExecutorService tasks;
    private final LocalTaskWorker worker;

    /** A worker on {@code supervisor}'s files and {@code provider}'s store, sized by {@code options}. */
    public SupervisorWorker(SupervisorRuntime supervisor, BackupProvider provider, BackupOptions options) {
        this.io = Executors.newFixedThreadPool(options.ioThreads(), DaemonThreads.named("modbackup-io-"));
        this.tasks = Executors.newFixedThreadPool(options.taskParallelism(), DaemonThreads.named("modbackup-task-"));
        this.syncs = Executors.newFixedThreadPool(ChunkStore.SYNC_THREADS,
                DaemonThreads.named("modbackup-sync-"));
        StoreStack stack = StoreStack.open(provider, options, io, syncs, java.time.Clock.systemUTC());
        this.worker = new LocalTaskWorker(supervisor, stack.store(), stack.chunks(), tasks, options.filesInFlightPerTask(),
                stack.limits());
    }

    /** Bytes of local files read and hashed for backups so far (see {@link LocalTaskWorker#bytesHashed()}). */
    public long bytesHashed() {
        return worker.bytesHashed();
    }

    @Override
    public CompletableFuture<TaskBackupResult> backupTask(TaskBackupRequest request) {
        return worker.backupTask(request);
    }

    @Override
    public CompletableFuture<TaskRestoreResult> restoreTask(TaskRestoreRequest request) {
        return worker.restoreTask(request);
    }

    @Override
    public void close() {
        tasks.shutdownNow();
        io.shutdownNow();
        syncs.shutdownNow();
    }
}
