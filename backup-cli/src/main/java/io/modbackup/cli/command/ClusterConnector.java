package io.modbackup.cli.command;

import io.modbackup.api.runtime.ClusterRuntime;
import io.modbackup.core.engine.BackupOptions;
import io.modbackup.core.engine.TaskWorker;
import java.util.Map;
import java.util.function.Function;

/**
 * How the CLI reaches the cluster it acts on: a host connects to its Conductor; the demo opens the
 * simulated cluster. Called once per CLI invocation.
 */
@FunctionalInterface
public interface ClusterConnector {
    /**
     * A connection to the cluster described by {@code config} (the parsed config file).
     *
     * @param liveState whether the command needs the cluster's live state (a backup's cut, a
     *     restore's install); {@code false} when the module descriptors, dynamic options and cluster ID
     *     are enough (list, info, verify, gc), which a host serves without touching live state
     * @throws io.modbackup.api.provider.BackupConfigException when the config does not name a reachable
     *     cluster, or the cluster is in use in a way that excludes this command; the message says which
     */
    Connection connect(Map<String, String> config, boolean liveState);

    /** An open connection; closing it releases the cluster. */
    interface Connection extends AutoCloseable {
        ClusterRuntime runtime();

        /**
         * How the engine reaches each Supervisor's task worker (Supervisor ID to worker), for a host whose
         * Supervisors run in other processes; {@code null}, the default, runs the workers in this process.
         */
        default Function<String, TaskWorker> workers() {
            return null;
        }

        /**
         * The host's operations, shared by every command it runs, so that a command is refused while
         * another mutating one runs on its module; {@code null}, the default, keeps this command's
         * operations to itself (a host that runs one command at a time).
         */
        default io.modbackup.cli.operation.Operations operations() {
            return null;
        }

        /**
         * The host's name for this command's session, recorded with the operation it begins so that its
         * client can follow its progress ({@link io.modbackup.cli.operation.Operations#ofSession}); null,
         * the default, when nothing follows it. The host also renders the progress then: the command
         * prints none.
         */
        default String session() {
            return null;
        }

        /** The engine's options for this cluster. */
        default BackupOptions options() {
            return BackupOptions.defaults();
        }

        @Override
        void close();
    }
}
