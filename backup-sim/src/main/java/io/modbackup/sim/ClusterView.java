package io.modbackup.sim;

import io.modbackup.api.runtime.RestoreMarker;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What a module's topologies read from the rest of the cluster: other modules' task counts, depot
 * entries wherever their partition lives, and restore markers. The in-process cluster answers from its
 * own memory; a Supervisor process answers through its Conductor and the other Supervisors.
 * Implementations are thread-safe.
 */
public interface ClusterView {

    /**
     * The number of tasks of a module, or empty when this process does not know the module (yet: a
     * Supervisor process learns of a module deployed elsewhere with its Conductor's next heartbeat
     * answer, and may be asked to host its tasks before that). A topology reads nothing from a module it
     * does not know, and looks again at its next step.
     */
    OptionalInt taskCount(String module);

    /**
     * Up to {@code max} entries of a depot partition from offset {@code from}; empty when the
     * partition's module is stopped, being restored, or unreachable (a topology retries later).
     */
    List<DepotEntry> readDepot(String module, String depot, int partition, long from, int max);

    /** The module's latest restore marker as this process knows it, or empty when never restored. */
    Optional<RestoreMarker> restoreMarker(String module);
}
