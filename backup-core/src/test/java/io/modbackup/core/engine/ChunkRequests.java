package io.modbackup.core.engine;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.provider.ForwardingBackupProvider;
import io.modbackup.core.store.StoreLayout;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** Counts the requests a backup makes on chunks: lookups (hasKey, objectSize) and puts (creates that stored), with the keys put. */
final class ChunkRequests extends ForwardingBackupProvider {
    final AtomicLong chunkLookups = new AtomicLong();
    final AtomicLong chunkPuts = new AtomicLong();
    final Set<String> chunksPut = ConcurrentHashMap.newKeySet();

    ChunkRequests(BackupProvider delegate) {
        super(delegate);
    }

    void reset() {
        chunkLookups.set(0);
        chunkPuts.set(0);
        chunksPut.clear();
    }

    /** Every chunk key the store holds now. */
    Set<String> chunkKeys() {
        Set<String> keys = ConcurrentHashMap.newKeySet();
        String token = null;
        do {
            KeysPage page = delegate().listKeysRecursive(StoreLayout.BLOBS, token).join();
            keys.addAll(page.keys());
            token = page.nextPageToken();
        } while (token != null);
        return keys;
    }

    private void count(String key, AtomicLong counter) {
        if (key.startsWith(StoreLayout.BLOBS)) {
            counter.incrementAndGet();
            if (counter == chunkPuts) {
                chunksPut.add(key);
            }
        }
    }

    @Override
    public CompletableFuture<Boolean> hasKey(String key) {
        count(key, chunkLookups);
        return super.hasKey(key);
    }

    @Override
    public CompletableFuture<Long> objectSize(String key) {
        count(key, chunkLookups);
        return super.objectSize(key);
    }

    @Override
    public CompletableFuture<Void> putObject(String key, InputStream in, long length) {
        count(key, chunkPuts);
        return super.putObject(key, in, length);
    }

    @Override
    public CompletableFuture<Void> putFile(String key, Path source) {
        count(key, chunkPuts);
        return super.putFile(key, source);
    }

    /** Counted as a put when it stored the chunk (a create that found it, say sent by the other Supervisor, is not). */
    @Override
    public CompletableFuture<Boolean> createObject(String key, InputStream in, long length) {
        return countCreated(key, super.createObject(key, in, length));
    }

    @Override
    public CompletableFuture<Boolean> createFile(String key, Path source) {
        return countCreated(key, super.createFile(key, source));
    }

    private CompletableFuture<Boolean> countCreated(String key, CompletableFuture<Boolean> create) {
        return create.thenApply(created -> {
            if (created) {
                count(key, chunkPuts);
            }
            return created;
        });
    }
}
