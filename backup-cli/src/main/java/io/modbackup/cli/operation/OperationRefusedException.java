package io.modbackup.cli.operation;

/**
 * A mutating operation refused because another one runs on the same module (or on the whole store);
 * {@link #running()} is that one.
 */
public final class OperationRefusedException extends RuntimeException {
    private final transient OperationRecord running;

    public OperationRefusedException(String message, OperationRecord running) {
        super(message);
        this.running = running;
    }

    /** A refusal rebuilt from its message alone (across an RPC). */
    public OperationRefusedException(String message) {
        this(message, null);
    }

    /** The operation in the way, or null when rebuilt from a message. */
    public OperationRecord running() {
        return running;
    }
}
