package io.modbackup.cluster;

import io.modbackup.api.provider.ForwardingBackupProvider;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/**
 * A local-directory store whose chunk transfers each take at least a given time, so that a test can
 * kill a process while a backup or restore is moving chunks. Loaded by the cluster's processes from
 * {@code backup.provider: "io.modbackup.cluster.DelayedLocalProvider <millis> <dir>"}.
 */
public final class DelayedLocalProvider extends ForwardingBackupProvider {
    private final long delayMillis;

    public DelayedLocalProvider(String argument) {
        this(argument.strip().split("\\s+", 2));
    }

    /** @param parts the delay in milliseconds, then the directory */
    private DelayedLocalProvider(String[] parts) {
        super(new LocalDirectoryProvider(parts[1]));
        this.delayMillis = Long.parseLong(parts[0]);
    }

    @Override
    public CompletableFuture<Void> putObject(String key, InputStream in, long length) {
        pause(key);
        return super.putObject(key, in, length);
    }

    @Override
    public CompletableFuture<Void> putFile(String key, Path source) {
        pause(key);
        return super.putFile(key, source);
    }

    @Override
    public CompletableFuture<InputStream> getObject(String key) {
        pause(key);
        return super.getObject(key);
    }

    @Override
    public CompletableFuture<Boolean> getFile(String key, Path target) {
        pause(key);
        return super.getFile(key, target);
    }

    private void pause(String key) {
        if (key.startsWith("blobs/")) {
            try {
                Thread.sleep(delayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
