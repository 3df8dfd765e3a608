package io.modbackup.testkit.cluster;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The live state of one task of a running module, in its directory on its Supervisor:
 * {@code depots/<depot>/} segment files and {@code pstates/<topology>/} RocksDB stores.
 */
final class TaskState implements AutoCloseable {
    static final String DEPOTS = "depots";
    static final String PSTATES = "pstates";

    final int task;
    final String supervisorId;
    final Path dir;
    final Map<String, DepotPartition> depots = new LinkedHashMap<>();
    final Map<String, PStateStore> stores = new LinkedHashMap<>();

    TaskState(ModuleDefinition definition, int task, String supervisorId, Path dir, long segmentBytes) {
        this.task = task;
        this.supervisorId = supervisorId;
        this.dir = dir;
        try {
            for (String depot : definition.depots()) {
                depots.put(depot, DepotPartition.open(dir.resolve(DEPOTS).resolve(depot), segmentBytes));
            }
            for (ModuleDefinition.Topology topology : definition.topologies()) {
                stores.put(topology.name(), PStateStore.open(dir.resolve(PSTATES).resolve(topology.name()),
                        topology.pstateNames()));
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public void close() {
        depots.values().forEach(DepotPartition::close);
        stores.values().forEach(PStateStore::close);
    }
}
