package io.modbackup.cluster.node;

import io.modbackup.sim.ClusterSnapshot;
import java.util.Map;

/**
 * What Supervisors call on the Conductor. A Supervisor reports every few hundred milliseconds; its
 * first report after it (or the Conductor) started makes the Conductor tell it which tasks it hosts.
 */
public interface ConductorChannel {

    /** Records that {@code status}'s Supervisor is alive and answers with the cluster as it is now. */
    HeartbeatReply heartbeat(SupervisorStatus status);

    /**
     * A Supervisor's report.
     *
     * @param bytesMoved what its task worker has moved so far (bytes hashed, sent and received, and
     *     requests answered): a Supervisor whose tasks wait while this stands still is stalled
     */
    record SupervisorStatus(String id, Endpoint endpoint, long bytesMoved) {
    }

    /**
     * The Conductor's answer.
     *
     * @param cluster modules, placements, markers, and what pins and staging are still in use
     * @param supervisors where each Supervisor answers
     * @param conductor the answering Conductor's endpoint (its incarnation); null while it starts
     */
    record HeartbeatReply(ClusterSnapshot cluster, Map<String, Endpoint> supervisors, Endpoint conductor) {
    }
}
