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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * A Rama-like cluster in one JVM: the {@link ConductorRuntime} that the multi-process cluster runs, and
 * the same {@link SupervisorHost}s, joined by direct calls instead of HTTP. Modules have depots of real
 * segment files, PStates in real RocksDB, microbatch topologies driven by the Conductor and stream
 * topologies on the Supervisors' threads, a jar, config overrides and dynamic options. It implements the
 * {@link ClusterRuntime} SPI for the backup engine by delegating to the Conductor; what it adds is
 * inspection for tests and reports (state sizes, settling, live SST files), which asks the Supervisors.
 *
 * <p>The Conductor's state lives under {@code root/conductor} and each Supervisor's under
 * {@code root/supervisor-N}, as in the multi-process cluster, so a cluster reopened on the same root
 * finds its modules again and finishes installs a crash interrupted before it returns.
 */
public final class SimulatedCluster implements ClusterRuntime, AutoCloseable {
    /** Default depot segment size: small, so segments roll often. */
    public static final long DEFAULT_SEGMENT_BYTES = 256 * 1024;

    private final boolean view;
    private final ModuleCode code;
    private final List<SupervisorHost> hosts = new ArrayList<>();
    private final ConductorRuntime conductor;

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
        this.view = view;
        this.code = new ModuleCode(catalog);
        Path absolute = root.toAbsolutePath();
        List<String> ids = IntStream.range(0, supervisorCount).mapToObj(i -> "supervisor-" + i).toList();
        if (view) {
            this.conductor = new ConductorRuntime(clusterId, absolute, ids, code, id -> {
                throw new IllegalStateException("a read-only view of cluster " + clusterId + " reaches no Supervisor");
            }, ConductorRuntime.DEFAULT_DEADLINE, false);
            return;
        }
        DirectView[] views = new DirectView[supervisorCount];
        for (int i = 0; i < supervisorCount; i++) {
            views[i] = new DirectView();
            hosts.add(new SupervisorHost(ids.get(i), absolute.resolve(ids.get(i)), segmentBytes, code, views[i]));
        }
        this.conductor = new ConductorRuntime(clusterId, absolute, ids, code, this::host, ConductorRuntime.DEFAULT_DEADLINE,
                true);
        for (DirectView v : views) {
            v.conductor = conductor;
        }
        // As the multi-process Conductor does once its Supervisors report: finish decided installs, host
        // every module, and drop what operations that died left behind.
        conductor.recoverInstalls();
        long openedAt = System.currentTimeMillis() + 1;
        for (SupervisorHost host : hosts) {
            conductor.supervisorJoined(host.id());
            host.keepOnly(Set.of(), conductor.snapshot().restoringModules(), openedAt, openedAt);
        }
    }

    /**
     * A read-only view of the cluster at {@code root}: its modules' descriptors, placements, dynamic
     * options and restore markers, as its Conductor serves them, without opening any module's state or
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

    /** The Conductor, for what the tests drive on it directly. */
    public ConductorRuntime conductor() {
        return conductor;
    }

    // ------------------------------------------------------------------ lifecycle of modules

    /** Deploys and starts a module whose code is {@code definition}. */
    public void deploy(ModuleDefinition definition, Parallelism parallelism) {
        requireLive("deploy");
        code.add(definition);
        conductor.deploy(definition.name(), ModuleCode.idOf(definition), parallelism);
    }

    /**
     * Updates a deployed module to new code, as a module update does (see {@link ConductorRuntime#update}).
     *
     * @throws IllegalArgumentException when the module is not deployed, or the new code changes its task
     *     count or depots (an update cannot repartition state)
     */
    public void update(ModuleDefinition newVersion) {
        requireLive("update a module");
        code.add(newVersion);
        conductor.update(newVersion.name(), ModuleCode.idOf(newVersion));
    }

    /** Stops a running module, keeping its state. */
    public void stop(String module) {
        requireLive("stop");
        conductor.stop(module);
    }

    /** Starts a stopped module on its existing state. */
    public void start(String module) {
        requireLive("start");
        conductor.start(module);
    }

    /** Stops a module and deletes all its state: afterwards only a restore can bring it back. */
    public void destroy(String module) {
        requireLive("destroy");
        conductor.destroy(module);
    }

    /** Changes a dynamic option of a module while it runs. */
    public void setDynamicOption(String module, String key, String value) {
        requireLive("set a dynamic option");
        conductor.setDynamicOption(module, key, value);
    }

    /** Appends an entry to the partition of a depot that its key hashes to, as a depot client does. */
    public void append(String module, String depot, WorkloadEntry entry) {
        conductor.append(module, depot, List.of(entry));
    }

    /**
     * Waits until every topology of {@code module} has processed every entry that was in the depots it
     * subscribes to when the wait began, or {@code timeoutMillis} passed; returns whether it caught up.
     */
    public boolean awaitCaughtUp(String module, long timeoutMillis) throws InterruptedException {
        return conductor.awaitCaughtUp(module, Duration.ofMillis(timeoutMillis));
    }

    /**
     * Waits until the module's topologies caught up with their depots, then flushes every PState and
     * waits for RocksDB's compactions: afterwards nothing changes on disk until the next append.
     */
    public boolean awaitSettled(String module, long timeoutMillis) throws InterruptedException {
        if (!awaitCaughtUp(module, timeoutMillis)) {
            return false;
        }
        hosts.forEach(host -> host.settle(module));
        return true;
    }

    // ------------------------------------------------------------------ what tests read

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
        return conductor.depots();
    }

    /** The code a deployed module runs, or for a module not deployed, the code this cluster has for it. */
    public ModuleDefinition definition(String module) {
        return conductor.definition(module);
    }

    /** The Supervisors, in ID order. */
    public List<SupervisorHost> supervisors() {
        return List.copyOf(hosts);
    }

    /** Where each task of a deployed module lives. */
    public Map<Integer, Path> taskDirectories(String module) {
        Map<Integer, Path> dirs = new TreeMap<>();
        conductor.placement(module).forEach((task, s) -> dirs.put(task, host(s).taskDirectory(module, task)));
        return dirs;
    }

    /** The last error a topology of the module hit, if any. */
    public Optional<Throwable> topologyError(String module) {
        return hosts.stream().map(host -> host.topologyError(module)).flatMap(Optional::stream).findFirst();
    }

    /** Sizes of a running module's state, for reports. */
    public record StateStats(int depotSegments, int liveSstFiles, long depotEntries, long eventsProcessed) {
        StateStats plus(StateStats other) {
            return new StateStats(depotSegments + other.depotSegments, liveSstFiles + other.liveSstFiles,
                    depotEntries + other.depotEntries, eventsProcessed + other.eventsProcessed);
        }
    }

    /** Current sizes of a running module's state. */
    public StateStats stats(String module) {
        return hostsOf(module).stream().map(host -> host.stats(module)).reduce(new StateStats(0, 0, 0, 0), StateStats::plus);
    }

    /** Live SST file names of every PState store of a running module, as {@code task/topology/file}. */
    public List<String> liveSstFiles(String module) {
        List<String> files = new ArrayList<>();
        hostsOf(module).forEach(host -> files.addAll(host.liveSstFiles(module)));
        files.sort(null);
        return files;
    }

    /** Per task of a deployed module, the Supervisors holding its replicas, its leader first. */
    public Map<Integer, List<String>> replicas(String module) {
        return conductor.replicas(module);
    }

    /** The values of {@code keys} in PState {@code pstate} of a running module; a key no task has is absent. */
    public Map<String, String> readPState(String module, String pstate, Collection<String> keys) {
        return conductor.readPState(module, pstate, keys);
    }

    /**
     * Hears each durable step of an install by name, to crash there in tests: the Conductor's
     * ({@code decision-written}, {@code swapped-<supervisor>}, {@code jar-installed}, {@code module-recorded},
     * {@code marker-written}) and each Supervisor's swap ({@code journal-written}, {@code task-swapped-<n>}).
     */
    public void onInstallStep(Consumer<String> listener) {
        conductor.onInstallStep(listener);
        hosts.forEach(host -> host.onSwapStep(listener));
    }

    // ------------------------------------------------------------------ ClusterRuntime, the Conductor's

    @Override
    public String clusterId() {
        return conductor.clusterId();
    }

    @Override
    public List<String> moduleNames() {
        return conductor.moduleNames();
    }

    @Override
    public Optional<ModuleDescriptor> describe(String module) {
        return conductor.describe(module);
    }

    @Override
    public Path moduleJar(String module) {
        return conductor.moduleJar(module);
    }

    @Override
    public CutDescriptor captureCut(String module) {
        requireLive("capture a cut");
        return conductor.captureCut(module);
    }

    @Override
    public void releaseCut(String module, String cutId) {
        conductor.releaseCut(module, cutId);
    }

    @Override
    public SupervisorRuntime supervisor(String supervisorId) {
        return conductor.supervisor(supervisorId);
    }

    @Override
    public Map<Integer, String> placeRestore(ModuleDescriptor descriptor, Parallelism parallelism) {
        return conductor.placeRestore(descriptor, parallelism);
    }

    @Override
    public RestoreMarker installRestore(RestoreRequest request) {
        requireLive("install a restore");
        return conductor.installRestore(request);
    }

    @Override
    public Optional<RestoreMarker> restoreMarker(String module) {
        return conductor.restoreMarker(module);
    }

    /** Stops every module (keeping state). */
    @Override
    public void close() {
        conductor.close();
        hosts.forEach(SupervisorHost::close);
    }

    // ------------------------------------------------------------------ internals

    private SupervisorHost host(String supervisorId) {
        return hosts.stream().filter(h -> h.id().equals(supervisorId)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no Supervisor " + supervisorId + " in this cluster"));
    }

    private List<SupervisorHost> hostsOf(String module) {
        Set<String> ids = Set.copyOf(conductor.placement(module).values());
        return hosts.stream().filter(h -> ids.contains(h.id())).toList();
    }

    private void requireLive(String what) {
        if (view) {
            throw new IllegalStateException("cannot " + what + " through a read-only view of cluster " + clusterId());
        }
    }

    /**
     * The cluster as a Supervisor of this process sees it: the Conductor's own records (no heartbeat
     * lag), and depot partitions read from the Supervisor that hosts them, naming the restore epoch.
     */
    private final class DirectView implements ClusterView {
        volatile ConductorRuntime conductor;

        @Override
        public OptionalInt taskCount(String module) {
            return conductor.describe(module).map(d -> OptionalInt.of(d.taskCount())).orElse(OptionalInt.empty());
        }

        @Override
        public List<DepotEntry> readDepot(String module, String depot, int partition, long from, int max) {
            ConductorRuntime c = conductor;
            if (c == null || c.describe(module).isEmpty()) {
                return List.of();
            }
            String owner = c.placement(module).get(partition);
            long epoch = c.restoreMarker(module).map(RestoreMarker::epoch).orElse(0L);
            return owner == null ? List.of() : host(owner).readDepot(module, depot, partition, from, max, epoch);
        }

        @Override
        public Optional<RestoreMarker> restoreMarker(String module) {
            ConductorRuntime c = conductor;
            return c == null ? Optional.empty() : c.restoreMarker(module);
        }
    }
}
