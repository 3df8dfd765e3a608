package io.modbackup.core.cli;

import io.modbackup.api.runtime.ClusterRuntime;
import java.util.Map;

/**
 * How the CLI reaches the cluster it acts on: a host connects to its Conductor; the demo opens the
 * simulated cluster. Called once per CLI invocation.
 */
@FunctionalInterface
public interface ClusterConnector {
    /** A connection to the cluster described by {@code config} (the parsed config file). */
    Connection connect(Map<String, String> config);

    /** An open connection; closing it releases the cluster. */
    interface Connection extends AutoCloseable {
        ClusterRuntime runtime();

        @Override
        void close();
    }
}
