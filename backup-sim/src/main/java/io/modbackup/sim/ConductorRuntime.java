package io.modbackup.sim;

import io.modbackup.api.runtime.ClusterRuntime;
import io.modbackup.api.runtime.CutDescriptor;
import io.modbackup.api.runtime.ModuleDescriptor;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.api.runtime.RestoreMarker;
import io.modbackup.api.runtime.SupervisorRuntime;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
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
    private final Map<String, ModuleRecord> modules = new ConcurrentHashMap<>();
    private final Map<String, RestoreMarker> markers = new ConcurrentHashMap<>();
    private final MicrobatchCoordinators microbatches;
    private final SupervisorCalls calls;
    private final ConductorCuts cuts;
    private volatile boolean closed;
    private final ConductorInstalls installs;
    private final ConductorDepots depots;

    /** A deployed module: as described, where its tasks live, and the code its jar carries. */
    private record ModuleRecord(ModuleDescriptor descriptor, Map<Integer, String> placement, ModuleDefinition definition) {
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
        this.cuts = new ConductorCuts(calls, deadline);
        this.microbatches = new MicrobatchCoordinators(calls);
        this.deadline = deadline;
        this.state = new ClusterState(root.toAbsolutePath());
        this.code = code;
        for (ClusterState.StoredModule stored : state.loadModules()) {
            String module = stored.descriptor().name();
            ModuleDefinition definition = code.ofJar(state.jar(module, stored.descriptor().jarName()))
                    .orElseGet(() -> code.named(module).orElseThrow(() -> new IllegalStateException(
                            "no code for deployed module " + module + " in cluster " + clusterId)));
            modules.put(module, new ModuleRecord(stored.descriptor(), Map.copyOf(stored.placement()), definition));
        }
        state.loadMarkers().forEach(marker -> markers.put(marker.module(), marker));
        this.installs = new ConductorInstalls(this, state, code, calls);
        this.depots = new ConductorDepots(this, calls);
        if (!live) {
            return;
        }
        modules.values().stream().filter(r -> r.descriptor().running() && !installs.installing(r.descriptor().name()))
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

    /**
     * The values of {@code keys} in PState {@code pstate} of a running module, each from the Supervisor whose
     * task holds it (one call per Supervisor hosting the module); a key no task holds is absent.
     */
    public Map<String, String> readPState(String module, String pstate, Collection<String> keys) {
        Map<String, String> values = new HashMap<>();
        List<String> missing = new ArrayList<>(new LinkedHashSet<>(keys));
        for (String supervisorId : hosts(module)) {
            if (missing.isEmpty()) {
                break;
            }
            values.putAll(calls.of(supervisorId).readPState(module, pstate, missing));
            missing.removeIf(values::containsKey);
        }
        return values;
    }

    /** Hears each durable step of an install by name, to crash there in tests; the default does nothing. */
    public void onInstallStep(java.util.function.Consumer<String> listener) {
        installs.onStep(listener);
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
            if (!installs.installing(module)) {
                host(supervisorId, module, markers.get(module));
            }
        }
        if (installs.anyInstalling()) {
            calls.execute(this::recoverInstalls);
        }
    }

    void hostEverywhere(String module, RestoreMarker marker) {
        // In parallel: each Supervisor opens its tasks' stores (RocksDB writes and syncs files as it opens).
        try {
            calls.each(supervisorIds, (supervisorId, channel) -> host(supervisorId, module, marker), (supervisorId, e) ->
                    log.warn("Supervisor {} could not host {} now; it will when it reports again: {}", supervisorId,
                            module, e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the Supervisors host module " + module, e);
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
        Set<String> restoring = installs.restoringModules();
        return new ClusterSnapshot(taskCounts, placements, Map.copyOf(markers), cuts.live(), restoring);
    }

    /**
     * Notes that a restore stages into the Supervisors, so they keep its staging until it is installed or
     * discarded. The host calls it when it forwards a task's restore to a Supervisor's worker.
     */
    public void stagingStarted(String module, String restoreId) {
        installs.stagingStarted(module, restoreId);
    }

    // ------------------------------------------------------------------ microbatches

    void startCoordinators(String module) {
        microbatches.start(module, definition(module), () -> hosts(module));
    }

    void stopCoordinators(String module) {
        microbatches.stop(module);
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
        if (!record.descriptor().running() || installs.installing(module)) {
            throw new IllegalStateException("module " + module + " is not running");
        }
        return cuts.capture(record.descriptor(), hosts(module), microbatches.of(module));
    }

    /** The timing of the module's latest cut, if any. */
    public Optional<CutTiming> lastCutTiming(String module) {
        return cuts.lastTiming(module);
    }

    @Override
    public void releaseCut(String module, String cutId) {
        cuts.release(module, cutId, modules.containsKey(module) ? hosts(module) : supervisorIds);
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
        return new RemoteSupervisor(supervisorId, calls, installs);
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
     * <p>Journaled: see {@link ConductorInstalls#install}. A Supervisor not answering after the decision
     * leaves the install pending, the module stopped everywhere, until {@link #recoverInstalls} finishes it.
     */
    @Override
    public RestoreMarker installRestore(RestoreRequest request) {
        return installs.install(request);
    }

    /**
     * Finishes every install whose decision record a crash left, retrying each Supervisor until it
     * answers or this Conductor closes. Run it once the Conductor serves its Supervisors again.
     */
    public void recoverInstalls() {
        installs.recover();
    }

    // ------------------------------------------------------------------ what an install changes

    /** Where a deployed module's tasks live, or an empty map when it is not deployed. */
    Map<Integer, String> placementIfDeployed(String module) {
        ModuleRecord record = modules.get(module);
        return record == null ? Map.of() : record.placement();
    }

    /** Records a restored module: its descriptor, placement and the code its restored jar carries. */
    void recordInstalled(ModuleDescriptor descriptor, Map<Integer, String> placement, ModuleDefinition definition) {
        save(new ModuleRecord(descriptor, placement, definition));
    }

    /** Makes {@code marker} the module's restore marker (saved already) and wakes every microbatch topology. */
    void recordMarker(RestoreMarker marker) {
        markers.put(marker.module(), marker);
        // Topologies of other modules reading this one's depots recalibrate against the new marker now.
        wakeTopologies();
    }

    boolean closed() {
        return closed;
    }

    @Override
    public Optional<RestoreMarker> restoreMarker(String module) {
        return Optional.ofNullable(markers.get(module));
    }

    // ------------------------------------------------------------------ depots, for clients and checks

    /** Appends entries to the partitions their keys hash to, as a depot client does; returns how many. */
    public int append(String module, String depot, List<WorkloadEntry> entries) {
        return depots.append(module, depot, entries);
    }

    /** Reads depots wherever their partitions live, for the {@link ConsistencyOracle}. */
    public ConsistencyOracle.DepotSource depots() {
        return depots;
    }

    /**
     * Waits until every topology of {@code module} has processed every entry that was in its subscribed
     * depots when the wait began, or {@code timeout} passed; returns whether it caught up.
     */
    public boolean awaitCaughtUp(String module, Duration timeout) throws InterruptedException {
        return depots.awaitCaughtUp(module, timeout);
    }

    /** Ends every idle microbatch topology's wait: new entries may have arrived. */
    void wakeTopologies() {
        microbatches.wakeAll();
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


    /** Stops driving microbatches; the Supervisors keep their state. */
    @Override
    public void close() {
        closed = true;
        microbatches.stopAll();
        calls.close();
    }
}
