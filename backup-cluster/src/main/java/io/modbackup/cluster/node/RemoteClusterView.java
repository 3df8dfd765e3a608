package io.modbackup.cluster.node;

import io.modbackup.api.runtime.RestoreMarker;
import io.modbackup.cluster.rpc.JsonRpcClient;
import io.modbackup.sim.ClusterView;
import io.modbackup.sim.ClusterSnapshot;
import io.modbackup.sim.DepotEntry;
import io.modbackup.sim.SupervisorChannel;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The cluster as one Supervisor process sees it: task counts, placements and restore markers from its
 * Conductor's latest heartbeat answer; depot partitions read from the Supervisor that hosts them (this
 * one, directly). A read names the restore epoch this Supervisor knows, so a topology never mixes a
 * depot's restored entries with offsets from before the restore; until the heartbeat brings the new
 * marker, reads come back empty and the topology retries.
 */
final class RemoteClusterView implements ClusterView {
    private static final Duration READ_DEADLINE = Duration.ofSeconds(2);

    private final String self;
    private final JsonRpcClient rpc;
    private final Map<String, SupervisorChannel> peers = new ConcurrentHashMap<>();
    private volatile ConductorChannel.HeartbeatReply latest;
    private volatile SupervisorChannel local;

    RemoteClusterView(String self, JsonRpcClient rpc) {
        this.self = self;
        this.rpc = rpc;
    }

    /** The Supervisor this view belongs to, which answers reads of its own partitions directly. */
    void local(SupervisorChannel host) {
        this.local = host;
    }

    void update(ConductorChannel.HeartbeatReply reply) {
        this.latest = reply;
    }

    @Override
    public OptionalInt taskCount(String module) {
        ClusterSnapshot cluster = cluster();
        Integer count = cluster == null ? null : cluster.taskCounts().get(module);
        return count == null ? OptionalInt.empty() : OptionalInt.of(count);
    }

    @Override
    public List<DepotEntry> readDepot(String module, String depot, int partition, long from, int max) {
        ClusterSnapshot cluster = cluster();
        Map<Integer, String> placement = cluster == null ? null : cluster.placements().get(module);
        String owner = placement == null ? null : placement.get(partition);
        if (owner == null) {
            return List.of();
        }
        long epoch = restoreMarker(module).map(RestoreMarker::epoch).orElse(0L);
        try {
            SupervisorChannel target = owner.equals(self) ? local : peer(owner);
            return target == null ? List.of() : target.readDepot(module, depot, partition, from, max, epoch);
        } catch (RuntimeException unreachable) {
            return List.of();
        }
    }

    @Override
    public Optional<RestoreMarker> restoreMarker(String module) {
        ClusterSnapshot cluster = cluster();
        return Optional.ofNullable(cluster == null ? null : cluster.markers().get(module));
    }

    private ClusterSnapshot cluster() {
        ConductorChannel.HeartbeatReply reply = latest;
        return reply == null ? null : reply.cluster();
    }

    private SupervisorChannel peer(String id) {
        return peers.computeIfAbsent(id, s -> rpc.proxy(SupervisorChannel.class, "supervisor", "Supervisor " + s, () -> {
            Endpoint endpoint = latest.supervisors().get(s);
            if (endpoint == null) {
                throw new IllegalStateException("Supervisor " + s + " has not reported to the Conductor");
            }
            return endpoint.uri();
        }, m -> READ_DEADLINE));
    }
}
