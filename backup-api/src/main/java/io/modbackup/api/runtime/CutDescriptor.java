package io.modbackup.api.runtime;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A consistent cut of a whole module, pinned on its Supervisors until released.
 *
 * @param module the module
 * @param cutId identifies the cut to the Supervisors holding its files
 * @param capturedAtMillis when the PStates were captured
 * @param microbatchCommitIds per microbatch topology, the commit ID every partition is at
 * @param descriptor the module as it was at the cut
 * @param tasks each task's part, in task order
 */
public record CutDescriptor(String module, String cutId, long capturedAtMillis, Map<String, Long> microbatchCommitIds,
                            ModuleDescriptor descriptor, List<TaskCut> tasks) {
    public CutDescriptor {
        Objects.requireNonNull(module, "module");
        Objects.requireNonNull(cutId, "cutId");
        microbatchCommitIds = Map.copyOf(microbatchCommitIds);
        tasks = List.copyOf(tasks);
    }
}
