package io.modbackup.api.provider;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * A provider that forwards every call, the optional fast paths included, to another provider. A
 * decorator (retrying, fault-injecting, metering) extends it and overrides only what it changes, so a
 * method added to {@link BackupProvider} is forwarded by every decorator without touching them.
 *
 * <p>The fast paths ({@link #putFile}, {@link #getFile}, {@link #deleteObjects}, {@link #createFile}) go to the delegate's
 * fast paths. A decorator that intercepts the stream methods and must see every transfer overrides
 * them with the {@code standard…} methods, which build them on this provider's stream methods (the
 * idea of Guava's {@code ForwardingCollection.standardAddAll}).
 *
 * <p>Threading, errors and idempotency are the delegate's: this class adds nothing.
 */
public abstract class ForwardingBackupProvider implements BackupProvider {
    private final BackupProvider delegate;

    protected ForwardingBackupProvider(BackupProvider delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /** The provider calls are forwarded to. */
    public BackupProvider delegate() {
        return delegate;
    }

    @Override
    public CompletableFuture<Void> putObject(String key, InputStream in, long length) {
        return delegate.putObject(key, in, length);
    }

    @Override
    public CompletableFuture<Boolean> createObject(String key, InputStream in, long length) {
        return delegate.createObject(key, in, length);
    }

    @Override
    public CompletableFuture<Boolean> createFile(String key, Path source) {
        return delegate.createFile(key, source);
    }

    /**
     * Forwards to this provider's own {@link #createObject(String, InputStream, long)}, which creates at once:
     * a decorator that overrides the creates but knows nothing of durability keeps seeing every create, and
     * honours {@code AT_BARRIER} by the stronger {@code IMMEDIATE}. A decorator that passes deferred creates
     * through overrides this.
     */
    @Override
    public CompletableFuture<Boolean> createObject(String key, InputStream in, long length, Durability durability) {
        return createObject(key, in, length);
    }

    /** As {@link #createObject(String, InputStream, long, Durability)}: this provider's own {@link #createFile(String, Path)}. */
    @Override
    public CompletableFuture<Boolean> createFile(String key, Path source, Durability durability) {
        return createFile(key, source);
    }

    @Override
    public CompletableFuture<Void> barrier() {
        return delegate.barrier();
    }

    @Override
    public boolean atomicCreate() {
        return delegate.atomicCreate();
    }

    @Override
    public java.util.Optional<ObjectRetention> retention() {
        return delegate.retention();
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
    public CompletableFuture<Long> objectSize(String key) {
        return delegate.objectSize(key);
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

    @Override
    public CompletableFuture<Void> putFile(String key, Path source) {
        return delegate.putFile(key, source);
    }

    @Override
    public CompletableFuture<Boolean> getFile(String key, Path target) {
        return delegate.getFile(key, target);
    }

    @Override
    public CompletableFuture<Void> deleteObjects(List<String> keys) {
        return delegate.deleteObjects(keys);
    }

    /** {@link #putFile} built on this provider's {@link #putObject}, as the interface's default is. */
    protected final CompletableFuture<Void> standardPutFile(String key, Path source) {
        return StandardTransfers.putFile(this, key, source);
    }

    /** {@link #createFile} built on this provider's {@link #createObject}, as the interface's default is. */
    protected final CompletableFuture<Boolean> standardCreateFile(String key, Path source) {
        return StandardTransfers.createFile(this, key, source);
    }

    /** {@link #getFile} built on this provider's {@link #getObject}, as the interface's default is. */
    protected final CompletableFuture<Boolean> standardGetFile(String key, Path target) {
        return StandardTransfers.getFile(this, key, target);
    }

    /** {@link #deleteObjects} built on this provider's {@link #deleteObject}, as the interface's default is. */
    protected final CompletableFuture<Void> standardDeleteObjects(List<String> keys) {
        return StandardTransfers.deleteObjects(this, keys);
    }
}
