package io.modbackup.demo;

import io.modbackup.api.provider.BackupConfigException;
import io.modbackup.api.runtime.ClusterRuntime;
import io.modbackup.core.cli.ClusterConnector;
import io.modbackup.testkit.cluster.SampleModules;
import io.modbackup.testkit.cluster.SimulatedCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Connects the CLI to a simulated cluster kept in a directory ({@code cluster.dir} in the config),
 * whose modules' code is the sample modules. Opening it restarts its running modules; closing stops
 * them, keeping their state.
 */
public final class SimulatedClusterConnector implements ClusterConnector {
    public static final String CLUSTER_DIR = "cluster.dir";
    public static final String CLUSTER_ID = "cluster.id";

    @Override
    public Connection connect(Map<String, String> config) {
        String dir = config.get(CLUSTER_DIR);
        if (dir == null || dir.isBlank()) {
            throw new BackupConfigException("the config has no " + CLUSTER_DIR + ": the demo CLI needs the directory of"
                    + " the simulated cluster (the demo prints a config file that has it)");
        }
        Path root = Path.of(dir);
        if (!Files.isDirectory(root.resolve("conductor"))) {
            throw new BackupConfigException(CLUSTER_DIR + " " + root + " holds no simulated cluster; run the demo first");
        }
        SimulatedCluster cluster = new SimulatedCluster(config.getOrDefault(CLUSTER_ID, Demo.CLUSTER_ID), root, 2,
                SimulatedCluster.DEFAULT_SEGMENT_BYTES, List.of(SampleModules.moduleA(), SampleModules.moduleB()));
        return new Connection() {
            @Override
            public ClusterRuntime runtime() {
                return cluster;
            }

            @Override
            public void close() {
                cluster.close();
            }
        };
    }
}
