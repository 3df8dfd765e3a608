package io.modbackup.demo;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
import io.modbackup.testkit.provider.FaultInjectingProvider;
import io.modbackup.testkit.provider.FaultRule;
import io.modbackup.testkit.provider.FaultRule.Operation;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * A local directory store whose chunk transfers each take 300 ms more, loadable from a config
 * string ({@code "io.modbackup.demo.SlowLocalProvider <dir>"}), so that a test can kill the CLI
 * while a backup or restore is surely in flight.
 */
public final class SlowLocalProvider implements BackupProvider {
    static final Duration DELAY = Duration.ofMillis(300);
    private final FaultInjectingProvider delegate;

    public SlowLocalProvider(String directory) {
        delegate = new FaultInjectingProvider(new LocalDirectoryProvider(directory), 1)
                .addRule(FaultRule.delay(Operation.PUT, DELAY).forKeys("blobs/.*"))
                .addRule(FaultRule.delay(Operation.GET, DELAY).forKeys("blobs/.*"));
    }

    @Override
    public CompletableFuture<Void> putObject(String key, InputStream in, long length) {
        return delegate.putObject(key, in, length);
    }

    @Override
    public CompletableFuture<InputStream> getObject(String key) {
        return delegate.getObject(key);
    }

    @Override
    public CompletableFuture<Boolean> hasKey(String key) {
        return delegate.hasKey(key);
    }

    @Override
    public CompletableFuture<Void> deleteObject(String key) {
        return delegate.deleteObject(key);
    }

    @Override
    public CompletableFuture<KeysPage> listKeysRecursive(String prefix, String pageToken) {
        return delegate.listKeysRecursive(prefix, pageToken);
    }

    @Override
    public CompletableFuture<KeysPage> listKeysNonRecursive(String prefix, String pageToken, int pageSize) {
        return delegate.listKeysNonRecursive(prefix, pageToken, pageSize);
    }

    @Override
    public void setProgressListener(ProgressListener listener) {
        delegate.setProgressListener(listener);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
