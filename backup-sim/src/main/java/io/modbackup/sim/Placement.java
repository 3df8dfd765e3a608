package io.modbackup.sim;

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
        if (parallelism.replicationFactor() > used) {
            throw new IllegalArgumentException("--replicationFactor " + parallelism.replicationFactor() + " needs at least as"
                    + " many workers, but the module gets " + used + " (--workers " + parallelism.workers() + ", "
                    + supervisorIds.size() + " Supervisors in the cluster)");
        }
        Map<Integer, String> placement = new TreeMap<>();
        for (int task = 0; task < taskCount; task++) {
            placement.put(task, supervisorIds.get(task % used));
        }
        return placement;
    }

    /**
     * Per task, the Supervisors holding its replicas: its leader first, then the next
     * {@code replicationFactor - 1} of the module's workers in order, so every replica of a task is on
     * a distinct Supervisor.
     */
    static Map<Integer, List<String>> replicas(Map<Integer, String> placement, int replicationFactor) {
        List<String> workers = placement.values().stream().distinct().sorted().toList();
        if (replicationFactor > workers.size()) {
            throw new IllegalStateException("replication factor " + replicationFactor + " exceeds the module's "
                    + workers.size() + " workers");
        }
        Map<Integer, List<String>> replicas = new TreeMap<>();
        placement.forEach((task, leader) -> {
            int first = workers.indexOf(leader);
            List<String> holders = new java.util.ArrayList<>();
            for (int i = 0; i < replicationFactor; i++) {
                holders.add(workers.get((first + i) % workers.size()));
            }
            replicas.put(task, List.copyOf(holders));
        });
        return replicas;
    }
}
