package io.modbackup.testkit.provider;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.provider.BackupStorageException;
import io.modbackup.api.provider.ObjectKeys;
import io.modbackup.api.provider.PageTokens;
import io.modbackup.api.provider.ProgressInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

/**
 * A provider that keeps objects in memory, for fast tests of code above the SPI. It honours the
 * whole {@link BackupProvider} contract (it passes the contract suite) except that object size is
 * bounded by the heap.
 */
public final class InMemoryProvider implements BackupProvider {
    private final ConcurrentSkipListMap<String, byte[]> objects = new ConcurrentSkipListMap<>();
    private final ExecutorService executor = Executors.newFixedThreadPool(4, runnable -> {
        Thread thread = new Thread(runnable, "modbackup-memory-provider");
        thread.setDaemon(true);
        return thread;
    });
    private volatile ProgressListener progressListener;

    @Override
    public CompletableFuture<Void> putObject(String key, InputStream in, long length) {
        return async(() -> {
            objects.put(key, read(key, in, length));
            return null;
        });
    }

    /** Atomic: the bytes are read first, then set only if absent (a compare-and-set on the map). */
    @Override
    public CompletableFuture<Boolean> createObject(String key, InputStream in, long length) {
        return async(() -> !objects.containsKey(ObjectKeys.requireValidKey(key))
                && objects.putIfAbsent(key, read(key, in, length)) == null);
    }

    @Override
    public boolean atomicCreate() {
        return true;
    }

    private byte[] read(String key, InputStream in, long length) {
        ObjectKeys.requireValidKey(key);
        if (length < 0 || length > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("length of '" + key + "' must be between 0 and 2 GiB, got " + length);
        }
        ByteArrayOutputStream buffer = new ByteArrayOutputStream((int) length);
        byte[] chunk = new byte[64 * 1024];
        long remaining = length;
        try {
            while (remaining > 0) {
                int n = in.read(chunk, 0, (int) Math.min(chunk.length, remaining));
                if (n < 0) {
                    throw new BackupStorageException("stream for '" + key + "' ended after " + (length - remaining)
                            + " of " + length + " bytes; nothing was stored");
                }
                buffer.write(chunk, 0, n);
                remaining -= n;
                report(Direction.UPLOAD, key, n);
            }
        } catch (IOException e) {
            throw new BackupStorageException("cannot read the stream for '" + key + "': " + e, e);
        }
        return buffer.toByteArray();
    }

    @Override
    public CompletableFuture<InputStream> getObject(String key) {
        return async(() -> {
            byte[] data = objects.get(ObjectKeys.requireValidKey(key));
            return data == null ? null
                    : new ProgressInputStream(new ByteArrayInputStream(data), () -> progressListener, Direction.DOWNLOAD, key);
        });
    }

    @Override
    public CompletableFuture<Boolean> hasKey(String key) {
        return async(() -> objects.containsKey(ObjectKeys.requireValidKey(key)));
    }

    @Override
    public CompletableFuture<Long> objectSize(String key) {
        return async(() -> {
            byte[] data = objects.get(ObjectKeys.requireValidKey(key));
            return data == null ? -1L : (long) data.length;
        });
    }

    @Override
    public CompletableFuture<Void> deleteObject(String key) {
        return async(() -> {
            objects.remove(ObjectKeys.requireValidKey(key));
            return null;
        });
    }

    @Override
    public CompletableFuture<KeysPage> listKeysRecursive(String prefix, String pageToken) {
        return async(() -> {
            ObjectKeys.requireValidPrefix(prefix);
            String after = PageTokens.decode(pageToken, prefix);
            List<String> keys = new ArrayList<>();
            Map<String, byte[]> tail = after == null ? objects.tailMap(prefix, true) : objects.tailMap(after, false);
            for (String key : tail.keySet()) {
                if (!key.startsWith(prefix) || keys.size() > DEFAULT_PAGE_SIZE) {
                    break;
                }
                keys.add(key);
            }
            return PageTokens.page(keys, DEFAULT_PAGE_SIZE, prefix);
        });
    }

    @Override
    public CompletableFuture<KeysPage> listKeysNonRecursive(String prefix, String pageToken, int pageSize) {
        return async(() -> {
            ObjectKeys.requireDirectoryPrefix(prefix);
            String after = PageTokens.decode(pageToken, prefix);
            int size = pageSize <= 0 ? DEFAULT_PAGE_SIZE : pageSize;
            TreeSet<String> names = new TreeSet<>();
            for (String key : objects.tailMap(prefix, true).keySet()) {
                if (!key.startsWith(prefix)) {
                    break;
                }
                String rest = key.substring(prefix.length());
                int slash = rest.indexOf('/');
                String name = slash < 0 ? rest : rest.substring(0, slash + 1);
                if (after == null || name.compareTo(after) > 0) {
                    names.add(name);
                }
            }
            return PageTokens.page(names.stream().limit(size + 1L).toList(), size, prefix);
        });
    }

    @Override
    public void setProgressListener(ProgressListener listener) {
        this.progressListener = listener;
    }

    @Override
    public void close() {
        executor.shutdown();
    }

    /** The number of objects stored, for assertions. */
    public int size() {
        return objects.size();
    }

    /** The total bytes stored, for assertions. */
    public long totalBytes() {
        return objects.values().stream().mapToLong(b -> b.length).sum();
    }

    private void report(Direction direction, String key, long bytes) {
        ProgressListener listener = progressListener;
        if (listener != null && bytes > 0) {
            listener.bytesTransferred(direction, key, bytes);
        }
    }

    private <T> CompletableFuture<T> async(Supplier<T> work) {
        try {
            return CompletableFuture.supplyAsync(work, executor);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new BackupStorageException("in-memory provider is closed", e));
        }
    }
}
