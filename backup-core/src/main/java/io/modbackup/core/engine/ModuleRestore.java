package io.modbackup.core.engine;

import io.modbackup.api.fs.FileTrees;
import io.modbackup.api.runtime.ClusterRuntime.RestoreRequest;
import io.modbackup.api.runtime.ClusterRuntime;
import io.modbackup.api.runtime.DepotRef;
import io.modbackup.api.runtime.ModuleDescriptor;
import io.modbackup.api.runtime.ObjectKind;
import io.modbackup.api.runtime.ObjectRef;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.api.runtime.PathSegment;
import io.modbackup.api.runtime.RestoreMarker;
import io.modbackup.api.runtime.TopologySpec;
import io.modbackup.core.async.Futures;
import io.modbackup.core.engine.TaskWorker.TaskRestoreRequest;
import io.modbackup.core.engine.TaskWorker.TaskRestoreResult;
import io.modbackup.core.error.BackupException.Problem;
import io.modbackup.core.error.BackupException;
import io.modbackup.core.fs.PrivateFiles;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.manifest.TaskRef;
import io.modbackup.core.store.ChunkStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's side of a restore: refuses one that would break another module's dependency, has
 * each task's worker download and verify its files into staging, then hands the staged state to the
 * runtime, which stops the module, swaps it in and starts it. Live state is untouched until every
 * file verified. One restore per module at a time; thread-safe.
 */
final class ModuleRestore {
    private static final Logger log = LoggerFactory.getLogger(ModuleRestore.class);

    private final ClusterRuntime runtime;
    private final ChunkStore chunks;
    private final Function<String, TaskWorker> workers;
    private final Clock clock;
    private final BackupOptions options;
    private final Map<String, BackupEngine.RestoreInProgress> inProgress = new ConcurrentHashMap<>();
    /** Where jars are staged: the node's own directory, or this user's private one. */
    private final Path scratch;

    ModuleRestore(ClusterRuntime runtime, ChunkStore chunks, Function<String, TaskWorker> workers, BackupOptions options,
                  Clock clock) {
        this.options = options;
        this.runtime = runtime;
        this.chunks = chunks;
        this.workers = workers;
        this.clock = clock;
        if (options.scratchDirectory() != null) {
            this.scratch = PrivateFiles.createDirectories(options.scratchDirectory());
            PrivateFiles.checkOwnDirectory(scratch);
        } else {
            this.scratch = PrivateFiles.userScratch(); // checked as it is made
        }
        removeJarStagingOfExitedProcesses();
    }

    /** Prefix of the directory a restore stages its jar in (under {@link #scratch}), followed by the process ID and a dash. */
    static final String JAR_STAGING_PREFIX = "jar-";

    /**
     * Deletes the jar staging directories of processes of this machine that exited mid-restore (killed
     * before their cleanup ran); each directory's name carries its process ID. The scratch directory is
     * this user's alone ({@code 0700}, checked), and the deletion removes links rather than following them.
     */
    private void removeJarStagingOfExitedProcesses() {
        try (var dirs = Files.newDirectoryStream(scratch, JAR_STAGING_PREFIX + "*")) {
            for (Path dir : dirs) {
                String rest = dir.getFileName().toString().substring(JAR_STAGING_PREFIX.length());
                int dash = rest.indexOf('-');
                long pid;
                try {
                    pid = Long.parseLong(dash < 0 ? rest : rest.substring(0, dash));
                } catch (NumberFormatException notOurs) {
                    continue;
                }
                if (pid != ProcessHandle.current().pid() && ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true)) {
                    FileTrees.deleteTree(dir);
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            log.debug("cannot clean jar staging in {}: {}", scratch, e.toString());
        }
    }

    RestoreResult run(ModuleManifest manifest, Parallelism parallelism, Progress.Observer observer) {
        long started = clock.millis();
        String module = manifest.module();
        checkDependents(manifest);
        BackupEngine.RestoreInProgress running = inProgress.putIfAbsent(module,
                new BackupEngine.RestoreInProgress(module, manifest.backupId(), started));
        if (running != null) {
            throw new BackupException(Problem.RESTORE_IN_PROGRESS, module, "module " + module + " is being restored"
                    + " already (from " + running.backupId() + "); wait for that restore to finish");
        }
        try {
            return stageAndInstall(manifest, parallelism, observer, started);
        } finally {
            inProgress.remove(module);
        }
    }

    Optional<BackupEngine.RestoreInProgress> inProgress(String module) {
        return Optional.ofNullable(inProgress.get(module));
    }

    private RestoreResult stageAndInstall(ModuleManifest manifest, Parallelism parallelism, Progress.Observer observer,
                                          long started) {
        String module = manifest.module();
        String backupId = manifest.backupId();
        Optional<ModuleDescriptor> current = runtime.describe(module);
        if (parallelism == null && (current.isEmpty() || !current.get().running())) {
            throw new BackupException(Problem.PARALLELISM_REQUIRED, module, "module " + module + " is not running: give"
                    + " a parallelism (threads, workers and a replication factor) to restore it");
        }
        if (parallelism != null && current.isPresent() && current.get().running()) {
            // Rama applies a parallelism only to a module that is not running; ignoring it would surprise.
            throw new BackupException(Problem.PARALLELISM_NOT_APPLICABLE, module, "module " + module + " is running: a"
                    + " restore of a running module keeps its parallelism, so restore it without one");
        }
        Map<Integer, String> placement = runtime.placeRestore(manifest.descriptor(), parallelism);
        String restoreId = "restore-" + Long.toHexString(started) + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt());
        Path stagedJar = null;
        try {
            List<CompletableFuture<TaskRestoreResult>> results = stageTasks(manifest, restoreId, placement, observer);
            Path jarDir = Files.createTempDirectory(scratch, JAR_STAGING_PREFIX + ProcessHandle.current().pid() + "-",
                    PrivateFiles.directoryAttribute());
            stagedJar = jarDir.resolve(PathSegment.check("jar file name", manifest.jar().path()));
            Path jarFile = stagedJar;
            CompletableFuture<Void> jar = chunks.restore(manifest.jar(), manifest.chunkSize(), stagedJar, "jar of backup " + backupId)
                    .thenCompose(v -> chunks.syncRestored(List.of(jarFile), List.of(jarDir), 1));
            List<TaskRestoreResult> staged = Futures.awaitAll(results, "stage backup " + backupId);
            Futures.await(jar, "stage the jar of backup " + backupId);
            long stagedMillis = clock.millis();
            RestoreMarker marker = runtime.installRestore(new RestoreRequest(restoreId, backupId, manifest.descriptor(),
                    parallelism, placement, stagedJar));
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

    private List<CompletableFuture<TaskRestoreResult>> stageTasks(ModuleManifest manifest, String restoreId,
                                                                  Map<Integer, String> placement, Progress.Observer observer) {
        AtomicInteger tasksDone = new AtomicInteger();
        AtomicLong bytesDone = new AtomicLong();
        AtomicLong filesDone = new AtomicLong();
        List<CompletableFuture<TaskRestoreResult>> results = new ArrayList<>();
        for (TaskRef ref : manifest.tasks()) {
            TaskRestoreRequest request = new TaskRestoreRequest(manifest.module(), manifest.backupId(), restoreId,
                    ref.task(), ref, manifest.chunkSize(), TransferRates.restore(runtime.describe(manifest.module())
                    .orElse(manifest.descriptor())));
            String supervisorId = placement.get(ref.task());
            TaskWorker worker = workers.apply(supervisorId);
            results.add(TaskAttempts.run(() -> worker.restoreTask(request), options.taskTimeout(), options.taskAttempts(),
                    "task " + ref.task() + " of the restore of " + manifest.backupId() + " on " + supervisorId)
                    .whenComplete((r, e) -> {
                if (e == null) {
                    observer.onProgress(new Progress("restore", bytesDone.addAndGet(r.bytes()), manifest.totals().bytes(),
                            filesDone.addAndGet(r.files()), manifest.totals().files(), tasksDone.incrementAndGet(),
                            manifest.tasks().size(), request.bytesPerSecond()));
                }
            }));
        }
        return results;
    }

    /**
     * Refuses a restore that would take away an object another module depends on: one it declares, or a
     * depot one of its topologies subscribes to.
     */
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
                    throw new BackupException(Problem.RESTORE_BREAKS_DEPENDENCY, manifest.backupId(), "restore of "
                            + manifest.backupId() + " refused: module " + other + " depends on " + needed + ", which that"
                            + " backup does not have; choose a backup that has it or update module " + other + " first");
                }
            }
            for (TopologySpec topology : dependent.topologies()) {
                for (DepotRef depot : topology.subscriptions()) {
                    if (depot.module().equals(manifest.module())
                            && !manifest.descriptor().hasObject(ObjectKind.DEPOT, depot.depot())) {
                        throw new BackupException(Problem.RESTORE_BREAKS_DEPENDENCY, manifest.backupId(), "restore of "
                                + manifest.backupId() + " refused: topology " + topology.name() + " of module " + other
                                + " subscribes to depot " + depot.depot() + " of module " + manifest.module() + ", which that"
                                + " backup does not have; choose a backup that has it or update module " + other + " first");
                    }
                }
            }
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.debug("cannot delete {}: {}", path, e.toString());
        }
    }
}
