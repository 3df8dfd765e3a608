package io.modbackup.cluster;

import io.modbackup.api.provider.ForwardingBackupProvider;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/**
 * A local-directory store whose chunk transfers wait while a hold file exists beside it ({@link #holdFile}),
 * so that a test can kill a process while a backup or restore is moving chunks, and let every other
 * transfer run at full speed. Loaded by the cluster's processes from
 * {@code backup.provider: "io.modbackup.cluster.HeldLocalProvider <dir>"}.
 */
public final class HeldLocalProvider extends ForwardingBackupProvider {
    /** A hold nobody lifts ends after this long, so that a failed test cannot leave a process waiting forever. */
    private static final long MAX_HOLD_NANOS = java.time.Duration.ofMinutes(2).toNanos();
    private final Path hold;

    public HeldLocalProvider(String directory) {
        super(new LocalDirectoryProvider(directory.strip()));
        this.hold = holdFile(Path.of(directory.strip()));
    }

    /** The file whose existence holds the chunk transfers of the store in {@code store}. */
    static Path holdFile(Path store) {
        return store.resolveSibling(store.getFileName() + ".hold");
    }

    @Override
    public CompletableFuture<Void> putObject(String key, InputStream in, long length) {
        awaitNoHold(key);
        return super.putObject(key, in, length);
    }

    @Override
    public CompletableFuture<Void> putFile(String key, Path source) {
        awaitNoHold(key);
        return super.putFile(key, source);
    }

    @Override
    public CompletableFuture<Boolean> createObject(String key, InputStream in, long length) {
        awaitNoHold(key);
        return super.createObject(key, in, length);
    }

    @Override
    public CompletableFuture<Boolean> createFile(String key, Path source) {
        awaitNoHold(key);
        return super.createFile(key, source);
    }

    @Override
    public CompletableFuture<InputStream> getObject(String key) {
        awaitNoHold(key);
        return super.getObject(key);
    }

    @Override
    public CompletableFuture<Boolean> getFile(String key, Path target) {
        awaitNoHold(key);
        return super.getFile(key, target);
    }

    private void awaitNoHold(String key) {
        if (!key.startsWith("blobs/")) {
            return;
        }
        long until = System.nanoTime() + MAX_HOLD_NANOS;
        while (Files.exists(hold) && System.nanoTime() < until) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
