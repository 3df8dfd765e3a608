package io.modbackup.testkit.provider;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.provider.ForwardingBackupProvider;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A decorator that intercepts the stream methods ({@code putObject}, {@code createObject},
 * {@code getObject}, {@code deleteObject}) and must see every transfer: its fast paths ({@code putFile},
 * {@code createFile}, {@code getFile}, {@code deleteObjects}) are built on those methods instead of going
 * to the delegate's fast paths. A create counts as a put.
 * The base of the fault-injecting and crashing providers.
 */
public abstract class StreamInterceptingProvider extends ForwardingBackupProvider {
    protected StreamInterceptingProvider(BackupProvider delegate) {
        super(delegate);
    }

    @Override
    public final CompletableFuture<Void> putFile(String key, Path source) {
        return standardPutFile(key, source);
    }

    @Override
    public final CompletableFuture<Boolean> createFile(String key, Path source) {
        return standardCreateFile(key, source);
    }

    @Override
    public final CompletableFuture<Boolean> getFile(String key, Path target) {
        return standardGetFile(key, target);
    }

    @Override
    public final CompletableFuture<Void> deleteObjects(List<String> keys) {
        return standardDeleteObjects(keys);
    }
}
