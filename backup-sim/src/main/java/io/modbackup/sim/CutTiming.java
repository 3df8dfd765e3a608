package io.modbackup.sim;

/**
 * How long a cut's phases took, as the Conductor saw them.
 *
 * @param tasks tasks in the cut
 * @param supervisors Supervisors in the cut
 * @param prepareMillis from asking the Supervisors to pause until all had checkpointed
 * @param pauseMillis from asking the Supervisors to pause until all had resumed: an upper bound of how
 *     long any topology was paused
 */
public record CutTiming(int tasks, int supervisors, long prepareMillis, long pauseMillis) {
}
