package io.modbackup.api.runtime;

/** How a topology processes depot entries, which decides how its PStates are captured consistently. */
public enum TopologyKind {
    /**
     * Processes entries in batches; each batch is one atomic transaction across all partitions under
     * one commit ID. Captured with every partition at the same commit ID.
     */
    MICROBATCH,
    /** Processes entries one at a time; each event is atomic on its task. Captured at one point in time. */
    STREAM
}
