package io.modbackup.cluster.node;

/** What every node process reports about itself, for tests and the demo. */
public interface ProcessProbe {

    /** This process's counters now. */
    ProcessStats stats();

    /**
     * @param node "conductor" or the Supervisor ID
     * @param storeBytesWritten bytes this process wrote to the backup store through its provider
     * @param storeObjectsWritten objects this process wrote to the backup store
     * @param chunkBytesWritten bytes of chunks among {@code storeBytesWritten}
     * @param rpcBytesReceived bytes of JSON-RPC requests and answers this process received
     * @param rpcBytesSent bytes of JSON-RPC requests and answers this process sent
     */
    record ProcessStats(String node, long pid, long storeBytesWritten, long storeObjectsWritten, long chunkBytesWritten,
                        long rpcBytesReceived,
                        long rpcBytesSent) {
    }
}
