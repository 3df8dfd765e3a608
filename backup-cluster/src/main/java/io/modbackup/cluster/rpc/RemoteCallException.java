package io.modbackup.cluster.rpc;

/** A failure a remote callee threw whose type cannot be rebuilt here; names the peer and the type. */
public final class RemoteCallException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final String remoteType;

    public RemoteCallException(String peer, String remoteType, String message) {
        super(peer + ": " + message + " (" + remoteType + ")");
        this.remoteType = remoteType;
    }

    /** The class name of the exception the callee threw. */
    public String remoteType() {
        return remoteType;
    }
}
