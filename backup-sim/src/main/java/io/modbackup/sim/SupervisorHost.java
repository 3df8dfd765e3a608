package io.modbackup.sim;

import io.modbackup.api.fs.FileTrees;
import io.modbackup.api.runtime.CapturedFile;
import io.modbackup.api.runtime.PathSegment;
import io.modbackup.api.runtime.RestoreMarker;
import io.modbackup.api.runtime.SupervisorRuntime;
import io.modbackup.api.runtime.TaskCut;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Supervisor of a multi-process cluster, in its own process: hosts its share of each module's
 * tasks on its own state root, runs their stream topologies and the microbatch steps its Conductor
 * drives, and answers every {@link SupervisorChannel} call. It is also the {@link SupervisorRuntime}
 * its task worker reads cuts from and stages restores into.
 *
 * <p>Opening it finishes an install swap a crash interrupted (its journal is under
 * {@code root/installs}) and deletes every pinned cut, since the cuts of a process that died belong
 * to backups that failed with it. Staging is kept until the Conductor says which restores still run.
 */
public final class SupervisorHost implements SupervisorChannel, SupervisorRuntime, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SupervisorHost.class);

    private final Supervisor supervisor;
    private final long segmentBytes;
    private final ModuleCode code;
    private final ClusterView view;
    private final SupervisorSwaps swaps;
    private final Map<String, Hosted> hosted = new ConcurrentHashMap<>();
    private final SupervisorCuts cuts;
    /** The newest restore marker of each module as hosting orders named it. */
    private final Map<String, RestoreMarker> hostedMarkers = new ConcurrentHashMap<>();
    /** What this Supervisor's topologies see: the cluster view, with the markers of hosting orders when newer. */
    private final ClusterView topologyView = new ClusterView() {
        @Override
        public OptionalInt taskCount(String module) {
            return view.taskCount(module);
        }

        @Override
        public List<DepotEntry> readDepot(String module, String depot, int partition, long from, int max) {
            return view.readDepot(module, depot, partition, from, max);
        }

        @Override
        public Optional<RestoreMarker> restoreMarker(String module) {
            Optional<RestoreMarker> heard = view.restoreMarker(module);
            RestoreMarker hosted = hostedMarkers.get(module);
            return hosted != null && (heard.isEmpty() || heard.get().epoch() < hosted.epoch()) ? Optional.of(hosted) : heard;
        }
    };

    /** A module's tasks hosted here; {@code instance} is null when there are none or it is stopped. */
    private record Hosted(List<Integer> tasks, boolean running, long epoch, ModuleDefinition definition,
                          ModuleInstance instance) {
    }

    /**
     * @param code every version of module code this Supervisor can run
     * @param view how this Supervisor's topologies reach the rest of the cluster
     */
    public SupervisorHost(String id, Path root, long segmentBytes, ModuleCode code, ClusterView view) {
        this.supervisor = new Supervisor(id, root.toAbsolutePath());
        this.cuts = new SupervisorCuts(supervisor);
        this.segmentBytes = segmentBytes;
        this.code = code;
        this.view = view;
        this.swaps = new SupervisorSwaps(supervisor, code);
        swaps.finishInterrupted();
        FileTrees.deleteTree(supervisor.root().resolve("cuts"));
    }

    @Override
    public String id() {
        return supervisor.id();
    }

    /** This Supervisor's root directory. */
    public Path root() {
        return supervisor.root();
    }

    // ------------------------------------------------------------------ hosting and topologies

    @Override
    public synchronized void host(String module, String codeId, Map<String, String> configOverrides, List<Integer> tasks,
                                  boolean running, RestoreMarker marker) {
        long epoch = marker == null ? 0 : marker.epoch();
        ModuleDefinition definition = code.byId(codeId).withConfigOverrides(configOverrides);
        if (marker != null) {
            hostedMarkers.merge(module, marker, (a, b) -> a.epoch() >= b.epoch() ? a : b);
        }
        List<Integer> sorted = tasks.stream().sorted().toList();
        Hosted current = hosted.get(module);
        if (current != null && current.tasks().equals(sorted) && current.running() == running && current.epoch() == epoch
                && current.definition().equals(definition) && (current.instance() != null) == (running && !sorted.isEmpty())) {
            return;
        }
        closeHosted(module);
        ModuleInstance instance = null;
        if (running && !sorted.isEmpty()) {
            instance = open(definition, sorted);
            instance.start();
        }
        hosted.put(module, new Hosted(sorted, running, epoch, definition, instance));
        log.info("Supervisor {} hosts tasks {} of {} ({}, restore epoch {})", id(), sorted, module,
                running ? "running" : "stopped", epoch);
    }

    /**
     * Opens the tasks' state in parallel, a thread each (RocksDB writes and syncs files as it opens a store:
     * 8 stores opened one after another took 0.17 s of a restore's install); on a failure closes those that
     * opened and throws the first failure.
     */
    private ModuleInstance open(ModuleDefinition definition, List<Integer> tasks) {
        Map<Integer, CompletableFuture<TaskState>> opening = new LinkedHashMap<>();
        for (int task : tasks) {
            CompletableFuture<TaskState> state = new CompletableFuture<>();
            Thread opener = new Thread(() -> {
                try {
                    state.complete(new TaskState(definition, task, id(), supervisor.taskDirectory(definition.name(), task),
                            segmentBytes));
                } catch (Throwable e) {
                    state.completeExceptionally(e);
                }
            }, "open-" + definition.name() + "-" + task);
            opener.setDaemon(true);
            opener.start();
            opening.put(task, state);
        }
        Map<Integer, TaskState> states = new LinkedHashMap<>();
        RuntimeException failure = null;
        for (Map.Entry<Integer, CompletableFuture<TaskState>> task : opening.entrySet()) {
            try {
                states.put(task.getKey(), task.getValue().join());
            } catch (java.util.concurrent.CompletionException e) {
                if (failure == null) {
                    failure = e.getCause() instanceof RuntimeException r ? r
                            : new IllegalStateException("cannot open task " + task.getKey() + " of " + definition.name(), e.getCause());
                }
            }
        }
        if (failure != null) {
            states.values().forEach(TaskState::close);
            throw failure;
        }
        return new ModuleInstance(topologyView, definition, states);
    }

    private void closeHosted(String module) {
        Hosted previous = hosted.remove(module);
        if (previous != null && previous.instance() != null) {
            previous.instance().close();
        }
    }

    @Override
    public synchronized void destroy(String module) {
        closeHosted(module);
        supervisor.retireModuleState(module);
    }

    // ------------------------------------------------------------------ inspection, for in-process use

    /** The live state directory of a task hosted here. */
    public Path taskDirectory(String module, int task) {
        return supervisor.taskDirectory(module, task);
    }

    /**
     * Flushes every PState of this Supervisor's tasks of {@code module} and waits for RocksDB's
     * compactions, with the topologies paused: afterwards nothing changes on disk until new work arrives.
     */
    public void settle(String module) {
        Hosted current = hosted.get(module);
        if (current != null && current.instance() != null) {
            ModuleInstance instance = current.instance();
            instance.whilePaused(() -> {
                instance.tasks().values().forEach(task -> task.stores().values().forEach(PStateStore::settle));
                return null;
            });
        }
    }

    /** The last error a topology of the module hit on this Supervisor, if any. */
    public Optional<Throwable> topologyError(String module) {
        Hosted current = hosted.get(module);
        return Optional.ofNullable(current == null || current.instance() == null ? null : current.instance().lastError());
    }

    /** Sizes of this Supervisor's share of a running module's state. */
    public SimulatedCluster.StateStats stats(String module) {
        ModuleInstance instance = running(module);
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
        return new SimulatedCluster.StateStats(segments, ssts, entries, instance.eventsProcessed());
    }

    /** Live SST files of this Supervisor's tasks of a running module, as {@code task/topology/file}. */
    public List<String> liveSstFiles(String module) {
        List<String> files = new ArrayList<>();
        for (TaskState task : running(module).tasks().values()) {
            task.stores().forEach((topology, store) ->
                    store.liveSstFiles().forEach(f -> files.add(task.task() + "/" + topology + "/" + f)));
        }
        return files;
    }

    private ModuleInstance running(String module) {
        Hosted current = hosted.get(module);
        if (current == null || current.instance() == null) {
            throw new IllegalStateException("Supervisor " + id() + " runs no task of module " + module);
        }
        return current.instance();
    }

    @Override
    public Map<String, String> readPState(String module, String pstate, List<String> keys) {
        return running(module).readPState(pstate, keys);
    }

    @Override
    public boolean microbatchHasWork(String module, String topology) {
        Hosted current = hosted.get(module);
        return current != null && current.instance() != null && current.instance().microbatchHasWork(topology);
    }

    @Override
    public long microbatchStep(String module, String topology, long commitId) {
        Hosted current = hosted.get(module);
        if (current == null || current.tasks().isEmpty()) {
            return 0;
        }
        return running(module).microbatchStep(topology, commitId);
    }

    @Override
    public Map<String, Map<String, Long>> processedOffsets(String module) {
        Hosted current = hosted.get(module);
        Map<String, Map<String, Long>> processed = new java.util.TreeMap<>();
        if (current == null || current.instance() == null) {
            return processed;
        }
        for (TaskState task : current.instance().tasks().values()) {
            task.stores().forEach((topology, store) ->
                    processed.computeIfAbsent(topology, t -> new java.util.TreeMap<>()).putAll(store.progress().processedOffsets()));
        }
        return processed;
    }

    @Override
    public long microbatchCommitId(String module, String topology) {
        Hosted current = hosted.get(module);
        return current == null || current.instance() == null ? 0 : current.instance().commitId(topology);
    }

    // ------------------------------------------------------------------ cuts

    @Override
    public PreparedCut prepareCut(String module, String cutId, long holdMillis) {
        return cuts.prepare(running(module), cutId, holdMillis);
    }

    @Override
    public List<TaskCut> completeCut(String module, String cutId) {
        return cuts.complete(module, cutId);
    }

    @Override
    public void abortCut(String module, String cutId) {
        cuts.abort(module, cutId);
    }

    @Override
    public void releaseCut(String module, String cutId) {
        cuts.release(module, cutId);
    }

    @Override
    public List<CapturedFile> cutFiles(String module, String cutId, int task) {
        return supervisor.cutFiles(module, cutId, task);
    }

    // ------------------------------------------------------------------ depots

    @Override
    public List<DepotEntry> readDepot(String module, String depot, int partition, long from, int max, long epoch) {
        Hosted current = hosted.get(module);
        if (current == null || current.instance() == null || current.epoch() != epoch) {
            return List.of();
        }
        TaskState task = current.instance().tasks().get(partition);
        DepotPartition target = task == null ? null : task.depot(depot);
        if (target == null) {
            return List.of();
        }
        return target.readIfOpen(from, max);
    }

    @Override
    public long depotEndOffset(String module, String depot, int partition) {
        return partition(module, depot, partition).endOffset();
    }

    @Override
    public long append(String module, String depot, int partition, List<byte[]> payloads) {
        DepotPartition target = partition(module, depot, partition);
        long last = -1;
        for (byte[] payload : payloads) {
            last = target.append(payload);
        }
        return last;
    }

    private DepotPartition partition(String module, String depot, int partition) {
        TaskState task = running(module).tasks().get(partition);
        if (task == null) {
            throw new IllegalStateException("Supervisor " + id() + " does not host task " + partition + " of " + module);
        }
        DepotPartition target = task.depot(depot);
        if (target == null) {
            throw new IllegalArgumentException("module " + module + " has no depot " + depot);
        }
        return target;
    }

    // ------------------------------------------------------------------ restores

    @Override
    public Path stagingDirectory(String module, String restoreId, int task) {
        return supervisor.stagingDirectory(module, restoreId, task);
    }

    @Override
    public List<Integer> stagedTasks(String module, String restoreId) {
        Path dir = supervisor.stagingRoot(module, restoreId);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("task-"))
                    .map(n -> Integer.parseInt(n.substring("task-".length()))).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list staging " + dir, e);
        }
    }

    @Override
    public void discardStaging(String module, String restoreId) {
        supervisor.discardStaging(module, restoreId);
    }

    @Override
    public synchronized Map<Integer, Map<String, Long>> installSwap(InstallOrder order) {
        closeHosted(order.module());
        return swaps.swap(order);
    }

    /**
     * Hears each step of an install swap by name ({@code journal-written}, {@code task-swapped-<n>}), so
     * a fault-injection run can kill the process there; the default does nothing.
     */
    public void onSwapStep(java.util.function.Consumer<String> listener) {
        swaps.onStep(listener);
    }

    // ------------------------------------------------------------------ cleanup

    @Override
    public int keepOnly(Set<String> liveCuts, Set<String> restoringModules, long beforeMillis, long conductorSinceMillis) {
        int removed = 0;
        // A cut in its prepare phase is kept while its Conductor may be waiting for it; one begun before the
        // current Conductor was heard from is an earlier Conductor's, which is gone.
        for (Path cut : children(supervisor.root().resolve("cuts"), 2)) {
            String module = cut.getParent().getFileName().toString();
            String cutId = cut.getFileName().toString();
            if (liveCuts.contains(cutId) || !olderThan(cut, beforeMillis)) {
                continue;
            }
            if (!cuts.preparing(module, cutId)) {
                releaseCut(module, cutId);
                removed++;
            } else if (olderThan(cut, conductorSinceMillis)) {
                cuts.abort(module, cutId);
                removed++;
            }
        }
        for (Path staging : children(supervisor.root().resolve("staging"), 2)) {
            String module = staging.getParent().getFileName().toString();
            if (!restoringModules.contains(module) && olderThan(staging, beforeMillis)) {
                FileTrees.deleteTree(staging);
                removed++;
            }
        }
        if (removed > 0) {
            log.info("Supervisor {} removed {} pins and staging directories of operations that ended", id(), removed);
        }
        return removed;
    }

    @Override
    public Leftovers leftovers() {
        return new Leftovers(children(supervisor.root().resolve("cuts"), 2).size(),
                children(supervisor.root().resolve("staging"), 2).size(),
                children(supervisor.root().resolve("installs"), 1).size());
    }

    private static boolean olderThan(Path path, long millis) {
        try {
            return Files.getLastModifiedTime(path).toMillis() < millis;
        } catch (IOException gone) {
            return false;
        }
    }

    /** The directories {@code depth} levels below {@code dir}. */
    private static List<Path> children(Path dir, int depth) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(dir, depth)) {
            return walk.filter(p -> !p.equals(dir) && dir.relativize(p).getNameCount() == depth).toList();
        } catch (IOException | UncheckedIOException e) {
            return List.of();
        }
    }


    /** Stops every hosted module, keeping state. */
    @Override
    public synchronized void close() {
        cuts.releaseAll();
        for (String module : List.copyOf(hosted.keySet())) {
            closeHosted(module);
        }
        supervisor.close();
    }
}
