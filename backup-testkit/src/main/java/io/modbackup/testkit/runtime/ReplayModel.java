package io.modbackup.testkit.runtime;

import io.modbackup.api.runtime.DepotRef;
import io.modbackup.sim.DepotEntry;
import io.modbackup.sim.ModuleDefinition;
import io.modbackup.sim.Reducer;
import io.modbackup.sim.WorkloadEntry;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToIntFunction;

/**
 * What a module's PStates must hold: its topologies recomputed over the entries its depots hold, with
 * the reducers of its {@link ModuleDefinition}. Format-free: depots are read through the harness.
 */
final class ReplayModel {
    private static final int PAGE = 1000;

    private ReplayModel() {
    }

    /**
     * Per PState, per key, the value the module's topologies compute from every entry of the depots
     * they subscribe to.
     *
     * @param partitions how many partitions a module's depots have (its task count)
     */
    static Map<String, Map<String, String>> replay(ModuleDefinition module, RuntimeHarness harness,
                                                   ToIntFunction<String> partitions) {
        Map<String, Map<String, String>> pstates = new TreeMap<>();
        for (ModuleDefinition.Topology topology : module.topologies()) {
            for (String pstate : topology.pstateNames()) {
                pstates.put(pstate, new TreeMap<>());
            }
            for (DepotRef depot : topology.subscriptions()) {
                int count = partitions.applyAsInt(depot.module());
                for (int partition = 0; partition < count; partition++) {
                    long end = harness.depotEndOffset(depot.module(), depot.depot(), partition);
                    for (long from = 0; from < end; ) {
                        List<DepotEntry> page = harness.readDepot(depot.module(), depot.depot(), partition, from, PAGE);
                        if (page.isEmpty()) {
                            throw new AssertionError("depot " + depot + " partition " + partition + " ends at " + end
                                    + " but reading from " + from + " returned nothing");
                        }
                        for (DepotEntry entry : page) {
                            WorkloadEntry decoded = WorkloadEntry.decode(entry.payload());
                            for (Map.Entry<String, Reducer> pstate : topology.pstates().entrySet()) {
                                pstates.get(pstate.getKey()).merge(decoded.key(),
                                        pstate.getValue().apply(null, decoded, entry.offset()),
                                        (old, ignored) -> pstate.getValue().apply(old, decoded, entry.offset()));
                            }
                        }
                        from = page.get(page.size() - 1).offset() + 1;
                    }
                }
            }
        }
        return pstates;
    }
}
