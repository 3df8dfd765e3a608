package io.modbackup.sim;

/** A module's state breaks a consistency invariant; the message says which, where, and by how much. */
public final class ConsistencyViolation extends RuntimeException {
    public ConsistencyViolation(String message) {
        super(message);
    }
}
