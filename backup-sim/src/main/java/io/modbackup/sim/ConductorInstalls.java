package io.modbackup.sim;

import io.modbackup.api.runtime.ClusterRuntime.RestoreRequest;
import io.modbackup.api.runtime.ModuleDescriptor;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.api.runtime.RestoreMarker;
import io.modbackup.sim.InstallJournal.InstallIntent;
import io.modbackup.sim.SupervisorChannel.InstallOrder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Conductor's side of restores: which restores stage into the Supervisors, the journaled install
 * (decision record, then each Supervisor's journaled swap, then the module, jar and marker), and the
 * one recovery that finishes a decided install after any failure. Installs run under the Conductor's
 * monitor, as every change of its module records does. Thread-safe.
 */
final class ConductorInstalls {
    private static final Logger log = LoggerFactory.getLogger(ConductorInstalls.class);

    private final ConductorRuntime conductor;
    private final ClusterState state;
    private final InstallJournal journal;
    private final ModuleCode code;
    private final SupervisorCalls calls;
    /** Modules with a decided install not finished. */
    private final Set<String> installing = ConcurrentHashMap.newKeySet();
    /** Restores staging into the Supervisors, restore ID to module. */
    private final Map<String, String> staging = new ConcurrentHashMap<>();
    private final AtomicBoolean recovering = new AtomicBoolean();
    private volatile Consumer<String> steps = step -> { };

    ConductorInstalls(ConductorRuntime conductor, ClusterState state, ModuleCode code, SupervisorCalls calls) {
        this.conductor = conductor;
        this.state = state;
        this.journal = new InstallJournal(state);
        this.code = code;
        this.calls = calls;
        journal.interrupted().forEach(intent -> installing.add(intent.descriptor().name()));
    }

    /** Hears each durable step of an install by name, to crash there in tests. */
    void onStep(Consumer<String> listener) {
        steps = listener;
    }

    /** Whether {@code module} has a decided install not finished: it stays stopped until it is. */
    boolean installing(String module) {
        return installing.contains(module);
    }

    boolean anyInstalling() {
        return !installing.isEmpty();
    }

    /** Modules with a restore staging or installing: the Supervisors keep their staging. */
    Set<String> restoringModules() {
        Set<String> restoring = new TreeSet<>(installing);
        restoring.addAll(staging.values());
        return restoring;
    }

    /** Notes that a restore stages into the Supervisors, so they keep its staging until it ends. */
    void stagingStarted(String module, String restoreId) {
        staging.put(restoreId, module);
    }

    /**
     * Discards a restore's staging on one Supervisor, unless the restore is decided: then its install
     * (or the recovery) swaps every staged task and removes the rest.
     */
    void discardStaging(String supervisorId, String module, String restoreId) {
        if (journal.decided(restoreId)) {
            log.info("restore {} of {} is decided; its staging stays until the install finishes", restoreId, module);
            return;
        }
        staging.remove(restoreId);
        try {
            calls.of(supervisorId).discardStaging(module, restoreId);
        } catch (RuntimeException e) {
            log.info("Supervisor {} did not discard staging {} now; it does when it reports: {}", supervisorId,
                    restoreId, e.getMessage());
        }
    }

    /**
     * Checks that every task is staged where it was placed, writes the decision record, stops the
     * module, has each Supervisor swap (journaled there), then records the module, its jar and its new
     * marker and starts it everywhere. A failure after the decision leaves the install to the recovery,
     * which starts at once in the background.
     */
    RestoreMarker install(RestoreRequest request) {
        synchronized (conductor) {
            ModuleDescriptor restored = request.descriptor();
            String module = restored.name();
            ModuleDefinition definition = code.ofJar(request.stagedJar()).filter(d -> d.name().equals(module))
                    .orElseThrow(() -> new IllegalArgumentException("the restored jar of module " + module + " ("
                            + request.stagedJar().getFileName() + ") carries code this cluster does not have"));
            if (definition.taskCount() != restored.taskCount()) {
                throw new IllegalArgumentException("module " + module + " has " + definition.taskCount()
                        + " tasks in its code but the backup has " + restored.taskCount());
            }
            requireStaged(request, module);
            Parallelism parallelism = request.parallelism() != null ? request.parallelism()
                    : conductor.describe(module).orElseThrow(() -> new IllegalArgumentException(
                            "module " + module + " is not deployed: give a parallelism to restore it")).parallelism();
            long epoch = conductor.restoreMarker(module).map(RestoreMarker::epoch).orElse(0L) + 1;
            InstallIntent intent = new InstallIntent(request.restoreId(), request.backupId(),
                    restored.withDeployment(true, parallelism), Map.copyOf(request.placement()),
                    conductor.placementIfDeployed(module), epoch);
            installing.add(module);
            journal.begin(intent, request.stagedJar());
            steps.accept("decision-written");
            try {
                return complete(intent);
            } catch (RuntimeException e) {
                // Decided: keep trying in the background until every Supervisor has swapped.
                calls.execute(this::recover);
                throw e;
            }
        }
    }

    private void requireStaged(RestoreRequest request, String module) {
        try {
            Map<String, List<Integer>> staged = new HashMap<>();
            List<String> targets = new LinkedHashSet<>(request.placement().values()).stream().sorted().toList();
            List<List<Integer>> answers = calls.all(targets, (s, c) -> c.stagedTasks(module, request.restoreId()));
            for (int i = 0; i < targets.size(); i++) {
                staged.put(targets.get(i), answers.get(i));
            }
            request.placement().forEach((task, s) -> {
                if (!staged.get(s).contains(task)) {
                    throw new IllegalStateException("task " + task + " of module " + module + " has nothing staged on "
                            + s + " for restore " + request.restoreId());
                }
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted before installing restore " + request.restoreId(), e);
        }
    }

    /**
     * Finishes every install whose decision record a failure left, retrying each Supervisor until it
     * answers or the Conductor closes. One recovery runs at a time.
     */
    void recover() {
        if (!recovering.compareAndSet(false, true)) {
            return; // one recovery at a time; it retries until every decided install finished
        }
        try {
            for (InstallIntent intent : journal.interrupted()) {
                while (!conductor.closed() && installing.contains(intent.descriptor().name())) {
                    try {
                        complete(intent);
                        log.warn("finished the install of restore {} of {} that a failure interrupted", intent.restoreId(),
                                intent.descriptor().name());
                    } catch (RuntimeException e) {
                        log.info("install of restore {} waits for the Supervisors: {}", intent.restoreId(), e.getMessage());
                        pause();
                    }
                }
            }
        } finally {
            recovering.set(false);
        }
    }

    /** Carries out a decided install; idempotent, so a failure is retried by calling it again. */
    private RestoreMarker complete(InstallIntent intent) {
        synchronized (conductor) {
            String module = intent.descriptor().name();
            conductor.stopCoordinators(module);
            Map<Integer, Map<String, Long>> ends = swapEverywhere(intent);
            try {
                state.installJar(journal.stagedJar(intent), module, intent.descriptor().jarName());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot install the jar of module " + module, e);
            }
            ModuleDefinition definition = code.ofJar(journal.stagedJar(intent)).orElseGet(() -> conductor.definition(module));
            steps.accept("jar-installed");
            conductor.recordInstalled(intent.descriptor(), intent.placement(), definition);
            steps.accept("module-recorded");
            Map<String, List<Long>> depotEnds = new TreeMap<>();
            for (String depot : definition.depots()) {
                List<Long> partitionEnds = new ArrayList<>();
                for (int task = 0; task < intent.descriptor().taskCount(); task++) {
                    partitionEnds.add(ends.get(task).get(depot));
                }
                depotEnds.put(depot, partitionEnds);
            }
            RestoreMarker marker = new RestoreMarker(module, intent.epoch(), intent.backupId(), System.currentTimeMillis(),
                    depotEnds);
            // Durable before the module runs again, and handed to the Supervisors with the order to host it, so
            // the restored tasks recalibrate against it from their first step; other Supervisors hear of it with
            // their next heartbeat, and until then their reads of the module's depots name the old epoch and
            // come back empty, so no topology mixes restored entries with old offsets.
            state.saveMarker(marker);
            steps.accept("marker-written");
            conductor.hostEverywhere(module, marker);
            conductor.startCoordinators(module);
            conductor.recordMarker(marker);
            installing.remove(module);
            staging.remove(intent.restoreId());
            journal.finish(module);
            return marker;
        }
    }

    /**
     * Has each involved Supervisor swap its staged tasks in and drop those placed elsewhere, one after
     * another (installs are rare; a crash between two swaps is a state the journals must cover, and one a
     * test can reach). Returns each task's depot end offsets as installed.
     */
    private Map<Integer, Map<String, Long>> swapEverywhere(InstallIntent intent) {
        String module = intent.descriptor().name();
        Set<String> involved = new LinkedHashSet<>(intent.placement().values());
        involved.addAll(intent.previousPlacement().values());
        Map<Integer, Map<String, Long>> ends = new TreeMap<>();
        try {
            for (String s : involved.stream().sorted().toList()) {
                List<Integer> swap = tasksOn(intent.placement(), s);
                List<Integer> remove = tasksOn(intent.previousPlacement(), s).stream().filter(t -> !swap.contains(t)).toList();
                ends.putAll(calls.of(s).installSwap(new InstallOrder(module, intent.restoreId(), swap, remove)));
                steps.accept("swapped-" + s);
            }
        } catch (RuntimeException e) {
            throw new IllegalStateException("install of restore " + intent.restoreId() + " of " + module
                    + " is decided but not finished (it finishes when every Supervisor answers): " + e.getMessage(), e);
        }
        return ends;
    }

    private static List<Integer> tasksOn(Map<Integer, String> placement, String supervisorId) {
        return placement.entrySet().stream().filter(e -> e.getValue().equals(supervisorId)).map(Map.Entry::getKey)
                .sorted().toList();
    }

    private static void pause() {
        try {
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
