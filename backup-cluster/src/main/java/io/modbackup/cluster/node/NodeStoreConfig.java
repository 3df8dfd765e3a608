package io.modbackup.cluster.node;

import io.modbackup.api.provider.BackupConfigException;
import io.modbackup.api.provider.ProviderLoader;
import io.modbackup.core.crypto.MasterKeys;
import io.modbackup.core.fs.PrivateFiles;
import io.modbackup.core.seal.Compression;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one store configuration every node of a cluster runs with: the provider and the store settings
 * ({@code backup.compression}, {@code backup.encryption.key}), as config keys; and the Conductor's own
 * provider ({@code backup.conductor.provider}: the same store with credentials that may delete), "" when
 * the Conductor uses the Supervisors' provider.
 */
record NodeStoreConfig(String provider, String conductorProvider, Map<String, String> settings) {

    NodeStoreConfig {
        settings = Map.copyOf(settings);
        conductorProvider = conductorProvider.strip();
    }

    /** The provider the Conductor (and the CLI it runs) opens. */
    String conductorsProvider() {
        return conductorProvider.isEmpty() ? provider : conductorProvider;
    }

    /**
     * Writes them, with the cluster's ID, as the config file a command that names none runs with: 0600
     * (it may carry the encryption key's reference) and atomically, so no reader sees it half written.
     */
    void writeConfigFile(Path file, String clusterId) {
        try {
            PrivateFiles.createDirectories(file.getParent());
            StringBuilder config = new StringBuilder(ProviderLoader.CONFIG_KEY + ": \"" + provider + "\"\ncluster.id: \""
                    + clusterId + "\"\n");
            if (!conductorProvider.isEmpty()) {
                config.append(ProviderLoader.CONDUCTOR_CONFIG_KEY).append(": \"").append(conductorProvider).append("\"\n");
            }
            settings.forEach((key, value) -> config.append(key).append(": \"").append(value).append("\"\n"));
            Path temp = Files.createTempFile(file.getParent(), "modbackup", ".yaml.tmp", PrivateFiles.fileAttribute());
            Files.writeString(temp, config);
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /**
     * Refuses a command's {@code config} that names another store, or other store settings: the
     * Conductor would read one store while the Supervisors write another.
     *
     * @throws BackupConfigException naming the first setting that differs, the provider first
     */
    void requireSameAs(Map<String, String> config, String clusterId) {
        Map<String, String> ours = new LinkedHashMap<>();
        ours.put(ProviderLoader.CONFIG_KEY, provider.strip());
        ours.put(ProviderLoader.CONDUCTOR_CONFIG_KEY, conductorProvider);
        for (String key : List.of(Compression.CONFIG_KEY, MasterKeys.CONFIG_KEY)) {
            ours.put(key, settings.getOrDefault(key, "").strip());
        }
        ours.forEach((key, value) -> {
            String theirs = config.getOrDefault(key, "").strip();
            if (!value.equals(theirs)) {
                throw new BackupConfigException("the config sets " + key + " to \"" + theirs + "\" but the nodes of"
                        + " cluster " + clusterId + " use \"" + value + "\": use the config bin/cluster start wrote"
                        + " (DIR/modbackup.yaml), or start the cluster with the store settings you want");
            }
        });
    }
}
