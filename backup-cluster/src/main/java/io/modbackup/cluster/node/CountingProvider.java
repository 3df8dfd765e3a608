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

/**
 * Counts the objects and bytes a process writes to the store, so a test can see who uploaded what, and
 * every byte and request it moves, which tells the Conductor that a Supervisor's tasks make progress.
 */
final class CountingProvider extends ForwardingBackupProvider {
    private final AtomicLong moved = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong objects = new AtomicLong();
    private final AtomicLong chunkBytes = new AtomicLong();

    CountingProvider(BackupProvider delegate) {
        super(delegate);
    }

    /** Bytes sent and received, plus one for each request answered: grows while the store moves anything. */
    long activity() {
        return moved.get();
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

    @Override
    public CompletableFuture<Boolean> createObject(String key, InputStream in, long length) {
        return counted(key, length, super.createObject(key, in, length));
    }

    @Override
    public CompletableFuture<Boolean> createObject(String key, InputStream in, long length, Durability durability) {
        return counted(key, length, delegate().createObject(key, in, length, durability));
    }

    @Override
    public CompletableFuture<Boolean> createFile(String key, Path source) {
        return createFile(key, source, Durability.IMMEDIATE);
    }

    @Override
    public CompletableFuture<Boolean> createFile(String key, Path source, Durability durability) {
        long size;
        try {
            size = Files.size(source);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(new UncheckedIOException("cannot read " + source, e));
        }
        return counted(key, size, delegate().createFile(key, source, durability));
    }

    /** Counts {@code bytes} under {@code key} once {@code create} stored them. */
    private CompletableFuture<Boolean> counted(String key, long bytes, CompletableFuture<Boolean> create) {
        return create.thenApply(created -> {
            if (created) {
                count(key, bytes);
            }
            return created;
        });
    }

    @Override
    public CompletableFuture<InputStream> getObject(String key) {
        return super.getObject(key).thenApply(in -> {
            moved.incrementAndGet();
            if (in == null) {
                return null; // no such object
            }
            return new java.io.FilterInputStream(in) {
                @Override
                public int read() throws IOException {
                    int b = super.read();
                    if (b >= 0) {
                        moved.incrementAndGet();
                    }
                    return b;
                }

                @Override
                public int read(byte[] buffer, int offset, int length) throws IOException {
                    int n = super.read(buffer, offset, length);
                    if (n > 0) {
                        moved.addAndGet(n);
                    }
                    return n;
                }
            };
        });
    }

    @Override
    public CompletableFuture<Boolean> getFile(String key, Path target) {
        return super.getFile(key, target).whenComplete((found, e) -> moved.addAndGet(1 + sizeOf(target)));
    }

    @Override
    public CompletableFuture<Boolean> hasKey(String key) {
        return super.hasKey(key).whenComplete((v, e) -> moved.incrementAndGet());
    }

    @Override
    public CompletableFuture<Long> objectSize(String key) {
        return super.objectSize(key).whenComplete((v, e) -> moved.incrementAndGet());
    }

    private static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }

    private void count(String key, long length) {
        moved.addAndGet(1 + length);
        if (key.startsWith(StoreLayout.BLOBS)) {
            chunkBytes.addAndGet(length);
        }
        bytes.addAndGet(length);
        objects.incrementAndGet();
    }
}
