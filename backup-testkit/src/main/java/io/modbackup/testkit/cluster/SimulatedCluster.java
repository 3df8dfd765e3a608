package io.modbackup.testkit.cluster;

import io.modbackup.api.runtime.ClusterRuntime;
import io.modbackup.api.runtime.CutDescriptor;
import io.modbackup.api.runtime.DepotSpec;
import io.modbackup.api.runtime.ModuleDescriptor;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.api.runtime.RestoreMarker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * A Rama-like cluster in one JVM: a Conductor (this object) and several {@link Supervisor}s, each
 * owning the state directories of its tasks on disk. Modules have depots of real segment files,
 * PStates in real RocksDB, microbatch and stream topologies running on their own threads, a jar,
 * config overrides and dynamic options. It implements the {@link ClusterRuntime} SPI for the backup
 * engine.
 *
 * <p>The Conductor's own state (module descriptors, placements, restore markers, jars) lives under
 * {@code root/conductor}, so a cluster reopened on the same root finds its modules again.
 */
public final class SimulatedCluster implements ClusterRuntime, AutoCloseable {
    /** Default depot segment size: small, so segments roll often. */
    public static final long DEFAULT_SEGMENT_BYTES = 256 * 1024;

    private final String clusterId;
    private final long segmentBytes;
    private final boolean view;
    /** Every version of module code this cluster can run. */
    private final ModuleCode code;
    private final List<Supervisor> supervisors = new ArrayList<>();
    private final Map<String, ModuleRecord> modules = new ConcurrentHashMap<>();
    private final Map<String, RestoreMarker> markers = new ConcurrentHashMap<>();
    private final ClusterState state;
    private final InstallJournal journal;
    private final CutCapture cuts;
    private final RestoreInstaller installer;
    private final ClusterView topologyView = new ClusterView() {
        @Override
        public int taskCount(String module) {
            return SimulatedCluster.this.taskCount(module);
        }

        @Override
        public List<DepotEntry> readDepot(String module, String depot, int partition, long from, int max) {
            return SimulatedCluster.this.readDepot(module, depot, partition, from, max);
        }

        @Override
        public Optional<RestoreMarker> restoreMarker(String module) {
            return SimulatedCluster.this.restoreMarker(module);
        }
    };

    /** Where a module is deployed and what it looks like now; {@code instance} is null when stopped. */
    private static final class ModuleRecord {
        volatile ModuleDescriptor descriptor;
        volatile Map<Integer, String> placement;
        volatile ModuleInstance instance;
        /** The code the module's jar carries; null when this cluster does not have it. */
        volatile ModuleDefinition definition;

        ClusterState.StoredModule stored() {
            return new ClusterState.StoredModule(descriptor, placement);
        }
    }

    /**
     * Opens the cluster at {@code root} with {@code supervisorCount} Supervisors, finishing installs a
     * crash interrupted and reopening (and starting, where they were running) modules found there
     * whose code is in {@code catalog}.
     */
    public SimulatedCluster(String clusterId, Path root, int supervisorCount, long segmentBytes,
                            List<ModuleDefinition> catalog) {
        this(clusterId, root, supervisorCount, segmentBytes, catalog, false);
    }

    private SimulatedCluster(String clusterId, Path root, int supervisorCount, long segmentBytes,
                             List<ModuleDefinition> catalog, boolean view) {
        if (supervisorCount < 1) {
            throw new IllegalArgumentException("a cluster needs at least one Supervisor, got " + supervisorCount);
        }
        this.clusterId = clusterId;
        this.segmentBytes = segmentBytes;
        this.view = view;
        Path absolute = root.toAbsolutePath();
        this.state = new ClusterState(absolute);
        this.journal = new InstallJournal(state);
        this.code = new ModuleCode(catalog);
        for (int i = 0; i < supervisorCount; i++) {
            supervisors.add(new Supervisor("supervisor-" + i, absolute.resolve("supervisor-" + i), journal::decided));
        }
        this.cuts = new CutCapture(this::supervisor);
        this.installer = new RestoreInstaller(this, state, journal);
        reload();
    }

    /**
     * A read-only view of the cluster at {@code root}: its modules' descriptors, placements, dynamic
     * options and restore markers, as a Conductor serves them, without opening any module's state or
     * recovering anything. Safe to open while another process runs the cluster; it refuses every call
     * that would change state (deploy, start, stop, cuts, installs).
     */
    public static SimulatedCluster view(String clusterId, Path root, int supervisorCount, List<ModuleDefinition> catalog) {
        return new SimulatedCluster(clusterId, root, supervisorCount, DEFAULT_SEGMENT_BYTES, catalog, true);
    }

    /** A new cluster with two Supervisors and the sample modules' code. */
    public static SimulatedCluster withSampleModules(Path root) {
        return new SimulatedCluster("sim-cluster", root, 2, DEFAULT_SEGMENT_BYTES,
                List.of(SampleModules.moduleA(), SampleModules.moduleB()));
    }

    // ------------------------------------------------------------------ lifecycle of modules

    /** Deploys and starts a module whose code is {@code definition}. */
    public synchronized void deploy(ModuleDefinition definition, Parallelism parallelism) {
        requireLive("deploy");
        if (modules.containsKey(definition.name())) {
            throw new IllegalStateException("module " + definition.name() + " is already deployed");
        }
        code.add(definition);
        ModuleRecord record = new ModuleRecord();
        record.definition = definition;
        record.placement = place(definition.taskCount(), parallelism);
        record.descriptor = definition.describe(true, parallelism, definition.dynamicOptions());
        state.writeJar(definition);
        modules.put(definition.name(), record);
        state.saveModule(record.stored());
        startInstance(definition.name(), record);
    }

    /**
     * Updates a deployed module to new code, as a module update does: the module stops, its jar and
     * config overrides become {@code newVersion}'s, and it starts again on its state (dynamic options,
     * placement and parallelism kept).
     *
     * @throws IllegalArgumentException when the module is not deployed, or the new code changes its task
     *     count or depots (an update cannot repartition state)
     */
    public synchronized void update(ModuleDefinition newVersion) {
        requireLive("update a module");
        ModuleRecord record = record(newVersion.name());
        ModuleDescriptor current = record.descriptor;
        if (newVersion.taskCount() != current.taskCount()
                || !newVersion.depots().equals(current.depots().stream().map(DepotSpec::name).toList())) {
            throw new IllegalArgumentException("module " + newVersion.name() + " cannot be updated to code with "
                    + newVersion.taskCount() + " tasks and depots " + newVersion.depots() + ": it has " + current.taskCount()
                    + " tasks and depots " + current.depots().stream().map(DepotSpec::name).toList());
        }
        boolean running = record.instance != null;
        closeInstance(newVersion.name());
        code.add(newVersion);
        state.writeJar(newVersion);
        record.definition = newVersion;
        record.descriptor = newVersion.describe(current.running(), current.parallelism(), current.dynamicOptions());
        state.saveModule(record.stored());
        if (running) {
            startInstance(newVersion.name(), record);
        }
    }

    /** Stops a running module, keeping its state. */
    public synchronized void stop(String module) {
        requireLive("stop");
        ModuleRecord record = record(module);
        ModuleInstance instance = record.instance;
        if (instance != null) {
            record.instance = null;
            instance.close();
        }
        record.descriptor = record.descriptor.withDeployment(false, record.descriptor.parallelism());
        state.saveModule(record.stored());
    }

    /** Starts a stopped module on its existing state. */
    public synchronized void start(String module) {
        requireLive("start");
        ModuleRecord record = record(module);
        if (record.instance == null) {
            record.descriptor = record.descriptor.withDeployment(true, record.descriptor.parallelism());
            state.saveModule(record.stored());
            startInstance(module, record);
        }
    }

    /** Stops a module and deletes all its state: afterwards only a restore can bring it back. */
    public synchronized void destroy(String module) {
        stop(module);
        ModuleRecord record = modules.remove(module);
        for (Map.Entry<Integer, String> task : record.placement.entrySet()) {
            Files2.deleteRecursively(supervisor(task.getValue()).taskDirectory(module, task.getKey()));
        }
        state.deleteModule(module);
    }

    /** Changes a dynamic option of a module while it runs. */
    public synchronized void setDynamicOption(String module, String key, String value) {
        requireLive("set a dynamic option");
        ModuleRecord record = record(module);
        Map<String, String> options = new TreeMap<>(record.descriptor.dynamicOptions());
        if (value == null) {
            options.remove(key);
        } else {
            options.put(key, value);
        }
        record.descriptor = record.descriptor.withDynamicOptions(options);
        state.saveModule(record.stored());
    }

    /** Appends an entry to the partition of a depot that its key hashes to, as a depot client does. */
    public long append(String module, String depot, WorkloadEntry entry) {
        ModuleInstance instance = runningInstance(module);
        int partition = WorkloadEntry.partitionOf(entry.key(), instance.definition().taskCount());
        DepotPartition target = instance.tasks().get(partition).depot(depot);
        if (target == null) {
            throw new IllegalArgumentException("module " + module + " has no depot " + depot);
        }
        return target.append(entry.encode());
    }

    /**
     * Waits until every topology of {@code module} has processed every entry currently in the depots it
     * subscribes to, or {@code timeoutMillis} passed; returns whether it caught up.
     */
    public boolean awaitCaughtUp(String module, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (System.currentTimeMillis() < deadline) {
            if (caughtUp(module)) {
                return true;
            }
            Thread.sleep(5);
        }
        return false;
    }

    /**
     * Waits until the module's topologies caught up with their depots, then flushes every PState and
     * waits for RocksDB's compactions: afterwards nothing changes on disk until the next append.
     */
    public boolean awaitSettled(String module, long timeoutMillis) throws InterruptedException {
        if (!awaitCaughtUp(module, timeoutMillis)) {
            return false;
        }
        ModuleInstance instance = runningInstance(module);
        instance.whilePaused(() -> {
            instance.tasks().values().forEach(task -> task.stores().values().forEach(PStateStore::settle));
            return null;
        });
        return true;
    }

    private boolean caughtUp(String module) {
        ModuleInstance instance = runningInstance(module);
        for (TaskState task : instance.tasks().values()) {
            for (ModuleDefinition.Topology topology : instance.definition().topologies()) {
                PStateStore.Progress progress = task.store(topology.name()).progress();
                for (var subscription : topology.subscriptions()) {
                    for (int p : instance.definition().partitionsFor(task.task(), taskCount(subscription.module()))) {
                        DepotPartition depot = depotPartition(subscription.module(), subscription.depot(), p);
                        if (depot != null && progress.offset(subscription.module(), subscription.depot(), p) < depot.endOffset()) {
                            return false;
                        }
                    }
                }
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ what topologies and tests read

    /** The number of tasks of a deployed module. */
    int taskCount(String module) {
        ModuleRecord record = modules.get(module);
        if (record != null) {
            return record.descriptor.taskCount();
        }
        return code.named(module).orElseThrow(() -> new IllegalArgumentException("unknown module " + module)).taskCount();
    }

    /** A live depot partition, or null when its module is not running. */
    DepotPartition depotPartition(String module, String depot, int partition) {
        ModuleRecord record = modules.get(module);
        ModuleInstance instance = record == null ? null : record.instance;
        if (instance == null) {
            return null;
        }
        TaskState task = instance.tasks().get(partition);
        return task == null ? null : task.depot(depot);
    }

    /** Entries of a live depot partition; empty when its module is stopped or being restored. */
    List<DepotEntry> readDepot(String module, String depot, int partition, long from, int max) {
        DepotPartition target = depotPartition(module, depot, partition);
        if (target == null) {
            return List.of();
        }
        return target.readIfOpen(from, max);
    }

    /**
     * Checks a running module's current state with the {@link ConsistencyOracle}: captures a cut,
     * copies its files under {@code scratch} (which must not exist yet) and checks them there.
     *
     * @throws ConsistencyViolation naming what breaks
     */
    public ConsistencyOracle.Report checkLive(String module, Path scratch) {
        CutDescriptor cut = captureCut(module);
        try {
            return new ConsistencyOracle(this::definition, liveDepots()).check(module, CutFiles.materialize(this, cut, scratch));
        } finally {
            releaseCut(module, cut.cutId());
        }
    }

    /**
     * Each partition's end offset of a running module's depot, by task: which state the module holds.
     *
     * @throws IllegalStateException when the module is not running
     */
    public Map<Integer, Long> depotEndOffsets(String module, String depot) {
        Map<Integer, Long> ends = new TreeMap<>();
        for (int task = 0; task < definition(module).taskCount(); task++) {
            ends.put(task, liveDepots().endOffset(module, depot, task));
        }
        return ends;
    }

    /** Reads live depots, for the oracle checking modules that subscribe to other modules' depots. */
    public ConsistencyOracle.DepotSource liveDepots() {
        return new ConsistencyOracle.DepotSource() {
            @Override
            public List<DepotEntry> read(String module, String depot, int partition, long from, int max) {
                return readDepot(module, depot, partition, from, max);
            }

            @Override
            public long endOffset(String module, String depot, int partition) {
                DepotPartition target = depotPartition(module, depot, partition);
                if (target == null) {
                    throw new IllegalStateException("module " + module + " is not running: cannot read " + depot);
                }
                return target.endOffset();
            }
        };
    }

    /** The code a deployed module runs, or for a module not deployed, the code this cluster has for it. */
    public ModuleDefinition definition(String module) {
        ModuleRecord record = modules.get(module);
        ModuleDefinition definition = record != null && record.definition != null ? record.definition
                : code.named(module).orElse(null);
        if (definition == null) {
            throw new IllegalArgumentException("no code for module " + module + " in this cluster");
        }
        return definition;
    }

    /** The Supervisors, in ID order. */
    public List<Supervisor> supervisors() {
        return List.copyOf(supervisors);
    }

    /** Where each task of a deployed module lives. */
    public Map<Integer, Path> taskDirectories(String module) {
        ModuleRecord record = record(module);
        Map<Integer, Path> dirs = new TreeMap<>();
        record.placement.forEach((task, sup) -> dirs.put(task, supervisor(sup).taskDirectory(module, task)));
        return dirs;
    }

    /** The last error a topology of the module hit, if any. */
    public Optional<Throwable> topologyError(String module) {
        ModuleInstance instance = record(module).instance;
        return Optional.ofNullable(instance == null ? null : instance.lastError());
    }

    /** Sizes of a running module's state, for reports. */
    public record StateStats(int depotSegments, int liveSstFiles, long depotEntries, long eventsProcessed) {
    }

    /** Current sizes of a running module's state. */
    public StateStats stats(String module) {
        ModuleInstance instance = runningInstance(module);
        int segments = 0;
        int ssts = 0;
        long entries = 0;
        for (TaskState task : instance.tasks().values()) {
            for (DepotPartition depot : task.depots().values()) {
                segments += depot.segmentCount();
                entries += depot.endOffset();
            }
            for (PStateStore store : task.stores().values()) {
                ssts += store.liveSstFiles().size();
            }
        }
        return new StateStats(segments, ssts, entries, instance.eventsProcessed());
    }

    /** Live SST file names of every PState store of a running module, as {@code task/topology/file}. */
    public List<String> liveSstFiles(String module) {
        ModuleInstance instance = runningInstance(module);
        List<String> files = new ArrayList<>();
        for (TaskState task : instance.tasks().values()) {
            task.stores().forEach((topology, store) ->
                    store.liveSstFiles().forEach(f -> files.add(task.task() + "/" + topology + "/" + f)));
        }
        return files;
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
        return Optional.ofNullable(record == null ? null : record.descriptor);
    }

    @Override
    public Path moduleJar(String module) {
        ModuleRecord record = record(module);
        return state.jar(module, record.descriptor.jarName());
    }

    @Override
    public CutDescriptor captureCut(String module) {
        requireLive("capture a cut");
        return cuts.capture(runningInstance(module), record(module).descriptor);
    }

    @Override
    public void releaseCut(String module, String cutId) {
        for (Supervisor supervisor : supervisors) {
            supervisor.releaseCut(module, cutId);
        }
    }

    @Override
    public Supervisor supervisor(String supervisorId) {
        return supervisors.stream().filter(s -> s.id().equals(supervisorId)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no Supervisor " + supervisorId + " in cluster " + clusterId));
    }

    @Override
    public Map<Integer, String> placeRestore(ModuleDescriptor descriptor, Parallelism parallelism) {
        ModuleRecord record = modules.get(descriptor.name());
        if (parallelism == null) {
            if (record == null) {
                throw new IllegalArgumentException("module " + descriptor.name() + " is not deployed: give a parallelism to restore it");
            }
            if (record.descriptor.taskCount() == descriptor.taskCount()) {
                return record.placement;
            }
            return place(descriptor.taskCount(), record.descriptor.parallelism());
        }
        return place(descriptor.taskCount(), parallelism);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Atomic across crashes: the install first writes an intent (under {@code conductor/installs},
     * with the staged jar) naming everything it will do; a cluster reopened after a crash finishes an
     * install whose intent it finds (the staged state was complete when the intent was written) and
     * discards staging that no intent names. Live state is the old state or the restored one, never a
     * mix. The module then runs the code its restored jar carries, with the restored config overrides.
     */
    @Override
    public synchronized RestoreMarker installRestore(RestoreRequest request) {
        requireLive("install a restore");
        return installer.install(request);
    }

    /** Hears each step of an install by name, to crash there in tests; the default does nothing. */
    public void onInstallStep(Consumer<String> listener) {
        installer.onStep(listener);
    }

    // ------------------------------------------------------------------ what the installer changes

    /** Where a deployed module's tasks live, or null when it is not deployed. */
    Map<Integer, String> placement(String module) {
        ModuleRecord record = modules.get(module);
        return record == null ? null : Map.copyOf(record.placement);
    }

    /** Stops a module's running instance, if any, without recording it as stopped. */
    void closeInstance(String module) {
        ModuleRecord record = modules.get(module);
        if (record != null && record.instance != null) {
            ModuleInstance running = record.instance;
            record.instance = null;
            running.close();
        }
    }

    /** The module code a jar carries, or null when this cluster does not have that code. */
    ModuleDefinition codeOf(Path jar) {
        return code.ofJar(jar).orElse(null);
    }

    /** Records a module as restored and opens (without starting) its instance on the installed state. */
    ModuleInstance recordInstalled(ModuleDescriptor descriptor, ModuleDefinition definition, Map<Integer, String> placement,
                                   Runnable recorded) {
        ModuleRecord record = modules.computeIfAbsent(descriptor.name(), m -> new ModuleRecord());
        record.placement = placement;
        record.descriptor = descriptor;
        record.definition = definition;
        state.saveModule(record.stored());
        recorded.run();
        ModuleInstance instance = openInstance(descriptor.name(), record);
        record.instance = instance; // not started yet, but closed with the cluster
        return instance;
    }

    /** Makes {@code marker} the module's restore marker. */
    void recordMarker(RestoreMarker marker) {
        markers.put(marker.module(), marker);
        state.saveMarker(marker);
    }

    @Override
    public Optional<RestoreMarker> restoreMarker(String module) {
        return Optional.ofNullable(markers.get(module));
    }

    /** Stops every module (keeping state). */
    @Override
    public synchronized void close() {
        for (ModuleRecord record : modules.values()) {
            ModuleInstance instance = record.instance;
            record.instance = null;
            if (instance != null) {
                instance.close();
            }
        }
    }

    // ------------------------------------------------------------------ internals

    private ModuleRecord record(String module) {
        ModuleRecord record = modules.get(module);
        if (record == null) {
            throw new IllegalArgumentException("unknown module " + module + "; deployed modules: " + moduleNames());
        }
        return record;
    }

    private ModuleInstance runningInstance(String module) {
        ModuleInstance instance = record(module).instance;
        if (instance == null) {
            throw new IllegalStateException("module " + module + " is not running");
        }
        return instance;
    }

    private Map<Integer, String> place(int taskCount, Parallelism parallelism) {
        return Placement.roundRobin(taskCount, parallelism, supervisors.stream().map(Supervisor::id).toList());
    }

    /**
     * Per task of a deployed module, the Supervisors holding its replicas, its leader first: the
     * parallelism's replication factor, on distinct Supervisors among the module's workers.
     */
    public Map<Integer, List<String>> replicas(String module) {
        ModuleRecord record = record(module);
        return Placement.replicas(record.placement, record.descriptor.parallelism().replicationFactor());
    }

    /**
     * The value of {@code key} in PState {@code pstate} of a running module, from the task that holds it,
     * or empty when no task has it.
     */
    public Optional<String> readPState(String module, String pstate, String key) {
        return Optional.ofNullable(runningInstance(module).readPState(pstate, key));
    }

    private void startInstance(String module, ModuleRecord record) {
        ModuleInstance instance = openInstance(module, record);
        record.instance = instance;
        instance.start();
    }

    private ModuleInstance openInstance(String module, ModuleRecord record) {
        if (record.definition == null) {
            throw new IllegalStateException("module " + module + " cannot start: this cluster does not have the code its jar"
                    + " carries");
        }
        // The code is the jar's; the config overrides are the module's (a restore brings back its own).
        ModuleDefinition definition = record.definition.withConfigOverrides(record.descriptor.configOverrides());
        Map<Integer, TaskState> tasks = new LinkedHashMap<>();
        try {
            for (Map.Entry<Integer, String> task : new TreeMap<>(record.placement).entrySet()) {
                Path dir = supervisor(task.getValue()).taskDirectory(module, task.getKey());
                tasks.put(task.getKey(), new TaskState(definition, task.getKey(), task.getValue(), dir, segmentBytes));
            }
        } catch (RuntimeException e) {
            tasks.values().forEach(TaskState::close);
            throw e;
        }
        return new ModuleInstance(topologyView, definition, tasks, false);
    }

    private void requireLive(String what) {
        if (view) {
            throw new IllegalStateException("cannot " + what + " through a read-only view of cluster " + clusterId);
        }
    }

    private void reload() {
        for (ClusterState.StoredModule stored : state.loadModules()) {
            ModuleRecord record = new ModuleRecord();
            record.descriptor = stored.descriptor();
            record.placement = new HashMap<>(stored.placement());
            Path jar = state.jar(stored.descriptor().name(), stored.descriptor().jarName());
            record.definition = Files.isRegularFile(jar) ? codeOf(jar) : null;
            modules.put(stored.descriptor().name(), record);
        }
        state.loadMarkers().forEach(marker -> markers.put(marker.module(), marker));
        if (view) {
            return;
        }
        finishInterruptedInstalls();
        for (Map.Entry<String, ModuleRecord> entry : modules.entrySet()) {
            if (entry.getValue().descriptor.running() && entry.getValue().definition != null) {
                startInstance(entry.getKey(), entry.getValue());
            }
        }
    }

    /**
     * Finishes every install a crash interrupted after its intent was written, then discards all
     * staging and pinned cuts: whatever is left there belongs to restores and backups that died.
     */
    private void finishInterruptedInstalls() {
        for (InstallJournal.InstallIntent intent : journal.interrupted()) {
            installer.complete(intent);
            closeInstance(intent.descriptor().name()); // started below with the other modules
        }
        supervisors.forEach(Supervisor::discardAllStaging);
        // A cluster just opened holds no cut: pins on disk belong to backups that died with a process.
        supervisors.forEach(s -> Files2.deleteRecursively(s.root().resolve("cuts")));
    }
}
