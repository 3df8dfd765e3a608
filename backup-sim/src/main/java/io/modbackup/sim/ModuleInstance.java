package io.modbackup.sim;

import io.modbackup.api.runtime.DepotRef;
import io.modbackup.api.runtime.Recalibration;
import io.modbackup.api.runtime.RestoreMarker;
import io.modbackup.api.runtime.TopologyKind;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running module: its tasks' state and one thread per topology processing depot entries.
 *
 * <p>Every processing step (one microbatch across all tasks, or one stream event on one task) holds
 * the read side of {@link #processing}; a capture holds the write side, so it sees every
 * microbatch topology at a commit boundary and every stream topology between events.
 */
final class ModuleInstance implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ModuleInstance.class);
    static final String MAX_BATCH_OPTION = "topology.microbatch.max.batch";

    private final ModuleDefinition definition;
    private final Map<Integer, TaskState> tasks;
    private final ReentrantReadWriteLock processing = new ReentrantReadWriteLock(true);
    private final ClusterView cluster;
    private final List<Thread> runners = new ArrayList<>();
    private final AtomicReference<Throwable> lastError = new AtomicReference<>();
    private final AtomicLong eventsProcessed = new AtomicLong();
    private final Map<String, Object> batchLocks = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean running;

    /**
     * @param tasks one Supervisor's share of the module's tasks; the Conductor drives their microbatch
     *     topologies through {@link #microbatchStep}, and this instance runs their stream topologies
     */
    ModuleInstance(ClusterView cluster, ModuleDefinition definition, Map<Integer, TaskState> tasks) {
        this.cluster = cluster;
        this.definition = definition;
        this.tasks = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(tasks));
    }

    void start() {
        running = true;
        for (ModuleDefinition.Topology topology : definition.topologies()) {
            if (topology.kind() == TopologyKind.MICROBATCH) {
                continue;
            }
            Thread thread = new Thread(() -> runStream(topology), definition.name() + "/" + topology.name());
            thread.setDaemon(true);
            runners.add(thread);
            thread.start();
        }
    }

    /** Stops the topologies, waiting for the step in progress, and closes the state. */
    @Override
    public void close() {
        running = false;
        for (Thread runner : runners) {
            try {
                runner.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        runners.clear();
        tasks.values().forEach(TaskState::close);
    }

    ModuleDefinition definition() {
        return definition;
    }

    /** The tasks by task number; a read-only view. */
    Map<Integer, TaskState> tasks() {
        return tasks;
    }

    /**
     * Runs {@code action} with every topology paused between steps (a microbatch across all tasks, or
     * one stream event), so it sees every task's state at one point of processing.
     */
    <T> T whilePaused(Supplier<T> action) {
        processing.writeLock().lock();
        try {
            return action.get();
        } finally {
            processing.writeLock().unlock();
        }
    }

    /** The last error a topology thread hit, if any (it keeps running after logging it). */
    Throwable lastError() {
        return lastError.get();
    }

    long eventsProcessed() {
        return eventsProcessed.get();
    }

    /**
     * Whether a microbatch of {@code topology} would find work on any of this instance's tasks: new
     * depot entries, or offsets to recalibrate after a restore. Reads at most one entry per partition.
     */
    boolean microbatchHasWork(String topology) {
        ModuleDefinition.Topology spec = definition.topology(topology);
        processing.readLock().lock();
        try {
            for (TaskState task : tasks.values()) {
                if (step(task, spec, 1).hasWork()) {
                    return true;
                }
            }
            return false;
        } finally {
            processing.readLock().unlock();
        }
    }

    /**
     * Runs microbatch {@code commitId} of {@code topology} on every task of this instance, committing
     * each task at that commit ID even when it had nothing to process, so all partitions stay at one
     * commit ID. Idempotent: a task already at {@code commitId} or later is skipped, so a Conductor may
     * repeat a batch that failed on some Supervisor. Returns the entries processed.
     */
    long microbatchStep(String topology, long commitId) {
        ModuleDefinition.Topology spec = definition.topology(topology);
        // One step of a topology at a time: a Conductor that timed out on a slow step repeats it while the
        // first may still run; without this, the repeat could read the offsets before the first commits
        // and the values after, and count the batch twice.
        synchronized (batchLocks.computeIfAbsent(topology, t -> new Object())) {
            return microbatchStepExclusive(spec, commitId);
        }
    }

    private long microbatchStepExclusive(ModuleDefinition.Topology spec, long commitId) {
        String topology = spec.name();
        long entries = 0;
        processing.readLock().lock();
        try {
            for (TaskState task : tasks.values()) {
                PStateStore store = task.store(topology);
                if (store.progress().commitId() >= commitId) {
                    continue;
                }
                Step step = step(task, spec, maxBatch());
                store.commit(step.updates, step.offsets, step.epochs, commitId);
                eventsProcessed.addAndGet(step.entries);
                entries += step.entries;
            }
            return entries;
        } catch (RuntimeException e) {
            recordError(spec, e);
            throw e;
        } finally {
            processing.readLock().unlock();
        }
    }

    /**
     * The values of {@code keys} in PState {@code pstate}, each from whichever of this instance's tasks holds
     * it; a key no task holds is absent from the map.
     *
     * @throws IllegalArgumentException when the module has no such PState
     */
    Map<String, String> readPState(String pstate, Collection<String> keys) {
        String topology = definition.topologies().stream().filter(t -> t.pstates().containsKey(pstate))
                .map(ModuleDefinition.Topology::name).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("module " + definition.name() + " has no PState " + pstate));
        Map<String, String> values = new HashMap<>();
        for (String key : keys) {
            for (TaskState task : tasks.values()) {
                String value = task.store(topology).get(pstate, key);
                if (value != null) {
                    values.put(key, value);
                    break;
                }
            }
        }
        return values;
    }

    /** The highest commit ID any task of this instance is at for {@code topology}. */
    long commitId(String topology) {
        return tasks.values().stream().mapToLong(t -> t.store(topology).progress().commitId()).max().orElse(0);
    }

    private int maxBatch() {
        return Integer.parseInt(definition.configOverrides().getOrDefault(MAX_BATCH_OPTION, "200"));
    }

    private void runStream(ModuleDefinition.Topology topology) {
        long pause = MIN_IDLE_MILLIS;
        while (running) {
            boolean worked = false;
            for (TaskState task : tasks.values()) {
                for (int event = 0; event < 20 && running; event++) {
                    processing.readLock().lock();
                    try {
                        Step step = step(task, topology, 1);
                        if (!step.hasWork()) {
                            break;
                        }
                        task.store(topology.name()).commit(step.updates, step.offsets, step.epochs, null);
                        eventsProcessed.addAndGet(step.entries);
                        worked = true;
                    } catch (RuntimeException e) {
                        recordError(topology, e);
                        break;
                    } finally {
                        processing.readLock().unlock();
                    }
                }
            }
            if (worked) {
                pause = MIN_IDLE_MILLIS;
            } else {
                idle(pause);
                pause = Math.min(MAX_IDLE_MILLIS, pause * 2);
            }
        }
    }

    private void recordError(ModuleDefinition.Topology topology, RuntimeException e) {
        lastError.set(e);
        log.warn("topology {} of module {} failed a step: {}", topology.name(), definition.name(), e.toString());
    }

    /**
     * A stream topology with nothing to do looks again after 2 ms, then after twice as long each time it
     * finds nothing, up to 16 ms: an idle module's stream topologies had cost each Supervisor about a
     * twentieth of a core, polling 500 times a second.
     */
    private static final long MIN_IDLE_MILLIS = 2;
    private static final long MAX_IDLE_MILLIS = 16;

    private void idle(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /** What one step of a topology on one task will commit. */
    private static final class Step {
        final Map<String, Map<String, String>> updates = new HashMap<>();
        final Map<String, Long> offsets = new HashMap<>();
        final Map<String, Long> epochs = new HashMap<>();
        int entries;

        boolean hasWork() {
            return entries > 0 || !offsets.isEmpty() || !epochs.isEmpty();
        }
    }

    /**
     * Reads up to {@code max} new entries of each subscribed depot partition of this task, after
     * recalibrating offsets of depots whose module was restored, and folds them into PState updates.
     */
    private Step step(TaskState task, ModuleDefinition.Topology topology, int max) {
        PStateStore store = task.store(topology.name());
        PStateStore.Progress progress = store.progress();
        Step step = new Step();
        for (DepotRef subscription : topology.subscriptions()) {
            OptionalInt depotTasks = cluster.taskCount(subscription.module());
            if (depotTasks.isEmpty()) {
                continue; // a module this process learns of with the Conductor's next answer
            }
            for (int partition : definition.partitionsFor(task.task(), depotTasks.getAsInt())) {
                String offsetKey = PStateStore.offsetKey(subscription.module(), subscription.depot(), partition);
                RestoreMarker marker = cluster.restoreMarker(subscription.module()).orElse(null);
                Recalibration.Decision decision = Recalibration.reconcile(
                        progress.offset(subscription.module(), subscription.depot(), partition),
                        progress.epochSeen(subscription.module()), marker, subscription.depot(), partition);
                if (decision.recalibrated()) {
                    log.info("topology {} of {} task {}: recalibrated {} from {} to {} after restore epoch {}",
                            topology.name(), definition.name(), task.task(), offsetKey,
                            progress.offset(subscription.module(), subscription.depot(), partition),
                            decision.processedOffset(), decision.epochSeen());
                    step.offsets.put(offsetKey, decision.processedOffset());
                    step.epochs.put(subscription.module(), decision.epochSeen());
                }
                List<DepotEntry> entries = cluster.readDepot(subscription.module(), subscription.depot(), partition,
                        decision.processedOffset(), max);
                RestoreMarker after = cluster.restoreMarker(subscription.module()).orElse(null);
                if (epoch(after) != epoch(marker)) {
                    // The depot's module was restored while we read: these entries may be from either side.
                    continue;
                }
                for (DepotEntry entry : entries) {
                    WorkloadEntry content = WorkloadEntry.decode(entry.payload());
                    for (Map.Entry<String, Reducer> pstate : topology.pstates().entrySet()) {
                        Map<String, String> values = step.updates.computeIfAbsent(pstate.getKey(), k -> new HashMap<>());
                        String old = values.containsKey(content.key()) ? values.get(content.key())
                                : store.get(pstate.getKey(), content.key());
                        values.put(content.key(), pstate.getValue().apply(old, content, entry.offset()));
                    }
                }
                if (!entries.isEmpty()) {
                    step.entries += entries.size();
                    step.offsets.put(offsetKey, decision.processedOffset() + entries.size());
                }
            }
        }
        return step;
    }

    private static long epoch(RestoreMarker marker) {
        return marker == null ? 0 : marker.epoch();
    }
}
