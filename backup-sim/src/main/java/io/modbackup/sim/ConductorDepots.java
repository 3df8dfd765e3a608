package io.modbackup.sim;

import io.modbackup.api.runtime.RestoreMarker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Depots as the Conductor reaches them for clients and checks: appends routed to the partition a key
 * hashes to, reads and end offsets from the Supervisor hosting the partition (naming the module's
 * restore epoch), and waiting until a module's topologies caught up, from their committed progress.
 * Thread-safe.
 */
final class ConductorDepots implements ConsistencyOracle.DepotSource {
    private final ConductorRuntime conductor;
    private final SupervisorCalls calls;

    ConductorDepots(ConductorRuntime conductor, SupervisorCalls calls) {
        this.conductor = conductor;
        this.calls = calls;
    }

    /** Appends entries to the partitions their keys hash to, then wakes idle topologies; returns how many. */
    int append(String module, String depot, List<WorkloadEntry> entries) {
        int tasks = taskCount(module);
        Map<Integer, String> placement = conductor.placement(module);
        Map<Integer, List<byte[]>> byPartition = new TreeMap<>();
        for (WorkloadEntry entry : entries) {
            byPartition.computeIfAbsent(WorkloadEntry.partitionOf(entry.key(), tasks), p -> new ArrayList<>())
                    .add(entry.encode());
        }
        byPartition.forEach((partition, payloads) ->
                calls.of(placement.get(partition)).append(module, depot, partition, payloads));
        // Idle microbatch topologies back off; new entries wake them (any module's may subscribe).
        conductor.wakeTopologies();
        return entries.size();
    }

    @Override
    public List<DepotEntry> read(String module, String depot, int partition, long from, int max) {
        long epoch = conductor.restoreMarker(module).map(RestoreMarker::epoch).orElse(0L);
        return calls.of(conductor.placement(module).get(partition)).readDepot(module, depot, partition, from, max, epoch);
    }

    @Override
    public long endOffset(String module, String depot, int partition) {
        return calls.of(conductor.placement(module).get(partition)).depotEndOffset(module, depot, partition);
    }

    /**
     * Waits until every topology of {@code module} has processed every entry that was in its subscribed
     * depots when the wait began, or {@code timeout} passed; returns whether it caught up. Reads the
     * progress each hosting Supervisor committed (no cut, so the topologies never pause for it); a
     * Supervisor that does not answer now is asked again.
     */
    boolean awaitCaughtUp(String module, Duration timeout) throws InterruptedException {
        ModuleDefinition definition = conductor.definition(module);
        Map<String, Long> targets = new TreeMap<>();
        for (ModuleDefinition.Topology topology : definition.topologies()) {
            for (var subscription : topology.subscriptions()) {
                for (int p = 0; p < taskCount(subscription.module()); p++) {
                    targets.put(PStateStore.offsetKey(subscription.module(), subscription.depot(), p),
                            endOffset(subscription.module(), subscription.depot(), p));
                }
            }
        }
        long until = System.nanoTime() + timeout.toNanos();
        long pause = 2;
        while (System.nanoTime() < until) {
            List<String> hosts = conductor.placement(module).values().stream().distinct().sorted().toList();
            try {
                Map<String, Map<String, Long>> processed = new HashMap<>();
                for (Map<String, Map<String, Long>> one : calls.all(hosts, (s, c) -> c.processedOffsets(module))) {
                    one.forEach((topology, offsets) -> processed.computeIfAbsent(topology, t -> new HashMap<>()).putAll(offsets));
                }
                if (caughtUp(definition, processed, targets)) {
                    return true;
                }
            } catch (IllegalStateException notNow) {
                // a Supervisor is restarting: ask again until the timeout
                pause = 200;
            }
            Thread.sleep(pause);
            pause = Math.min(100, pause * 2);
        }
        return false;
    }

    private static boolean caughtUp(ModuleDefinition definition, Map<String, Map<String, Long>> processed,
                                    Map<String, Long> targets) {
        for (ModuleDefinition.Topology topology : definition.topologies()) {
            Map<String, Long> offsets = processed.getOrDefault(topology.name(), Map.of());
            for (var subscription : topology.subscriptions()) {
                for (Map.Entry<String, Long> target : targets.entrySet()) {
                    if (target.getKey().startsWith(subscription.module() + "/" + subscription.depot() + "/")
                            && offsets.getOrDefault(target.getKey(), 0L) < target.getValue()) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    private int taskCount(String module) {
        return conductor.describe(module).orElseThrow(() -> new IllegalArgumentException("unknown module " + module))
                .taskCount();
    }
}
