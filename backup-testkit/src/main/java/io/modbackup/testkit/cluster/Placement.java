package io.modbackup.testkit.cluster;

import io.modbackup.api.runtime.Parallelism;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Where the simulated runtimes put a module's tasks. */
final class Placement {
    private Placement() {
    }

    /**
     * Task {@code t} on the {@code t % w}-th Supervisor, where {@code w} is the parallelism's workers
     * (at most the Supervisors there are).
     */
    static Map<Integer, String> roundRobin(int taskCount, Parallelism parallelism, List<String> supervisorIds) {
        int used = Math.min(parallelism.workers(), supervisorIds.size());
        Map<Integer, String> placement = new TreeMap<>();
        for (int task = 0; task < taskCount; task++) {
            placement.put(task, supervisorIds.get(task % used));
        }
        return placement;
    }
}
