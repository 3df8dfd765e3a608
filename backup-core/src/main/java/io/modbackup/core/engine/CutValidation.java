package io.modbackup.core.engine;

import io.modbackup.api.runtime.CutDescriptor;
import io.modbackup.api.runtime.TaskCut;
import io.modbackup.api.runtime.TopologyKind;
import io.modbackup.api.runtime.TopologySpec;
import java.util.HashMap;
import java.util.Map;

/**
 * Refuses a cut whose own account of itself breaks the runtime contract, before anything is uploaded:
 * a microbatch partition at another commit ID than the cut's, or a processed offset past its depot
 * partition's captured end (depots captured before PStates). A backup of such a cut could not be
 * restored to a consistent state, so none is taken.
 */
final class CutValidation {
    private CutValidation() {
    }

    /** @throws IllegalStateException naming the module, cut, topology, task and values */
    static void requireConsistent(CutDescriptor cut) {
        String what = "cut " + cut.cutId() + " of module " + cut.module();
        Map<String, Long> ends = new HashMap<>();
        for (TaskCut task : cut.tasks()) {
            task.depotEndOffsets().forEach((depot, end) -> ends.put(cut.module() + "/" + depot + "/" + task.task(), end));
        }
        for (TaskCut task : cut.tasks()) {
            for (TopologySpec topology : cut.descriptor().topologies()) {
                if (topology.kind() != TopologyKind.MICROBATCH) {
                    continue;
                }
                Long expected = cut.microbatchCommitIds().get(topology.name());
                Long actual = task.commitIds().get(topology.name());
                if (expected == null || !expected.equals(actual)) {
                    throw new IllegalStateException("the runtime's " + what + " is inconsistent: microbatch topology "
                            + topology.name() + " is at commit ID " + actual + " on task " + task.task() + " but the cut"
                            + " says " + expected + "; all partitions of a microbatch topology must be captured at one"
                            + " commit ID, so no backup was taken");
                }
            }
            task.processedOffsets().forEach((topology, offsets) -> offsets.forEach((partition, processed) -> {
                Long end = ends.get(partition);
                if (end != null && processed > end) {
                    throw new IllegalStateException("the runtime's " + what + " is inconsistent: topology " + topology
                            + " on task " + task.task() + " had processed " + partition + " up to " + processed
                            + ", past its captured end " + end + "; depots must be captured after PStates, so no"
                            + " backup was taken");
                }
            }));
        }
    }
}
