package io.modbackup.cluster.launch;

import io.modbackup.api.runtime.CutDescriptor;
import io.modbackup.api.runtime.TaskCut;
import io.modbackup.cluster.node.Catalogs;
import io.modbackup.cluster.node.ClusterAdmin;
import io.modbackup.sim.ConsistencyOracle;
import io.modbackup.sim.CutFiles;
import io.modbackup.sim.DepotEntry;
import io.modbackup.sim.ModuleDefinition;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Checks a running module of a multi-process cluster with the {@link ConsistencyOracle}: captures a cut
 * through the Conductor, copies the cut's pinned files out of the Supervisors' roots (the checker runs
 * on the same machine, which only a test or the demo may assume), and replays the depots.
 */
public final class LiveCheck {
    private LiveCheck() {
    }

    /**
     * Checks {@code module}, materializing its cut under {@code scratch} (which must not exist yet).
     *
     * @throws io.modbackup.sim.ConsistencyViolation naming what breaks
     */
    public static ConsistencyOracle.Report check(ClusterProcesses cluster, String module, Path scratch) {
        ClusterAdmin admin = cluster.admin();
        List<ModuleDefinition> catalog = Catalogs.named(cluster.spec().catalog());
        CutDescriptor cut = admin.captureCut(module);
        try {
            Map<Integer, Path> tasks = new TreeMap<>();
            for (TaskCut task : cut.tasks()) {
                Path taskDir = scratch.resolve("task-" + task.task());
                CutFiles.materialize(cluster.supervisor(task.supervisorId()).cutFiles(module, cut.cutId(), task.task()),
                        taskDir);
                tasks.put(task.task(), taskDir);
            }
            return new ConsistencyOracle(name -> catalog.stream().filter(d -> d.name().equals(name)).findFirst()
                    .orElseThrow(), new ConsistencyOracle.DepotSource() {
                        @Override
                        public List<DepotEntry> read(String m, String depot, int partition, long from, int max) {
                            return admin.readDepot(m, depot, partition, from, max);
                        }

                        @Override
                        public long endOffset(String m, String depot, int partition) {
                            return admin.depotEndOffsets(m, depot).get(partition);
                        }
                    }).check(module, tasks);
        } finally {
            admin.releaseCut(module, cut.cutId());
        }
    }
}
