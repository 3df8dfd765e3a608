package io.modbackup.sim;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The live state of one task of a running module, in its directory on its Supervisor:
 * {@code depots/<depot>/} segment files and {@code pstates/<topology>/} RocksDB stores.
 */
final class TaskState implements AutoCloseable {
    static final String DEPOTS = "depots";
    static final String PSTATES = "pstates";

    private final int task;
    private final String supervisorId;
    private final Map<String, DepotPartition> depots = new LinkedHashMap<>();
    private final Map<String, PStateStore> stores = new LinkedHashMap<>();

    TaskState(ModuleDefinition definition, int task, String supervisorId, Path dir, long segmentBytes) {
        this.task = task;
        this.supervisorId = supervisorId;
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

    int task() {
        return task;
    }

    String supervisorId() {
        return supervisorId;
    }

    /** The task's partition of {@code depot}, or null when the module has no such depot. */
    DepotPartition depot(String depot) {
        return depots.get(depot);
    }

    /** The task's depot partitions by depot name, in definition order; a read-only view. */
    Map<String, DepotPartition> depots() {
        return Collections.unmodifiableMap(depots);
    }

    /** The PState store of {@code topology}. */
    PStateStore store(String topology) {
        return stores.get(topology);
    }

    /** The task's PState stores by topology name, in definition order; a read-only view. */
    Map<String, PStateStore> stores() {
        return Collections.unmodifiableMap(stores);
    }

    @Override
    public void close() {
        depots.values().forEach(DepotPartition::close);
        stores.values().forEach(PStateStore::close);
    }
}
