package io.modbackup.sim;

import io.modbackup.api.runtime.RestoreMarker;
import java.util.Map;
import java.util.Set;

/**
 * What every Supervisor needs to know of the cluster, sent with each heartbeat answer.
 *
 * @param taskCounts each module's task count
 * @param placements each module's task to Supervisor
 * @param markers each restored module's latest restore marker
 * @param liveCuts cuts still in use; a Supervisor removes pins of others
 * @param restoringModules modules with a restore staging or installing; a Supervisor removes other staging
 */
public record ClusterSnapshot(Map<String, Integer> taskCounts, Map<String, Map<Integer, String>> placements,
                              Map<String, RestoreMarker> markers, Set<String> liveCuts, Set<String> restoringModules) {
}
