package io.modbackup.core.engine;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.provider.ForwardingBackupProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records every completed put (with the bytes that went to the store), get and metadata request, in order. */
final class RecordingProvider extends ForwardingBackupProvider {
    enum Kind { PUT, GET, METADATA }

    /** One call: a put's {@code bytes} are its length; a get's and a metadata request's are 0. */
    record Call(Kind kind, String key, long bytes) {
    }

    private final List<Call> calls = new CopyOnWriteArrayList<>();

    RecordingProvider(BackupProvider delegate) {
        super(delegate);
    }

    /** The calls so far, oldest first. */
    List<Call> calls() {
        return new ArrayList<>(calls);
    }

    /** The calls of {@code kind} on keys starting with {@code prefix}. */
    List<Call> calls(Kind kind, String prefix) {
        return calls.stream().filter(c -> c.kind() == kind && c.key().startsWith(prefix)).toList();
    }

    void clear() {
        calls.clear();
    }

    @Override
    public CompletableFuture<Void> putObject(String key, InputStream in, long length) {
        return super.putObject(key, in, length).thenRun(() -> calls.add(new Call(Kind.PUT, key, length)));
    }

    @Override
    public CompletableFuture<Void> putFile(String key, Path source) {
        long size;
        try {
            size = Files.size(source);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return super.putFile(key, source).thenRun(() -> calls.add(new Call(Kind.PUT, key, size)));
    }

    /** Recorded as a put when it created the object. */
    @Override
    public CompletableFuture<Boolean> createObject(String key, InputStream in, long length) {
        return super.createObject(key, in, length).thenApply(created -> {
            if (created) {
                calls.add(new Call(Kind.PUT, key, length));
            }
            return created;
        });
    }

    @Override
    public CompletableFuture<Boolean> createFile(String key, Path source) {
        long size;
        try {
            size = Files.size(source);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return super.createFile(key, source).thenApply(created -> {
            if (created) {
                calls.add(new Call(Kind.PUT, key, size));
            }
            return created;
        });
    }

    @Override
    public CompletableFuture<InputStream> getObject(String key) {
        calls.add(new Call(Kind.GET, key, 0));
        return super.getObject(key);
    }

    @Override
    public CompletableFuture<Boolean> getFile(String key, Path target) {
        calls.add(new Call(Kind.GET, key, 0));
        return super.getFile(key, target);
    }

    @Override
    public CompletableFuture<Boolean> hasKey(String key) {
        calls.add(new Call(Kind.METADATA, key, 0));
        return super.hasKey(key);
    }

    @Override
    public CompletableFuture<Long> objectSize(String key) {
        calls.add(new Call(Kind.METADATA, key, 0));
        return super.objectSize(key);
    }
}
