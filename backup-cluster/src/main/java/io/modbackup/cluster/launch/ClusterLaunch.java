package io.modbackup.cluster.launch;

import io.modbackup.api.provider.ProviderLoader;
import io.modbackup.cli.command.ConfigFile;
import io.modbackup.cluster.node.ConductorProcess;
import io.modbackup.core.crypto.MasterKeys;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
import io.modbackup.core.seal.Compression;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * What {@code bin/cluster start} recorded of the cluster in {@code DIR/cluster/launch.properties}: its
 * Supervisor count, identity and store settings (provider, compression, encryption key reference), which
 * every node is started with.
 */
record ClusterLaunch(int supervisors, String clusterId, String provider, String compression, String encryptionKey,
                     String conductorProvider) {
    static Optional<ClusterLaunch> read(Path dir) {
        Path file = dir.resolve("cluster").resolve(LAUNCH_FILE);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try (var in = Files.newBufferedReader(file)) {
            p.load(in);
            return Optional.of(new ClusterLaunch(Integer.parseInt(p.getProperty("supervisors", "")),
                    p.getProperty("cluster.id", "sim-cluster"), p.getProperty("provider", localStore(dir)),
                    p.getProperty("compression", ""), p.getProperty("encryption.key", ""),
                    p.getProperty("conductor.provider", "")));
        } catch (IOException | NumberFormatException e) {
            throw new IllegalStateException("cannot read " + file + " (" + e.getMessage() + "); it records how"
                    + " the cluster was started: restore it, or start a new cluster in another directory");
        }
    }

    void write(Path dir) throws IOException {
        Properties p = new Properties();
        p.setProperty("supervisors", Integer.toString(supervisors));
        p.setProperty("cluster.id", clusterId);
        p.setProperty("provider", provider);
        p.setProperty("compression", compression);
        p.setProperty("encryption.key", encryptionKey);
        p.setProperty("conductor.provider", conductorProvider);
        try (var out = Files.newBufferedWriter(dir.resolve("cluster").resolve(LAUNCH_FILE))) {
            p.store(out, "how bin/cluster start started this cluster; every node uses these store settings");
        }
    }

    ClusterSpec spec(Path dir) {
        return ClusterSpec.of(dir.resolve("cluster"), supervisors, provider).withClusterId(clusterId)
                .withStoreSettings(compression, encryptionKey).withConductorProvider(conductorProvider);
    }

    List<String> nodes() {
        List<String> nodes = new ArrayList<>(List.of(ConductorProcess.NODE));
        for (int i = 0; i < supervisors; i++) {
            nodes.add("supervisor-" + i);
        }
        return nodes;
    }

    /** Which given option differs from this record, or null when none does. */
    String conflict(Options given) {
        if (given.supervisors() != null && given.supervisors() != supervisors) {
            return supervisors + " Supervisors, whose tasks live in their directories";
        }
        if (given.provider() != null && !given.provider().equals(provider)) {
            return "backup.provider \"" + provider + "\"";
        }
        if (given.compression() != null && !given.compression().equals(compression)) {
            return "backup.compression \"" + compression + "\"";
        }
        if (given.encryptionKey() != null && !given.encryptionKey().equals(encryptionKey)) {
            return "backup.encryption.key \"" + encryptionKey + "\"";
        }
        if (given.conductorProvider() != null && !given.conductorProvider().equals(conductorProvider)) {
            return ProviderLoader.CONDUCTOR_CONFIG_KEY + " \"" + conductorProvider + "\"";
        }
        return null;
    }

    /** What {@code start} records in {@code DIR/cluster}: the cluster's Supervisor count and its identity. */
    static final String LAUNCH_FILE = "launch.properties";
    /** The most Supervisors {@code start} runs on one machine. */
    static final int MAX_SUPERVISORS = 64;

    /** A cluster started now with {@code given}, called {@code clusterId}: 3 Supervisors and {@code DIR/store} unless given. */
    static ClusterLaunch fresh(Path dir, Options given, String clusterId) {
        return new ClusterLaunch(given.supervisors() == null ? 3 : given.supervisors(), clusterId,
                given.provider() == null ? localStore(dir) : given.provider(),
                given.compression() == null ? "" : given.compression(),
                given.encryptionKey() == null ? "" : given.encryptionKey(),
                given.conductorProvider() == null ? "" : given.conductorProvider());
    }

    static String localStore(Path dir) {
    return LocalDirectoryProvider.class.getName() + " " + dir.resolve("store");
}

    static String newClusterId() {
        return "cluster-" + java.util.HexFormat.of().toHexDigits(java.util.concurrent.ThreadLocalRandom.current().nextInt());
    }

    /**
     * What {@code start} was given: the Supervisor count and the store settings, each null when not
     * given (a config file's settings count as given).
     */
    record Options(Integer supervisors, String provider, String compression, String encryptionKey,
                   String conductorProvider) {
        static Options parse(List<String> rest) {
            Integer supervisors = null;
            String provider = null;
            String compression = null;
            String key = null;
            String conductorProvider = null;
            for (int i = 0; i < rest.size(); i += 2) {
                String flag = rest.get(i);
                if (!List.of("--supervisors", "--provider", "--compression", "--encryption-key", "--conductor-provider",
                        "--config").contains(flag)) {
                    throw new UsageException("unknown option " + flag);
                }
                if (i + 1 >= rest.size() || rest.get(i + 1).startsWith("--")) {
                    throw new UsageException(flag + " needs a value");
                }
                String value = rest.get(i + 1);
                switch (flag) {
                    case "--supervisors" -> supervisors = supervisors(value);
                    case "--provider" -> provider = value;
                    case "--compression" -> compression = value;
                    case "--encryption-key" -> key = value;
                    case "--conductor-provider" -> conductorProvider = value;
                    default -> {
                        Map<String, String> config = ConfigFile.read(Path.of(value));
                        provider = config.getOrDefault(ProviderLoader.CONFIG_KEY, provider);
                        compression = config.getOrDefault(Compression.CONFIG_KEY, compression);
                        key = config.getOrDefault(MasterKeys.CONFIG_KEY, key);
                        conductorProvider = config.getOrDefault(ProviderLoader.CONDUCTOR_CONFIG_KEY, conductorProvider);
                    }
                }
            }
            return new Options(supervisors, provider, compression, key, conductorProvider);
        }

        private static int supervisors(String value) {
            try {
                int n = Integer.parseInt(value);
                if (n >= 1 && n <= MAX_SUPERVISORS) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // worded below
            }
            throw new UsageException("--supervisors takes a number of Supervisors, 1 to " + MAX_SUPERVISORS + ", not \""
                    + value + "\"");
        }
    }
}
