package io.modbackup.core.store;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.provider.ForwardingBackupProvider;
import io.modbackup.core.async.DaemonThreads;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The user's provider under a process's {@link TransferLimits}, the bottom of every process's store stack,
 * so the limit counts the bytes that cross the wire (sealed) for every provider alike. A stream is held
 * back as it is read; a file is paid for before it is sent (a provider's fast path sends it at full speed,
 * then the next waits) and after it is received, so the average rate keeps the limit. The waits happen on
 * the provider's reading threads or on threads of this class, never the caller's.
 */
public final class RateLimitedProvider extends ForwardingBackupProvider {
    private final TransferLimits limits;
    private final ExecutorService waits = Executors.newCachedThreadPool(DaemonThreads.named("modbackup-rate-limit-"));

    public RateLimitedProvider(BackupProvider delegate, TransferLimits limits) {
        super(delegate);
        this.limits = limits;
    }

    @Override
    public CompletableFuture<Void> putObject(String key, InputStream in, long length) {
        return super.putObject(key, uploading(in), length);
    }

    @Override
    public CompletableFuture<Boolean> createObject(String key, InputStream in, long length) {
        return super.createObject(key, uploading(in), length);
    }

    @Override
    public CompletableFuture<Boolean> createObject(String key, InputStream in, long length, Durability durability) {
        return delegate().createObject(key, uploading(in), length, durability);
    }

    @Override
    public CompletableFuture<Void> putFile(String key, Path source) {
        return paid(source).thenCompose(v -> super.putFile(key, source));
    }

    @Override
    public CompletableFuture<Boolean> createFile(String key, Path source) {
        return paid(source).thenCompose(v -> super.createFile(key, source));
    }

    @Override
    public CompletableFuture<Boolean> createFile(String key, Path source, Durability durability) {
        return paid(source).thenCompose(v -> delegate().createFile(key, source, durability));
    }

    @Override
    public CompletableFuture<InputStream> getObject(String key) {
        return super.getObject(key).thenApply(in -> in == null || limits.downloadLimit() == 0 ? in : new Metered(in, false));
    }

    @Override
    public CompletableFuture<Boolean> getFile(String key, Path target) {
        if (limits.downloadLimit() == 0) {
            return super.getFile(key, target);
        }
        return super.getFile(key, target).thenApplyAsync(found -> {
            if (found) {
                try {
                    limits.acquireDownload(Files.size(target));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return found;
        }, waits);
    }

    @Override
    public void close() {
        waits.shutdownNow();
        super.close();
    }

    private InputStream uploading(InputStream in) {
        return limits.uploadLimit() == 0 ? in : new Metered(in, true);
    }

    private CompletableFuture<Void> paid(Path source) {
        if (limits.uploadLimit() == 0) {
            return CompletableFuture.completedFuture(null);
        }
        return CompletableFuture.runAsync(() -> {
            try {
                limits.acquireUpload(Files.size(source));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + source, e);
            }
        }, waits);
    }

    /** A stream whose reads take their bytes from a limit, keeping mark and reset (retries re-read). */
    private final class Metered extends FilterInputStream {
        private final boolean upload;

        Metered(InputStream in, boolean upload) {
            super(in);
            this.upload = upload;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                take(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int off, int len) throws IOException {
            int n = super.read(buffer, off, len);
            if (n > 0) {
                take(n);
            }
            return n;
        }

        private void take(long n) {
            if (upload) {
                limits.acquireUpload(n);
            } else {
                limits.acquireDownload(n);
            }
        }
    }
}
