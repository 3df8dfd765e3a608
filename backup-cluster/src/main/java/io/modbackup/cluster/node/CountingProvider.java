package io.modbackup.cluster.node;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.provider.ForwardingBackupProvider;
import io.modbackup.core.store.StoreLayout;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/** Counts the objects and bytes a process writes to the store, so a test can see who uploaded what. */
final class CountingProvider extends ForwardingBackupProvider {
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong objects = new AtomicLong();
    private final AtomicLong chunkBytes = new AtomicLong();

    CountingProvider(BackupProvider delegate) {
        super(delegate);
    }

    long bytesWritten() {
        return bytes.get();
    }

    long objectsWritten() {
        return objects.get();
    }

    /** Bytes of chunks ({@code blobs/...}) among {@link #bytesWritten()}. */
    long chunkBytesWritten() {
        return chunkBytes.get();
    }

    @Override
    public CompletableFuture<Void> putObject(String key, InputStream in, long length) {
        return super.putObject(key, in, length).thenRun(() -> count(key, length));
    }

    @Override
    public CompletableFuture<Void> putFile(String key, Path source) {
        long size;
        try {
            size = Files.size(source);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(new UncheckedIOException("cannot read " + source, e));
        }
        return super.putFile(key, source).thenRun(() -> count(key, size));
    }

    private void count(String key, long length) {
        if (key.startsWith(StoreLayout.BLOBS)) {
            chunkBytes.addAndGet(length);
        }
        bytes.addAndGet(length);
        objects.incrementAndGet();
    }
}
