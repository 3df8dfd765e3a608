package io.modbackup.demo;

import io.modbackup.api.provider.BackupConfigException;
import io.modbackup.api.runtime.ClusterRuntime;
import io.modbackup.sim.ModuleDefinition;
import io.modbackup.cli.command.ClusterConnector;
import io.modbackup.sim.SampleModules;
import io.modbackup.sim.SimulatedCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

/**
 * Connects the CLI to a simulated cluster kept in a directory ({@code cluster.dir} in the config),
 * whose modules' code is the sample modules. A command that needs live state (backup, restore) opens
 * the cluster, restarting its running modules, and holds the cluster's lock file so that a second such
 * command is refused with a clear message instead of failing inside RocksDB; closing stops the modules,
 * keeping their state. A command that needs only metadata (list, info, verify, gc) opens a read-only
 * view, which runs alongside anything.
 */
public final class SimulatedClusterConnector implements ClusterConnector {
    public static final String CLUSTER_DIR = "cluster.dir";
    public static final String CLUSTER_ID = "cluster.id";
    /** The file whose lock a command holding the cluster's live state takes. */
    static final String LOCK_FILE = "conductor/cli.lock";

    @Override
    public Connection connect(Map<String, String> config, boolean liveState) {
        String dir = config.get(CLUSTER_DIR);
        if (dir == null || dir.isBlank()) {
            throw new BackupConfigException("the config has no " + CLUSTER_DIR + ": the demo CLI needs the directory of"
                    + " the simulated cluster (the demo prints a config file that has it)");
        }
        Path root = Path.of(dir);
        if (!Files.isDirectory(root.resolve("conductor"))) {
            throw new BackupConfigException(CLUSTER_DIR + " " + root + " holds no simulated cluster; run the demo first");
        }
        String clusterId = config.getOrDefault(CLUSTER_ID, Demo.CLUSTER_ID);
        List<ModuleDefinition> code = SampleModules.allVersions();
        if (!liveState) {
            SimulatedCluster view = SimulatedCluster.view(clusterId, root, 2, code);
            return connection(view, () -> { });
        }
        ClusterLock lock = ClusterLock.take(root.resolve(LOCK_FILE));
        try {
            SimulatedCluster cluster = new SimulatedCluster(clusterId, root, 2, SimulatedCluster.DEFAULT_SEGMENT_BYTES, code);
            return connection(cluster, lock::release);
        } catch (RuntimeException e) {
            lock.release();
            throw e;
        }
    }

    private static Connection connection(SimulatedCluster cluster, Runnable release) {
        return new Connection() {
            @Override
            public ClusterRuntime runtime() {
                return cluster;
            }

            @Override
            public void close() {
                try {
                    cluster.close();
                } finally {
                    release.run();
                }
            }
        };
    }

    /** An exclusive lock on a file, held by one process at a time. */
    private record ClusterLock(FileChannel channel, FileLock lock) {
        static ClusterLock take(Path file) {
            try {
                FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock;
                try {
                    lock = channel.tryLock();
                } catch (OverlappingFileLockException heldInThisProcess) {
                    lock = null;
                }
                if (lock == null) {
                    channel.close();
                    throw new BackupConfigException("the simulated cluster in " + file.getParent().getParent() + " is in"
                            + " use by another backup or restore (it holds " + file + "); wait for it to finish and run"
                            + " this command again");
                }
                return new ClusterLock(channel, lock);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot lock " + file, e);
            }
        }

        void release() {
            try {
                channel.close(); // releases the lock
            } catch (IOException ignored) {
                // the process's exit releases it too
            }
        }
    }
}
