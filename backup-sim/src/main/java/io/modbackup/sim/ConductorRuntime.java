package io.modbackup.sim;

import io.modbackup.api.runtime.CapturedFile;
import io.modbackup.api.runtime.ClusterRuntime;
import io.modbackup.api.runtime.CutDescriptor;
import io.modbackup.api.runtime.ModuleDescriptor;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.api.runtime.RestoreMarker;
import io.modbackup.api.runtime.SupervisorRuntime;
import io.modbackup.api.runtime.TaskCut;
import io.modbackup.sim.InstallJournal.InstallIntent;
import io.modbackup.sim.SupervisorChannel.InstallOrder;
import io.modbackup.sim.SupervisorChannel.PreparedCut;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Conductor of a multi-process cluster: it owns module records, placements, restore markers and
 * jars under {@code root/conductor}, drives each microbatch topology across the Supervisors, and
 * implements the {@link ClusterRuntime} SPI by calling the Supervisors through their
 * {@link SupervisorChannel}s. It never opens a file under a Supervisor's root.
 *
 * <p>The cut is two-phase with a deadline: every Supervisor hosting the module pauses and checkpoints
 * (prepare), then captures its depots and resumes (complete); a Supervisor failing or late in either
 * phase aborts the cut on every Supervisor. A restore's install writes a decision record (the
 * {@link InstallJournal}) before asking any Supervisor to swap; each Supervisor journals its own swap,
 * so the module ends old everywhere or new everywhere, and a Conductor restarted with a decision record
 * drives the install to its end once the Supervisors answer.
 */
public final class ConductorRuntime implements ClusterRuntime, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ConductorRuntime.class);
    /** The shipped deadline of a cut's phase, a microbatch and each Supervisor call. */
    public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(10);

    private final String clusterId;
    private final List<String> supervisorIds;
    private final ModuleCode code;
    private final Duration deadline;
    private final ClusterState state;
    private final InstallJournal journal;
    private final Map<String, ModuleRecord> modules = new ConcurrentHashMap<>();
    private final Map<String, RestoreMarker> markers = new ConcurrentHashMap<>();
    private final Map<String, MicrobatchCoordinator> coordinators = new ConcurrentHashMap<>();
    private final Set<String> liveCuts = ConcurrentHashMap.newKeySet();
    private final Set<String> installing = ConcurrentHashMap.newKeySet();
    private final Map<String, String> staging = new ConcurrentHashMap<>();
    private final AtomicLong cutCounter = new AtomicLong();
    private final java.util.concurrent.atomic.AtomicBoolean recovering = new java.util.concurrent.atomic.AtomicBoolean();
    private final Map<String, CutTiming> cutTimings = new ConcurrentHashMap<>();
    private final SupervisorCalls calls;
    private volatile boolean closed;
    private volatile java.util.function.Consumer<String> installSteps = step -> { };

    /** A deployed module: as described, where its tasks live, and the code its jar carries. */
    private record ModuleRecord(ModuleDescriptor descriptor, Map<Integer, String> placement, ModuleDefinition definition) {
    }

    /**
     * How long a cut's phases took, as the Conductor saw them.
     *
     * @param tasks tasks in the cut
     * @param supervisors Supervisors in the cut
     * @param prepareMillis from asking the Supervisors to pause until all had checkpointed
     * @param pauseMillis from asking the Supervisors to pause until all had resumed: an upper bound of how
     *     long any topology was paused
     */
    public record CutTiming(int tasks, int supervisors, long prepareMillis, long pauseMillis) {
    }

    /**
     * What every Supervisor needs to know of the cluster, sent with each heartbeat answer.
     *
     * @param taskCounts each module's task count
     * @param placements each module's task to Supervisor
     * @param markers each restored module's latest restore marker
     * @param liveCuts cuts still in use; a Supervisor removes pins of others
     * @param restoringModules modules with a restore staging or installing; a Supervisor removes other staging
     */
    public record ClusterSnapshot(Map<String, Integer> taskCounts, Map<String, Map<Integer, String>> placements,
                                  Map<String, RestoreMarker> markers, Set<String> liveCuts, Set<String> restoringModules) {
    }

    /**
     * Opens the Conductor at {@code root}, reloading its modules; installs a crash interrupted are finished
     * by {@link #recoverInstalls()} once the Supervisors answer.
     *
     * @param channels reaches a Supervisor by ID; throws {@link IllegalStateException} for one not reachable
     * @param deadline how long a cut's phase, a microbatch and each Supervisor call may take
     */
    public ConductorRuntime(String clusterId, Path root, List<String> supervisorIds, List<ModuleDefinition> catalog,
                            Function<String, SupervisorChannel> channels, Duration deadline) {
        this(clusterId, root, supervisorIds, new ModuleCode(catalog), channels, deadline, true);
    }

    /**
     * As {@link #ConductorRuntime(String, Path, List, List, Function, Duration)}, with {@code code} shared
     * with Supervisors in the same process; {@code live} false opens a read-only view that drives nothing.
     */
    ConductorRuntime(String clusterId, Path root, List<String> supervisorIds, ModuleCode code,
                     Function<String, SupervisorChannel> channels, Duration deadline, boolean live) {
        this.clusterId = clusterId;
        this.supervisorIds = List.copyOf(supervisorIds);
        this.calls = new SupervisorCalls(channels, deadline);
        this.deadline = deadline;
        this.state = new ClusterState(root.toAbsolutePath());
        this.journal = new InstallJournal(state);
        this.code = code;
        for (ClusterState.StoredModule stored : state.loadModules()) {
            String module = stored.descriptor().name();
            ModuleDefinition definition = code.ofJar(state.jar(module, stored.descriptor().jarName()))
                    .orElseGet(() -> code.named(module).orElseThrow(() -> new IllegalStateException(
                            "no code for deployed module " + module + " in cluster " + clusterId)));
            modules.put(module, new ModuleRecord(stored.descriptor(), Map.copyOf(stored.placement()), definition));
        }
        state.loadMarkers().forEach(marker -> markers.put(marker.module(), marker));
        journal.interrupted().forEach(intent -> installing.add(intent.descriptor().name()));
        if (!live) {
            return;
        }
        modules.values().stream().filter(r -> r.descriptor().running() && !installing.contains(r.descriptor().name()))
                .forEach(r -> startCoordinators(r.descriptor().name()));
    }

    // ------------------------------------------------------------------ modules

    /** Deploys and starts a module whose code is in the catalog (its default version). */
    public synchronized void deploy(String module, Parallelism parallelism) {
        deploy(module, ModuleCode.idOf(definition(module)), parallelism);
    }

    /** Deploys and starts a module running the code with identity {@code codeId}. */
    public synchronized void deploy(String module, String codeId, Parallelism parallelism) {
        if (modules.containsKey(module)) {
            throw new IllegalStateException("module " + module + " is already deployed");
        }
        ModuleDefinition definition = code.byId(codeId);
        if (!definition.name().equals(module)) {
            throw new IllegalArgumentException("code " + codeId + " is module " + definition.name() + "'s, not " + module + "'s");
        }
        ModuleRecord record = new ModuleRecord(definition.describe(true, parallelism, definition.dynamicOptions()),
                place(definition.taskCount(), parallelism), definition);
        state.writeJar(definition);
        save(record);
        hostEverywhere(module, markers.get(module));
        startCoordinators(module);
    }

    /**
     * Updates a deployed module to the code with identity {@code codeId}, as a module update does: its
     * coordinators stop, every Supervisor reopens its tasks with the new code and config overrides on
     * their state, and the coordinators start again. Dynamic options, placement and parallelism are kept.
     *
     * @throws IllegalArgumentException when the module is not deployed, the code is unknown or belongs to
     *     another module, or it changes the task count or depots
     */
    public synchronized void update(String module, String codeId) {
        ModuleRecord record = record(module);
        ModuleDefinition next = code.byId(codeId);
        ModuleDescriptor current = record.descriptor();
        if (!next.name().equals(module) || next.taskCount() != current.taskCount()
                || !next.depots().equals(record.definition().depots())) {
            throw new IllegalArgumentException("module " + module + " cannot be updated to code " + codeId + " of module "
                    + next.name() + " with " + next.taskCount() + " tasks and depots " + next.depots());
        }
        stopCoordinators(module);
        state.writeJar(next);
        save(new ModuleRecord(next.describe(current.running(), current.parallelism(), current.dynamicOptions()),
                record.placement(), next));
        hostEverywhere(module, markers.get(module));
        if (current.running()) {
            startCoordinators(module);
        }
    }

    /** Stops a running module everywhere, keeping its state. */
    public synchronized void stop(String module) {
        ModuleRecord record = record(module);
        stopCoordinators(module);
        save(new ModuleRecord(record.descriptor().withDeployment(false, record.descriptor().parallelism()),
                record.placement(), record.definition()));
        hostEverywhere(module, markers.get(module));
    }

    /** Starts a stopped module on its existing state. */
    public synchronized void start(String module) {
        ModuleRecord record = record(module);
        if (record.descriptor().running()) {
            return;
        }
        save(new ModuleRecord(record.descriptor().withDeployment(true, record.descriptor().parallelism()),
                record.placement(), record.definition()));
        hostEverywhere(module, markers.get(module));
        startCoordinators(module);
    }

    /**
     * Stops a module and deletes all its state on every Supervisor: afterwards only a restore brings it
     * back. Its restore marker is kept, so a restore continues its epochs.
     */
    public synchronized void destroy(String module) {
        stop(module);
        for (String supervisorId : hosts(module)) {
            calls.of(supervisorId).destroy(module);
        }
        modules.remove(module);
        state.deleteModule(module);
    }

    /** Sets ({@code value} null: removes) a dynamic option of a deployed module. */
    public synchronized void setDynamicOption(String module, String option, String value) {
        ModuleRecord record = record(module);
        Map<String, String> options = new TreeMap<>(record.descriptor().dynamicOptions());
        if (value == null) {
            options.remove(option);
        } else {
            options.put(option, value);
        }
        save(new ModuleRecord(record.descriptor().withDynamicOptions(options), record.placement(), record.definition()));
    }

    /**
     * Per task of a deployed module, the Supervisors holding its replicas, its leader first: the
     * replication factor's worth of distinct Supervisors among the module's workers.
     */
    public Map<Integer, List<String>> replicas(String module) {
        ModuleRecord record = record(module);
        return Placement.replicas(record.placement(), record.descriptor().parallelism().replicationFactor());
    }

    /** The value of {@code key} in PState {@code pstate} of a running module, from the Supervisor whose task holds it. */
    public Optional<String> readPState(String module, String pstate, String key) {
        for (String supervisorId : hosts(module)) {
            String value = calls.of(supervisorId).readPState(module, pstate, key);
            if (value != null) {
                return Optional.of(value);
            }
        }
        return Optional.empty();
    }

    /** Hears each durable step of an install by name, to crash there in tests; the default does nothing. */
    public void onInstallStep(java.util.function.Consumer<String> listener) {
        installSteps = listener;
    }

    /** The code a deployed module runs, or for a module not deployed, the catalog's code for it. */
    public ModuleDefinition definition(String module) {
        ModuleRecord deployed = modules.get(module);
        ModuleDefinition definition = deployed != null ? deployed.definition() : code.named(module).orElse(null);
        if (definition == null) {
            throw new IllegalArgumentException("no code for module " + module + " in cluster " + clusterId);
        }
        return definition;
    }

    /** The Supervisor IDs, in order. */
    public List<String> supervisorIds() {
        return supervisorIds;
    }

    /** Where each task of a deployed module lives. */
    public Map<Integer, String> placement(String module) {
        return record(module).placement();
    }

    /**
     * Tells a Supervisor (newly started, or restarted) which tasks it hosts. Called when the Supervisor
     * first reports to this Conductor; modules with an install in progress are hosted when it ends.
     */
    public void supervisorJoined(String supervisorId) {
        for (String module : moduleNames()) {
            if (!installing.contains(module)) {
                host(supervisorId, module, markers.get(module));
            }
        }
        if (!installing.isEmpty()) {
            calls.execute(this::recoverInstalls);
        }
    }

    private void hostEverywhere(String module, RestoreMarker marker) {
        for (String supervisorId : supervisorIds) {
            try {
                host(supervisorId, module, marker);
            } catch (RuntimeException e) {
                log.warn("Supervisor {} could not host {} now; it will when it reports again: {}", supervisorId, module,
                        e.getMessage());
            }
        }
    }

    private void host(String supervisorId, String module, RestoreMarker marker) {
        ModuleRecord record = record(module);
        List<Integer> tasks = record.placement().entrySet().stream().filter(e -> e.getValue().equals(supervisorId))
                .map(Map.Entry::getKey).sorted().toList();
        calls.of(supervisorId).host(module, ModuleCode.idOf(record.definition()), record.descriptor().configOverrides(), tasks,
                record.descriptor().running(), marker);
    }

    /** What the Supervisors are told with each heartbeat. */
    public ClusterSnapshot snapshot() {
        Map<String, Integer> taskCounts = new TreeMap<>();
        Map<String, Map<Integer, String>> placements = new TreeMap<>();
        modules.forEach((name, record) -> {
            taskCounts.put(name, record.descriptor().taskCount());
            placements.put(name, record.placement());
        });
        Set<String> restoring = new java.util.TreeSet<>(installing);
        staging.values().forEach(restoring::add);
        return new ClusterSnapshot(taskCounts, placements, Map.copyOf(markers), Set.copyOf(liveCuts), restoring);
    }

    /**
     * Notes that a restore stages into the Supervisors, so they keep its staging until it is installed or
     * discarded. The host calls it when it forwards a task's restore to a Supervisor's worker.
     */
    public void stagingStarted(String module, String restoreId) {
        staging.put(restoreId, module);
    }

    // ------------------------------------------------------------------ microbatches

    private void startCoordinators(String module) {
        for (ModuleDefinition.Topology topology : definition(module).topologies()) {
            if (topology.kind() == io.modbackup.api.runtime.TopologyKind.MICROBATCH) {
                MicrobatchCoordinator coordinator = new MicrobatchCoordinator(module, topology.name(), () -> hosts(module),
                        calls);
                MicrobatchCoordinator previous = coordinators.put(module + "/" + topology.name(), coordinator);
                if (previous != null) {
                    previous.stop();
                }
                coordinator.start();
            }
        }
    }

    private void stopCoordinators(String module) {
        for (String key : List.copyOf(coordinators.keySet())) {
            if (key.startsWith(module + "/")) {
                coordinators.remove(key).stop();
            }
        }
    }

    /** The Supervisors hosting tasks of a module, in ID order. */
    private List<String> hosts(String module) {
        return new LinkedHashSet<>(new TreeMap<>(record(module).placement()).values()).stream().sorted().toList();
    }

    // ------------------------------------------------------------------ ClusterRuntime

    @Override
    public String clusterId() {
        return clusterId;
    }

    @Override
    public List<String> moduleNames() {
        return modules.keySet().stream().sorted().toList();
    }

    @Override
    public Optional<ModuleDescriptor> describe(String module) {
        ModuleRecord record = modules.get(module);
        return Optional.ofNullable(record == null ? null : record.descriptor());
    }

    @Override
    public Path moduleJar(String module) {
        return state.jar(module, record(module).descriptor().jarName());
    }

    /**
     * {@inheritDoc}
     *
     * <p>Two phases under the deadline: the microbatch coordinators of the module are held between
     * batches, every Supervisor hosting the module pauses and checkpoints; then each captures its depots,
     * pins and resumes. Any Supervisor failing or late aborts the cut on all of them.
     *
     * @throws IllegalStateException naming the Supervisor, when the cut was aborted
     */
    @Override
    public CutDescriptor captureCut(String module) {
        ModuleRecord record = record(module);
        if (!record.descriptor().running() || installing.contains(module)) {
            throw new IllegalStateException("module " + module + " is not running");
        }
        String cutId = "cut-" + System.currentTimeMillis() + "-" + cutCounter.incrementAndGet();
        liveCuts.add(cutId);
        List<String> hosts = hosts(module);
        List<MicrobatchCoordinator> held = new ArrayList<>();
        try {
            List<PreparedCut> prepared;
            long prepareStart = System.nanoTime();
            try {
                for (MicrobatchCoordinator coordinator : coordinatorsOf(module)) {
                    if (!coordinator.lock(deadline)) {
                        throw new IllegalStateException("microbatch topology " + coordinator.topology() + " of " + module
                                + " did not reach a commit boundary within " + deadline.toMillis() + " ms"
                                + (coordinator.lastFailure() == null ? "" : ": " + coordinator.lastFailure()));
                    }
                    held.add(coordinator);
                }
                prepared = calls.all(hosts, (s, c) -> c.prepareCut(module, cutId, deadline.toMillis() * 2));
            } finally {
                held.forEach(MicrobatchCoordinator::unlock);
            }
            long preparedAt = System.nanoTime();
            Map<String, Long> commitIds = new TreeMap<>();
            prepared.forEach(p -> p.commitIds().forEach((t, id) -> TaskCapture.mergeCommitId(commitIds, t, id)));
            List<TaskCut> tasks = new ArrayList<>();
            calls.all(hosts, (s, c) -> c.completeCut(module, cutId)).forEach(tasks::addAll);
            tasks.sort(Comparator.comparingInt(TaskCut::task));
            long resumed = System.nanoTime();
            cutTimings.put(module, new CutTiming(tasks.size(), hosts.size(), (preparedAt - prepareStart) / 1_000_000,
                    (resumed - prepareStart) / 1_000_000));
            long capturedAt = prepared.stream().mapToLong(PreparedCut::capturedAtMillis).min().orElse(System.currentTimeMillis());
            return new CutDescriptor(module, cutId, capturedAt, commitIds, record.descriptor(), tasks);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abort(module, cutId, hosts);
            throw new IllegalStateException("interrupted while capturing a cut of " + module, e);
        } catch (RuntimeException e) {
            abort(module, cutId, hosts);
            throw new IllegalStateException("cut of module " + module + " aborted on every Supervisor: " + e.getMessage(), e);
        }
    }

    /** The timing of the module's latest cut, if any. */
    public Optional<CutTiming> lastCutTiming(String module) {
        return Optional.ofNullable(cutTimings.get(module));
    }

    private List<MicrobatchCoordinator> coordinatorsOf(String module) {
        return coordinators.entrySet().stream().filter(e -> e.getKey().startsWith(module + "/"))
                .sorted(Map.Entry.comparingByKey()).map(Map.Entry::getValue).toList();
    }

    /** Aborts a cut on every Supervisor without waiting; one that does not answer drops it on its own. */
    private void abort(String module, String cutId, List<String> hosts) {
        liveCuts.remove(cutId);
        calls.tell(hosts, c -> c.abortCut(module, cutId), (s, e) -> log.info(
                "Supervisor {} did not take the abort of cut {}; it drops the cut itself: {}", s, cutId, e.getMessage()));
    }

    @Override
    public void releaseCut(String module, String cutId) {
        liveCuts.remove(cutId);
        List<String> hosts = modules.containsKey(module) ? hosts(module) : supervisorIds;
        try {
            calls.all(hosts, (s, c) -> {
                c.releaseCut(module, cutId);
                return true;
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.info("cut {} of {} not released everywhere now; the Supervisor drops it when it reports: {}", cutId,
                    module, e.getMessage());
        }
    }

    /**
     * A Supervisor as the engine's coordinator sees it: it can list cut files and discard staging; its
     * staging directories exist only in its own process, where its task worker runs.
     */
    @Override
    public SupervisorRuntime supervisor(String supervisorId) {
        if (!supervisorIds.contains(supervisorId)) {
            throw new IllegalArgumentException("no Supervisor " + supervisorId + " in cluster " + clusterId);
        }
        return new SupervisorRuntime() {
            @Override
            public String id() {
                return supervisorId;
            }

            @Override
            public List<CapturedFile> cutFiles(String module, String cutId, int task) {
                return calls.of(supervisorId).cutFiles(module, cutId, task);
            }

            /**
             * {@inheritDoc}
             *
             * <p>A path on the Supervisor's machine: the engine's workers stage in the Supervisor's own
             * process; a caller here can use it only on that machine (the runtime contract suite does).
             * The restore counts as staging from now on, so the Supervisor keeps what is put there.
             */
            @Override
            public Path stagingDirectory(String module, String restoreId, int task) {
                stagingStarted(module, restoreId);
                return calls.of(supervisorId).stagingDirectory(module, restoreId, task);
            }

            @Override
            public void discardStaging(String module, String restoreId) {
                if (journal.decided(restoreId)) {
                    // Decided: the install (or its recovery) swaps every staged task and then removes the rest.
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
        };
    }

    @Override
    public Map<Integer, String> placeRestore(ModuleDescriptor descriptor, Parallelism parallelism) {
        ModuleRecord record = modules.get(descriptor.name());
        if (parallelism == null) {
            if (record == null) {
                throw new IllegalArgumentException("module " + descriptor.name() + " is not deployed: give a parallelism to restore it");
            }
            return record.descriptor().taskCount() == descriptor.taskCount() ? record.placement()
                    : place(descriptor.taskCount(), record.descriptor().parallelism());
        }
        return place(descriptor.taskCount(), parallelism);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Checks that every task is staged where it was placed, writes the decision record, stops the
     * module, has each Supervisor swap (journaled there), then records the module, its jar and its new
     * marker and starts it everywhere. A Supervisor not answering after the decision leaves the install
     * pending: the module stays stopped everywhere until {@link #recoverInstalls} finishes it.
     */
    @Override
    public synchronized RestoreMarker installRestore(RestoreRequest request) {
        ModuleDescriptor restored = request.descriptor();
        String module = restored.name();
        ModuleDefinition definition = code.ofJar(request.stagedJar()).filter(d -> d.name().equals(module))
                .orElseThrow(() -> new IllegalArgumentException("the restored jar of module " + module + " ("
                        + request.stagedJar().getFileName() + ") carries code this cluster does not have"));
        if (definition.taskCount() != restored.taskCount()) {
            throw new IllegalArgumentException("module " + module + " has " + definition.taskCount()
                    + " tasks in its code but the backup has " + restored.taskCount());
        }
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
        ModuleRecord previous = modules.get(module);
        Parallelism parallelism = request.parallelism() != null ? request.parallelism()
                : describe(module).orElseThrow(() -> new IllegalArgumentException(
                        "module " + module + " is not deployed: give a parallelism to restore it")).parallelism();
        InstallIntent intent = new InstallIntent(request.restoreId(), request.backupId(),
                restored.withDeployment(true, parallelism), Map.copyOf(request.placement()),
                previous == null ? Map.of() : previous.placement(), epoch(module) + 1);
        installing.add(module);
        journal.begin(intent, request.stagedJar());
        installSteps.accept("decision-written");
        try {
            return completeInstall(intent);
        } catch (RuntimeException e) {
            // Decided: keep trying in the background until every Supervisor has swapped.
            calls.execute(this::recoverInstalls);
            throw e;
        }
    }

    /**
     * Finishes every install whose decision record a crash left, retrying each Supervisor until it
     * answers or this Conductor closes. Run it once the Conductor serves its Supervisors again.
     */
    public void recoverInstalls() {
        if (!recovering.compareAndSet(false, true)) {
            return; // one recovery at a time; it retries until every decided install finished
        }
        try {
            for (InstallIntent intent : journal.interrupted()) {
                while (!closed && installing.contains(intent.descriptor().name())) {
                    try {
                        completeInstall(intent);
                        log.warn("finished the install of restore {} of {} that a failure interrupted", intent.restoreId(),
                                intent.descriptor().name());
                    } catch (RuntimeException e) {
                        log.info("install of restore {} waits for the Supervisors: {}", intent.restoreId(), e.getMessage());
                        sleep(500);
                    }
                }
            }
        } finally {
            recovering.set(false);
        }
    }

    /** Carries out a decided install; idempotent, so a failure is retried by calling it again. */
    private synchronized RestoreMarker completeInstall(InstallIntent intent) {
        String module = intent.descriptor().name();
        stopCoordinators(module);
        Set<String> involved = new LinkedHashSet<>(intent.placement().values());
        involved.addAll(intent.previousPlacement().values());
        Map<Integer, Map<String, Long>> ends = new TreeMap<>();
        // One Supervisor after another (installs are rare; a crash between two swaps is a state the journal
        // must cover, and one a test can reach).
        try {
            for (String s : involved.stream().sorted().toList()) {
                List<Integer> swap = tasksOn(intent.placement(), s);
                List<Integer> remove = tasksOn(intent.previousPlacement(), s).stream().filter(t -> !swap.contains(t)).toList();
                ends.putAll(calls.of(s).installSwap(new InstallOrder(module, intent.restoreId(), swap, remove)));
                installSteps.accept("swapped-" + s);
            }
        } catch (RuntimeException e) {
            throw new IllegalStateException("install of restore " + intent.restoreId() + " of " + module
                    + " is decided but not finished (it finishes when every Supervisor answers): " + e.getMessage(), e);
        }
        try {
            state.installJar(journal.stagedJar(intent), module, intent.descriptor().jarName());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot install the jar of module " + module, e);
        }
        ModuleDefinition definition = code.ofJar(journal.stagedJar(intent)).orElseGet(() -> definition(module));
        installSteps.accept("jar-installed");
        save(new ModuleRecord(intent.descriptor(), intent.placement(), definition));
        installSteps.accept("module-recorded");
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
        installSteps.accept("marker-written");
        hostEverywhere(module, marker);
        startCoordinators(module);
        markers.put(module, marker);
        // Topologies of other modules reading this one's depots recalibrate against the new marker now.
        coordinators.values().forEach(MicrobatchCoordinator::wake);
        installing.remove(module);
        staging.remove(intent.restoreId());
        journal.finish(module);
        return marker;
    }

    private static List<Integer> tasksOn(Map<Integer, String> placement, String supervisorId) {
        return placement.entrySet().stream().filter(e -> e.getValue().equals(supervisorId)).map(Map.Entry::getKey)
                .sorted().toList();
    }

    @Override
    public Optional<RestoreMarker> restoreMarker(String module) {
        return Optional.ofNullable(markers.get(module));
    }

    // ------------------------------------------------------------------ depots, for clients and checks

    /** Appends entries to the partitions their keys hash to, as a depot client does; returns how many. */
    public int append(String module, String depot, List<WorkloadEntry> entries) {
        ModuleRecord record = record(module);
        Map<Integer, List<byte[]>> byPartition = new TreeMap<>();
        for (WorkloadEntry entry : entries) {
            byPartition.computeIfAbsent(WorkloadEntry.partitionOf(entry.key(), record.descriptor().taskCount()),
                    p -> new ArrayList<>()).add(entry.encode());
        }
        byPartition.forEach((partition, payloads) ->
                calls.of(record.placement().get(partition)).append(module, depot, partition, payloads));
        // Idle microbatch topologies back off; new entries wake them (any module's may subscribe).
        coordinators.values().forEach(MicrobatchCoordinator::wake);
        return entries.size();
    }

    /** Reads depots wherever their partitions live, for the {@link ConsistencyOracle}. */
    public ConsistencyOracle.DepotSource depots() {
        return new ConsistencyOracle.DepotSource() {
            @Override
            public List<DepotEntry> read(String module, String depot, int partition, long from, int max) {
                return calls.of(record(module).placement().get(partition))
                        .readDepot(module, depot, partition, from, max, epoch(module));
            }

            @Override
            public long endOffset(String module, String depot, int partition) {
                return calls.of(record(module).placement().get(partition)).depotEndOffset(module, depot, partition);
            }
        };
    }

    /**
     * Waits until every topology of {@code module} has processed every entry that was in its subscribed
     * depots when the wait began, or {@code timeout} passed; returns whether it caught up. Looks through
     * cuts; a cut that cannot be taken now is tried again.
     */
    public boolean awaitCaughtUp(String module, Duration timeout) throws InterruptedException {
        ModuleDefinition definition = definition(module);
        Map<String, Long> targets = new TreeMap<>();
        for (ModuleDefinition.Topology topology : definition.topologies()) {
            for (var subscription : topology.subscriptions()) {
                for (int p = 0; p < record(subscription.module()).descriptor().taskCount(); p++) {
                    targets.put(PStateStore.offsetKey(subscription.module(), subscription.depot(), p),
                            depots().endOffset(subscription.module(), subscription.depot(), p));
                }
            }
        }
        long until = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < until) {
            CutDescriptor cut;
            try {
                cut = captureCut(module);
            } catch (IllegalStateException notNow) {
                // a Supervisor is restarting or catching up after a pause: try again until the timeout
                Thread.sleep(200);
                continue;
            }
            try {
                Map<String, Map<String, Long>> processed = new HashMap<>();
                for (TaskCut task : cut.tasks()) {
                    task.processedOffsets().forEach((topology, offsets) ->
                            processed.computeIfAbsent(topology, t -> new HashMap<>()).putAll(offsets));
                }
                boolean caughtUp = true;
                for (ModuleDefinition.Topology topology : definition.topologies()) {
                    Map<String, Long> offsets = processed.getOrDefault(topology.name(), Map.of());
                    for (var subscription : topology.subscriptions()) {
                        for (Map.Entry<String, Long> target : targets.entrySet()) {
                            if (target.getKey().startsWith(subscription.module() + "/" + subscription.depot() + "/")
                                    && offsets.getOrDefault(target.getKey(), 0L) < target.getValue()) {
                                caughtUp = false;
                            }
                        }
                    }
                }
                if (caughtUp) {
                    return true;
                }
            } finally {
                releaseCut(module, cut.cutId());
            }
            Thread.sleep(100);
        }
        return false;
    }

    // ------------------------------------------------------------------ internals

    private long epoch(String module) {
        return restoreMarker(module).map(RestoreMarker::epoch).orElse(0L);
    }

    private ModuleRecord record(String module) {
        ModuleRecord record = modules.get(module);
        if (record == null) {
            throw new IllegalArgumentException("unknown module " + module + "; deployed modules: " + moduleNames());
        }
        return record;
    }

    private void save(ModuleRecord record) {
        modules.put(record.descriptor().name(), record);
        state.saveModule(new ClusterState.StoredModule(record.descriptor(), record.placement()));
    }

    private Map<Integer, String> place(int taskCount, Parallelism parallelism) {
        return Placement.roundRobin(taskCount, parallelism, supervisorIds);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops driving microbatches; the Supervisors keep their state. */
    @Override
    public void close() {
        closed = true;
        for (String key : List.copyOf(coordinators.keySet())) {
            coordinators.remove(key).stop();
        }
        calls.close();
    }
}
