package io.modbackup.testkit.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.modbackup.api.runtime.CapturedFile;
import io.modbackup.api.runtime.ClusterRuntime;
import io.modbackup.api.runtime.CutDescriptor;
import io.modbackup.api.runtime.FileKind;
import io.modbackup.api.runtime.ModuleDescriptor;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.api.runtime.RestoreMarker;
import io.modbackup.api.runtime.TaskCut;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

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
    private final Path root;
    private final long segmentBytes;
    private final Map<String, ModuleDefinition> catalog = new ConcurrentHashMap<>();
    private final List<Supervisor> supervisors = new ArrayList<>();
    private final Map<String, ModuleRecord> modules = new ConcurrentHashMap<>();
    private final Map<String, RestoreMarker> markers = new ConcurrentHashMap<>();
    private final Map<String, CutDescriptor> cuts = new ConcurrentHashMap<>();
    private final AtomicLong cutCounter = new AtomicLong();
    private final ObjectMapper json = new ObjectMapper();
    private volatile Consumer<String> installSteps = step -> { };
    private static final String INTENT = "intent.json";

    /** Where a module is deployed and what it looks like now; {@code instance} is null when stopped. */
    private static final class ModuleRecord {
        volatile ModuleDescriptor descriptor;
        volatile Map<Integer, String> placement;
        volatile ModuleInstance instance;
    }

    /** The persisted form of a module record. */
    private record StoredModule(ModuleDescriptor descriptor, Map<Integer, String> placement) {
    }

    /**
     * Opens the cluster at {@code root} with {@code supervisorCount} Supervisors, reopening (and
     * starting, where they were running) modules found there whose code is in {@code catalog}.
     */
    public SimulatedCluster(String clusterId, Path root, int supervisorCount, long segmentBytes,
                            List<ModuleDefinition> catalog) {
        if (supervisorCount < 1) {
            throw new IllegalArgumentException("a cluster needs at least one Supervisor, got " + supervisorCount);
        }
        this.clusterId = clusterId;
        this.root = root.toAbsolutePath();
        this.segmentBytes = segmentBytes;
        catalog.forEach(d -> this.catalog.put(d.name(), d));
        for (int i = 0; i < supervisorCount; i++) {
            supervisors.add(new Supervisor("supervisor-" + i, this.root.resolve("supervisor-" + i)));
        }
        reload();
    }

    /** A new cluster with two Supervisors and the sample modules' code. */
    public static SimulatedCluster withSampleModules(Path root) {
        return new SimulatedCluster("sim-cluster", root, 2, DEFAULT_SEGMENT_BYTES,
                List.of(SampleModules.moduleA(), SampleModules.moduleB()));
    }

    // ------------------------------------------------------------------ lifecycle of modules

    /** Deploys and starts a module whose code is {@code definition}. */
    public synchronized void deploy(ModuleDefinition definition, Parallelism parallelism) {
        if (modules.containsKey(definition.name())) {
            throw new IllegalStateException("module " + definition.name() + " is already deployed");
        }
        catalog.put(definition.name(), definition);
        ModuleRecord record = new ModuleRecord();
        record.placement = place(definition.taskCount(), parallelism);
        record.descriptor = definition.describe(true, parallelism, definition.dynamicOptions());
        writeJar(definition);
        modules.put(definition.name(), record);
        persist(definition.name(), record);
        startInstance(definition.name(), record);
    }

    /** Stops a running module, keeping its state. */
    public synchronized void stop(String module) {
        ModuleRecord record = record(module);
        ModuleInstance instance = record.instance;
        if (instance != null) {
            record.instance = null;
            instance.close();
        }
        record.descriptor = record.descriptor.withDeployment(false, record.descriptor.parallelism());
        persist(module, record);
    }

    /** Starts a stopped module on its existing state. */
    public synchronized void start(String module) {
        ModuleRecord record = record(module);
        if (record.instance == null) {
            record.descriptor = record.descriptor.withDeployment(true, record.descriptor.parallelism());
            persist(module, record);
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
        Files2.deleteRecursively(moduleDir(module));
    }

    /** Changes a dynamic option of a module while it runs. */
    public synchronized void setDynamicOption(String module, String key, String value) {
        ModuleRecord record = record(module);
        Map<String, String> options = new TreeMap<>(record.descriptor.dynamicOptions());
        if (value == null) {
            options.remove(key);
        } else {
            options.put(key, value);
        }
        record.descriptor = record.descriptor.withDynamicOptions(options);
        persist(module, record);
    }

    /** Appends an entry to the partition of a depot that its key hashes to, as a depot client does. */
    public long append(String module, String depot, WorkloadEntry entry) {
        ModuleInstance instance = runningInstance(module);
        int partition = WorkloadEntry.partitionOf(entry.key(), instance.definition.taskCount());
        DepotPartition target = instance.tasks.get(partition).depots.get(depot);
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
        instance.processing.writeLock().lock();
        try {
            for (TaskState task : instance.tasks.values()) {
                task.stores.values().forEach(PStateStore::settle);
            }
        } finally {
            instance.processing.writeLock().unlock();
        }
        return true;
    }

    private boolean caughtUp(String module) {
        ModuleInstance instance = runningInstance(module);
        for (TaskState task : instance.tasks.values()) {
            for (ModuleDefinition.Topology topology : instance.definition.topologies()) {
                PStateStore.Progress progress = task.stores.get(topology.name()).progress();
                for (var subscription : topology.subscriptions()) {
                    for (int p : instance.definition.partitionsFor(task.task, taskCount(subscription.module()))) {
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
        ModuleDefinition definition = catalog.get(module);
        if (definition == null) {
            throw new IllegalArgumentException("unknown module " + module);
        }
        return definition.taskCount();
    }

    /** A live depot partition, or null when its module is not running. */
    DepotPartition depotPartition(String module, String depot, int partition) {
        ModuleRecord record = modules.get(module);
        ModuleInstance instance = record == null ? null : record.instance;
        if (instance == null) {
            return null;
        }
        TaskState task = instance.tasks.get(partition);
        return task == null ? null : task.depots.get(depot);
    }

    /** Entries of a live depot partition; empty when its module is stopped or being restored. */
    List<DepotEntry> readDepot(String module, String depot, int partition, long from, int max) {
        DepotPartition target = depotPartition(module, depot, partition);
        if (target == null) {
            return List.of();
        }
        try {
            return target.read(from, max);
        } catch (IllegalStateException closed) {
            return List.of();
        }
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

    /** The code of a module known to this cluster. */
    public ModuleDefinition definition(String module) {
        ModuleDefinition definition = catalog.get(module);
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
        for (TaskState task : instance.tasks.values()) {
            for (DepotPartition depot : task.depots.values()) {
                segments += depot.segmentCount();
                entries += depot.endOffset();
            }
            for (PStateStore store : task.stores.values()) {
                ssts += store.liveSstFiles().size();
            }
        }
        return new StateStats(segments, ssts, entries, instance.eventsProcessed());
    }

    /** Live SST file names of every PState store of a running module, as {@code task/topology/file}. */
    public List<String> liveSstFiles(String module) {
        ModuleInstance instance = runningInstance(module);
        List<String> files = new ArrayList<>();
        for (TaskState task : instance.tasks.values()) {
            task.stores.forEach((topology, store) ->
                    store.liveSstFiles().forEach(f -> files.add(task.task + "/" + topology + "/" + f)));
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
        return moduleDir(module).resolve(record.descriptor.jarName());
    }

    @Override
    public CutDescriptor captureCut(String module) {
        ModuleInstance instance = runningInstance(module);
        ModuleRecord record = record(module);
        String cutId = "cut-" + System.currentTimeMillis() + "-" + cutCounter.incrementAndGet();
        Map<Integer, List<CapturedFile>> files = new ConcurrentHashMap<>();
        Map<Integer, Map<String, Map<String, Long>>> processed = new ConcurrentHashMap<>();
        Map<String, Long> commitIds = new ConcurrentHashMap<>();
        long capturedAt;
        // 1. PStates and progress, with every topology paused between steps. Tasks are checkpointed in
        // parallel: each checkpoint waits on fsyncs, and the topologies wait for all of them.
        instance.processing.writeLock().lock();
        try {
            capturedAt = System.currentTimeMillis();
            instance.tasks.values().parallelStream().forEach(task -> {
                Path cutDir = supervisor(task.supervisorId).cutDirectory(module, cutId, task.task);
                List<CapturedFile> taskFiles = new ArrayList<>();
                Map<String, Map<String, Long>> taskProcessed = new TreeMap<>();
                for (Map.Entry<String, PStateStore> store : task.stores.entrySet()) {
                    String relative = TaskState.PSTATES + "/" + store.getKey();
                    Path checkpoint = cutDir.resolve(relative);
                    store.getValue().checkpoint(checkpoint);
                    PStateStore.Progress progress = store.getValue().progress();
                    taskProcessed.put(store.getKey(), progress.processedOffsets());
                    if (instance.definition.topology(store.getKey()).kind() == io.modbackup.api.runtime.TopologyKind.MICROBATCH) {
                        commitIds.merge(store.getKey(), progress.commitId(), (a, b) -> {
                            if (!a.equals(b)) {
                                throw new IllegalStateException("microbatch topology " + store.getKey()
                                        + " is not at one commit ID across tasks: " + a + " and " + b);
                            }
                            return a;
                        });
                    }
                    taskFiles.addAll(listCheckpoint(checkpoint, relative));
                }
                files.put(task.task, taskFiles);
                processed.put(task.task, taskProcessed);
            });
        } finally {
            instance.processing.writeLock().unlock();
        }
        // 2. Depots, after the PStates: every end offset is at or past every processed offset.
        List<TaskCut> taskCuts = new ArrayList<>();
        for (TaskState task : instance.tasks.values()) {
            Supervisor supervisor = supervisor(task.supervisorId);
            Path cutDir = supervisor.cutDirectory(module, cutId, task.task);
            Map<String, Long> ends = new TreeMap<>();
            List<CapturedFile> taskFiles = files.get(task.task);
            for (Map.Entry<String, DepotPartition> depot : task.depots.entrySet()) {
                String relative = TaskState.DEPOTS + "/" + depot.getKey() + "/";
                DepotPartition.Capture capture = depot.getValue().capture(cutDir.resolve(TaskState.DEPOTS).resolve(depot.getKey()), relative);
                taskFiles.addAll(capture.files());
                ends.put(depot.getKey(), capture.endOffset());
            }
            supervisor.registerCut(module, cutId, task.task, taskFiles);
            taskCuts.add(new TaskCut(task.task, task.supervisorId, ends, processed.get(task.task), taskFiles.size(),
                    taskFiles.stream().mapToLong(CapturedFile::size).sum()));
        }
        CutDescriptor cut = new CutDescriptor(module, cutId, capturedAt, new TreeMap<>(commitIds), record.descriptor, taskCuts);
        cuts.put(module + "/" + cutId, cut);
        return cut;
    }

    private static List<CapturedFile> listCheckpoint(Path checkpoint, String relative) {
        try (Stream<Path> list = Files.list(checkpoint)) {
            List<CapturedFile> files = new ArrayList<>();
            for (Path file : list.sorted().toList()) {
                String name = file.getFileName().toString();
                FileKind kind = name.endsWith(".sst") ? FileKind.IMMUTABLE
                        : name.endsWith(".log") ? FileKind.APPEND_ONLY : FileKind.MUTABLE;
                files.add(new CapturedFile(relative + "/" + name, kind, Files.size(file),
                        Files.getLastModifiedTime(file).toMillis(), file));
            }
            return files;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list checkpoint " + checkpoint, e);
        }
    }

    @Override
    public void releaseCut(String module, String cutId) {
        cuts.remove(module + "/" + cutId);
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
                throw new IllegalArgumentException("module " + descriptor.name()
                        + " is not deployed: give --threads, --workers and --replicationFactor to restore it");
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
     * <p>Atomic across crashes: the install first writes an intent (under {@code conductor/installs})
     * naming everything it will do; a cluster reopened after a crash finishes an install whose intent
     * it finds (the staged state was complete and verified when the intent was written) and discards
     * staging that no intent names. Live state is therefore the old state or the restored one, never
     * a mix.
     */
    @Override
    public synchronized RestoreMarker installRestore(RestoreRequest request) {
        ModuleDescriptor restored = request.descriptor();
        String module = restored.name();
        ModuleDefinition definition = definition(module);
        if (definition.taskCount() != restored.taskCount()) {
            throw new IllegalArgumentException("module " + module + " has " + definition.taskCount()
                    + " tasks in its code but the backup has " + restored.taskCount());
        }
        for (Map.Entry<Integer, String> task : request.placement().entrySet()) {
            Path staged = supervisor(task.getValue()).existingStagingDirectory(module, request.restoreId(), task.getKey());
            if (!Files.isDirectory(staged)) {
                throw new IllegalStateException("task " + task.getKey() + " of module " + module
                        + " has nothing staged on " + task.getValue() + " for restore " + request.restoreId());
            }
        }
        ModuleRecord record = modules.get(module);
        Parallelism parallelism = request.parallelism();
        if (parallelism == null) {
            if (record == null) {
                throw new IllegalArgumentException("module " + module
                        + " is not deployed: give --threads, --workers and --replicationFactor to restore it");
            }
            parallelism = record.descriptor.parallelism();
        }
        Path installDir = installDir(module);
        try {
            Files2.deleteRecursively(installDir);
            Files.createDirectories(installDir);
            Files.copy(request.stagedJar(), installDir.resolve(restored.jarName()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stage the jar of module " + module, e);
        }
        long epoch = restoreMarker(module).map(RestoreMarker::epoch).orElse(0L) + 1;
        InstallIntent intent = new InstallIntent(request.restoreId(), request.backupId(), restored.withDeployment(true, parallelism),
                Map.copyOf(request.placement()), record == null ? Map.of() : Map.copyOf(record.placement), epoch);
        writeJson(installDir.resolve(INTENT), intent);
        installSteps.accept("intent-written");
        if (record != null && record.instance != null) {
            ModuleInstance running = record.instance;
            record.instance = null;
            running.close();
        }
        Installed installed = completeInstall(intent);
        installed.instance().start();
        return installed.marker();
    }

    /** A finished install: the module's new (not yet started) instance and its restore marker. */
    private record Installed(ModuleInstance instance, RestoreMarker marker) {
    }

    /** Hears each step of an install by name, to crash there in tests; the default does nothing. */
    public void onInstallStep(Consumer<String> listener) {
        this.installSteps = listener;
    }

    /** What an install will do, written before it touches live state. */
    private record InstallIntent(String restoreId, String backupId, ModuleDescriptor descriptor,
                                 Map<Integer, String> placement, Map<Integer, String> previousPlacement, long epoch) {
    }

    /** Carries out an install's intent; idempotent, so a crash anywhere inside is finished by running it again. */
    private Installed completeInstall(InstallIntent intent) {
        String module = intent.descriptor().name();
        ModuleDefinition definition = definition(module);
        try {
            for (Map.Entry<Integer, String> task : new TreeMap<>(intent.placement()).entrySet()) {
                Supervisor supervisor = supervisor(task.getValue());
                Path staged = supervisor.existingStagingDirectory(module, intent.restoreId(), task.getKey());
                if (Files.isDirectory(staged)) {
                    Path live = supervisor.taskDirectory(module, task.getKey());
                    Files.createDirectories(live.getParent());
                    Files2.deleteRecursively(live);
                    Files.move(staged, live, StandardCopyOption.ATOMIC_MOVE);
                    installSteps.accept("task-swapped-" + task.getKey());
                }
            }
            for (Map.Entry<Integer, String> old : intent.previousPlacement().entrySet()) {
                if (!old.getValue().equals(intent.placement().get(old.getKey()))) {
                    Files2.deleteRecursively(supervisor(old.getValue()).taskDirectory(module, old.getKey()));
                }
            }
            Files.createDirectories(moduleDir(module));
            Files.copy(installDir(module).resolve(intent.descriptor().jarName()),
                    moduleDir(module).resolve(intent.descriptor().jarName()), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot install restored state of module " + module, e);
        }
        ModuleRecord record = modules.computeIfAbsent(module, m -> new ModuleRecord());
        record.placement = intent.placement();
        record.descriptor = intent.descriptor();
        persist(module, record);
        installSteps.accept("module-recorded");
        ModuleInstance instance = openInstance(module, record);
        record.instance = instance; // not started yet, but closed with the cluster
        Map<String, List<Long>> ends = new TreeMap<>();
        for (String depot : definition.depots()) {
            List<Long> partitionEnds = new ArrayList<>();
            for (int task = 0; task < definition.taskCount(); task++) {
                partitionEnds.add(instance.tasks.get(task).depots.get(depot).endOffset());
            }
            ends.put(depot, partitionEnds);
        }
        RestoreMarker marker = new RestoreMarker(module, intent.epoch(), intent.backupId(), System.currentTimeMillis(), ends);
        markers.put(module, marker);
        writeJson(root.resolve("conductor/markers").resolve(module + ".json"), marker);
        installSteps.accept("marker-written");
        for (Supervisor supervisor : supervisors) {
            supervisor.discardStaging(module, intent.restoreId());
        }
        Files2.deleteRecursively(installDir(module));
        return new Installed(instance, marker);
    }

    private Path installDir(String module) {
        return installsRoot().resolve(module);
    }

    private Path installsRoot() {
        return root.resolve("conductor/installs");
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
        int used = Math.min(parallelism.workers(), supervisors.size());
        Map<Integer, String> placement = new TreeMap<>();
        for (int task = 0; task < taskCount; task++) {
            placement.put(task, supervisors.get(task % used).id());
        }
        return placement;
    }

    private void startInstance(String module, ModuleRecord record) {
        ModuleInstance instance = openInstance(module, record);
        record.instance = instance;
        instance.start();
    }

    private ModuleInstance openInstance(String module, ModuleRecord record) {
        ModuleDefinition definition = definition(module);
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
        return new ModuleInstance(this, definition, tasks);
    }

    private Path moduleDir(String module) {
        return root.resolve("conductor/modules").resolve(module);
    }

    private void writeJar(ModuleDefinition definition) {
        Path jar = moduleDir(definition.name()).resolve(definition.jarName());
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().putValue("Module-Name", definition.name());
        try {
            Files.createDirectories(jar.getParent());
            try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file, manifest)) {
                out.putNextEntry(new JarEntry("module-definition.txt"));
                out.write(definition.toString().getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the jar of module " + definition.name(), e);
        }
    }

    private void persist(String module, ModuleRecord record) {
        writeJson(moduleDir(module).resolve("module.json"), new StoredModule(record.descriptor, record.placement));
    }

    private void writeJson(Path file, Object value) {
        try {
            Files.createDirectories(file.getParent());
            Path temp = file.resolveSibling(file.getFileName() + ".tmp");
            json.writerWithDefaultPrettyPrinter().writeValue(temp.toFile(), value);
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private void reload() {
        Path modulesDir = root.resolve("conductor/modules");
        if (!Files.isDirectory(modulesDir)) {
            return;
        }
        try (Stream<Path> list = Files.list(modulesDir)) {
            for (Path dir : list.sorted().toList()) {
                Path file = dir.resolve("module.json");
                if (!Files.exists(file)) {
                    continue;
                }
                StoredModule stored = json.readValue(file.toFile(), StoredModule.class);
                ModuleRecord record = new ModuleRecord();
                record.descriptor = stored.descriptor();
                record.placement = new HashMap<>(stored.placement());
                modules.put(stored.descriptor().name(), record);
            }
            Path markersDir = root.resolve("conductor/markers");
            if (Files.isDirectory(markersDir)) {
                try (Stream<Path> markerFiles = Files.list(markersDir)) {
                    for (Path file : markerFiles.filter(f -> f.toString().endsWith(".json")).toList()) {
                        RestoreMarker marker = json.readValue(file.toFile(), RestoreMarker.class);
                        markers.put(marker.module(), marker);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reload the cluster state in " + root, e);
        }
        finishInterruptedInstalls();
        for (Map.Entry<String, ModuleRecord> entry : modules.entrySet()) {
            if (entry.getValue().descriptor.running() && catalog.containsKey(entry.getKey())) {
                startInstance(entry.getKey(), entry.getValue());
            }
        }
    }

    /**
     * Finishes every install a crash interrupted after its intent was written, then discards all
     * staging: whatever is left there belongs to restores that never reached their install.
     */
    private void finishInterruptedInstalls() {
        Path installs = installsRoot();
        if (Files.isDirectory(installs)) {
            try (Stream<Path> list = Files.list(installs)) {
                for (Path dir : list.sorted().toList()) {
                    Path intentFile = dir.resolve(INTENT);
                    if (Files.exists(intentFile)) {
                        InstallIntent intent = json.readValue(intentFile.toFile(), InstallIntent.class);
                        completeInstall(intent);
                        ModuleRecord record = modules.get(intent.descriptor().name());
                        record.instance.close(); // started below with the other modules
                        record.instance = null;
                    } else {
                        Files2.deleteRecursively(dir);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot finish the interrupted installs in " + installs, e);
            }
        }
        supervisors.forEach(Supervisor::discardAllStaging);
    }
}
