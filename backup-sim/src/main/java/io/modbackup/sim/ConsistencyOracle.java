package io.modbackup.sim;

import io.modbackup.api.runtime.DepotRef;
import io.modbackup.api.runtime.TopologyKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The ground truth for every restore test: checks a module's state directories (live after a stop, a
 * materialized cut, or a restore) and fails with a precise {@link ConsistencyViolation} unless
 * <ol>
 *   <li>all partitions of each microbatch topology's PStates are at one commit ID;</li>
 *   <li>every processed offset is at most its depot partition's end offset;</li>
 *   <li>each PState's content equals what recomputing its topology over the depot entries up to the
 *       processed offsets yields.</li>
 * </ol>
 * Depots of the checked module are read from its task directories; depots of other modules from a
 * {@link DepotSource}. (After a recalibration the third invariant no longer holds for the
 * recalibrated topology: its PStates keep entries that its depot lost. Check before that.)
 */
public final class ConsistencyOracle {
    private final Function<String, ModuleDefinition> definitions;
    private final DepotSource otherModules;

    /** Where the oracle reads depots of modules other than the one checked. */
    public interface DepotSource {
        /** Up to {@code max} entries from {@code from}. */
        List<DepotEntry> read(String module, String depot, int partition, long from, int max);

        /** The partition's end offset. */
        long endOffset(String module, String depot, int partition);
    }

    /** What a passing check covered. */
    public record Report(String module, int tasks, long entriesReplayed, long pstateKeys, Map<String, Long> commitIds) {
    }

    public ConsistencyOracle(Function<String, ModuleDefinition> definitions, DepotSource otherModules) {
        this.definitions = definitions;
        this.otherModules = otherModules;
    }

    /**
     * Checks module {@code module} whose task {@code n}'s state is in {@code taskDirs.get(n)}.
     *
     * @throws ConsistencyViolation naming the invariant, topology, task and values that break it
     */
    public Report check(String module, Map<Integer, Path> taskDirs) {
        ModuleDefinition definition = definitions.apply(module);
        if (taskDirs.size() != definition.taskCount()) {
            throw new ConsistencyViolation("module " + module + " has " + definition.taskCount() + " tasks but "
                    + taskDirs.size() + " task directories were given");
        }
        Map<Integer, Map<String, DepotPartition>> ownDepots = new HashMap<>();
        try {
            for (Map.Entry<Integer, Path> task : taskDirs.entrySet()) {
                Map<String, DepotPartition> depots = new HashMap<>();
                for (String depot : definition.depots()) {
                    depots.put(depot, DepotPartition.openReadOnly(task.getValue().resolve(TaskState.DEPOTS).resolve(depot)));
                }
                ownDepots.put(task.getKey(), depots);
            }
            return check(definition, taskDirs, ownDepots);
        } finally {
            ownDepots.values().forEach(m -> m.values().forEach(DepotPartition::close));
        }
    }

    private Report check(ModuleDefinition definition, Map<Integer, Path> taskDirs,
                         Map<Integer, Map<String, DepotPartition>> ownDepots) {
        String module = definition.name();
        long replayed = 0;
        long keys = 0;
        Map<String, Long> commitIds = new TreeMap<>();
        for (ModuleDefinition.Topology topology : definition.topologies()) {
            Map<Integer, Long> taskCommitIds = new TreeMap<>();
            for (int task = 0; task < definition.taskCount(); task++) {
                Path storeDir = taskDirs.get(task).resolve(TaskState.PSTATES).resolve(topology.name());
                if (!Files.isDirectory(storeDir)) {
                    throw new ConsistencyViolation("module " + module + " task " + task + ": PStates of topology "
                            + topology.name() + " are missing (" + storeDir + ")");
                }
                try (PStateStore store = PStateStore.openReadOnly(storeDir)) {
                    PStateStore.Progress progress = store.progress();
                    taskCommitIds.put(task, progress.commitId());
                    Map<String, SortedMap<String, String>> expected = new HashMap<>();
                    topology.pstates().keySet().forEach(p -> expected.put(p, new TreeMap<>()));
                    for (DepotRef subscription : topology.subscriptions()) {
                        int depotTasks = definitions.apply(subscription.module()).taskCount();
                        for (int partition : definition.partitionsFor(task, depotTasks)) {
                            long processed = progress.offset(subscription.module(), subscription.depot(), partition);
                            long end = endOffset(module, ownDepots, subscription, partition);
                            if (processed > end) {
                                throw new ConsistencyViolation("module " + module + " task " + task + ": topology "
                                        + topology.name() + " processed depot " + subscription + " partition " + partition
                                        + " up to offset " + processed + " but the depot ends at " + end);
                            }
                            replayed += replay(module, ownDepots, subscription, partition, processed, topology, expected);
                        }
                    }
                    for (Map.Entry<String, SortedMap<String, String>> pstate : expected.entrySet()) {
                        SortedMap<String, String> actual = store.content(pstate.getKey());
                        compare(module, task, topology.name(), pstate.getKey(), pstate.getValue(), actual);
                        keys += actual.size();
                    }
                }
            }
            if (topology.kind() == TopologyKind.MICROBATCH) {
                long first = taskCommitIds.get(0);
                for (Map.Entry<Integer, Long> entry : taskCommitIds.entrySet()) {
                    if (entry.getValue() != first) {
                        throw new ConsistencyViolation("module " + module + ": microbatch topology " + topology.name()
                                + " is not at one commit ID: task " + entry.getKey() + " is at " + entry.getValue()
                                + " but task 0 is at " + first + " (all commit IDs: " + taskCommitIds + ")");
                    }
                }
                commitIds.put(topology.name(), first);
            }
        }
        return new Report(module, definition.taskCount(), replayed, keys, commitIds);
    }

    private long endOffset(String module, Map<Integer, Map<String, DepotPartition>> ownDepots, DepotRef depot, int partition) {
        if (depot.module().equals(module)) {
            return ownDepots.get(partition).get(depot.depot()).endOffset();
        }
        return otherModules.endOffset(depot.module(), depot.depot(), partition);
    }

    private long replay(String module, Map<Integer, Map<String, DepotPartition>> ownDepots, DepotRef depot, int partition,
                        long upTo, ModuleDefinition.Topology topology, Map<String, SortedMap<String, String>> expected) {
        long offset = 0;
        while (offset < upTo) {
            int max = (int) Math.min(1000, upTo - offset);
            List<DepotEntry> entries = depot.module().equals(module)
                    ? ownDepots.get(partition).get(depot.depot()).read(offset, max)
                    : otherModules.read(depot.module(), depot.depot(), partition, offset, max);
            if (entries.isEmpty()) {
                throw new ConsistencyViolation("depot " + depot + " partition " + partition + " has no entry at offset "
                        + offset + " (needed up to " + upTo + ")");
            }
            for (DepotEntry entry : entries) {
                WorkloadEntry content = WorkloadEntry.decode(entry.payload());
                for (Map.Entry<String, Reducer> pstate : topology.pstates().entrySet()) {
                    SortedMap<String, String> values = expected.get(pstate.getKey());
                    values.put(content.key(), pstate.getValue().apply(values.get(content.key()), content, entry.offset()));
                }
            }
            offset += entries.size();
        }
        return upTo;
    }

    private static void compare(String module, int task, String topology, String pstate,
                                SortedMap<String, String> expected, SortedMap<String, String> actual) {
        if (expected.equals(actual)) {
            return;
        }
        for (Map.Entry<String, String> e : expected.entrySet()) {
            String value = actual.get(e.getKey());
            if (!e.getValue().equals(value)) {
                throw new ConsistencyViolation("module " + module + " task " + task + ": PState " + pstate + " of topology "
                        + topology + " has " + abbreviate(value) + " for key " + e.getKey() + " but replaying its depots gives "
                        + abbreviate(e.getValue()) + " (" + actual.size() + " keys stored, " + expected.size() + " expected)");
            }
        }
        String extra = actual.keySet().stream().filter(k -> !expected.containsKey(k)).findFirst().orElse("?");
        throw new ConsistencyViolation("module " + module + " task " + task + ": PState " + pstate + " of topology "
                + topology + " has key " + extra + " that replaying its depots does not produce");
    }

    private static String abbreviate(String value) {
        return value == null ? "nothing" : value.length() > 40 ? value.substring(0, 40) + "..." : value;
    }
}
