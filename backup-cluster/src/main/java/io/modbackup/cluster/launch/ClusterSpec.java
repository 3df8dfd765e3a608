package io.modbackup.cluster.launch;

import io.modbackup.cluster.node.ConductorProcess;
import io.modbackup.cluster.node.SupervisorProcess;
import io.modbackup.sim.ConductorRuntime;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Everything a cluster's processes are started with ({@link ClusterProcesses#start}).
 *
 * @param deadline how long the Conductor waits for a Supervisor's answer to one call
 * @param heartbeatTimeout how long a Supervisor may be silent before the Conductor marks it down
 * @param taskStall how long a Supervisor's worker may move no bytes while tasks wait on it
 * @param compression every node's {@code backup.compression}, or "" for the default
 * @param encryptionKey every node's {@code backup.encryption.key}, or "" for an unencrypted store
 * @param conductorMain the Conductor's main class: {@link ConductorProcess}, or a test build's wrapper of it
 * @param supervisorMain the Supervisors' main class: {@link SupervisorProcess}, or a test build's wrapper
 * @param conductorProvider the Conductor's {@code backup.conductor.provider} (the store with credentials that
 *     may delete), or "" when it uses {@code provider} as the Supervisors do
 */
public record ClusterSpec(Path dir, String clusterId, int supervisors, String provider, String catalog, long segmentBytes,
        int chunkSize, Duration deadline, Duration heartbeatTimeout, Duration taskStall, String heap,
        String compression, String encryptionKey, String conductorMain, String supervisorMain,
        String conductorProvider) {
    /**
     * A cluster in {@code dir} with the sample modules, 96 MiB heaps, and the shipped timeouts: those
     * {@code bin/cluster} runs with ({@link ConductorRuntime#DEFAULT_DEADLINE},
     * {@link ConductorProcess#DEFAULT_HEARTBEAT_TIMEOUT}, {@link ConductorProcess#DEFAULT_TASK_STALL}).
     */
    public static ClusterSpec of(Path dir, int supervisors, String provider) {
        return new ClusterSpec(dir.toAbsolutePath(), "sim-cluster", supervisors, provider, "sample", 64 * 1024, 1024 * 1024,
                ConductorRuntime.DEFAULT_DEADLINE, ConductorProcess.DEFAULT_HEARTBEAT_TIMEOUT,
                ConductorProcess.DEFAULT_TASK_STALL, "96m", "", "", ConductorProcess.class.getName(),
                SupervisorProcess.class.getName(), "");
    }

    public ClusterSpec withCatalog(String name) {
        return new ClusterSpec(dir, clusterId, supervisors, provider, name, segmentBytes, chunkSize, deadline, heartbeatTimeout,
                taskStall, heap, compression, encryptionKey, conductorMain, supervisorMain, conductorProvider);
    }

    /** The cluster called {@code id} (each cluster its own, so that one store refuses a second cluster). */
    public ClusterSpec withClusterId(String id) {
        return new ClusterSpec(dir, id, supervisors, provider, catalog, segmentBytes, chunkSize, deadline, heartbeatTimeout,
                taskStall, heap, compression, encryptionKey, conductorMain, supervisorMain, conductorProvider);
    }

    /** Another per-call deadline than the shipped one (a benchmark of 64 tasks on 2 cores needs more). */
    public ClusterSpec withCallDeadline(Duration callDeadline) {
        return new ClusterSpec(dir, clusterId, supervisors, provider, catalog, segmentBytes, chunkSize, callDeadline,
                heartbeatTimeout, taskStall, heap, compression, encryptionKey, conductorMain, supervisorMain, conductorProvider);
    }

    /** Every node configured with {@code backup.compression} {@code setting} and {@code backup.encryption.key} {@code key}. */
    public ClusterSpec withStoreSettings(String setting, String key) {
        return new ClusterSpec(dir, clusterId, supervisors, provider, catalog, segmentBytes, chunkSize, deadline,
                heartbeatTimeout, taskStall, heap, setting, key, conductorMain, supervisorMain, conductorProvider);
    }

    /** The nodes started from other main classes (a test build's, which add fault switches to the shipped ones). */
    public ClusterSpec withMainClasses(Class<?> conductor, Class<?> supervisor) {
        return new ClusterSpec(dir, clusterId, supervisors, provider, catalog, segmentBytes, chunkSize, deadline,
                heartbeatTimeout, taskStall, heap, compression, encryptionKey, conductor.getName(), supervisor.getName(),
                conductorProvider);
    }

    /** The Conductor on {@code provider} (same store, credentials that may delete) while the Supervisors keep theirs. */
    public ClusterSpec withConductorProvider(String provider) {
        return new ClusterSpec(dir, clusterId, supervisors, this.provider, catalog, segmentBytes, chunkSize, deadline,
                heartbeatTimeout, taskStall, heap, compression, encryptionKey, conductorMain, supervisorMain, provider);
    }

    /** The node arguments that carry the store settings. */
    List<String> storeArgs() {
        return List.of("--compression", compression, "--encryption-key", encryptionKey);
    }
}
