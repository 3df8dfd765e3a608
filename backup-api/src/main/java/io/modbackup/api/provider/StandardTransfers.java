package io.modbackup.api.provider;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;

/**
 * The default fast paths of {@link BackupProvider}, built on its stream methods: what the interface's
 * default methods do, and what {@link ForwardingBackupProvider}'s {@code standard…} methods offer a
 * decorator that intercepts the stream methods and wants the fast paths to go through them.
 */
final class StandardTransfers {
    private StandardTransfers() {
    }

    static CompletableFuture<Long> objectSize(BackupProvider provider, String key) {
        return provider.getObject(key).thenApply(in -> {
            if (in == null) {
                return -1L;
            }
            try (InputStream stream = in) {
                return stream.transferTo(OutputStream.nullOutputStream());
            } catch (IOException e) {
                throw new BackupStorageException("cannot read '" + key + "' to learn its size", e);
            }
        });
    }

    static CompletableFuture<Void> putFile(BackupProvider provider, String key, Path source) {
        return streamFile(key, source, (in, length) -> provider.putObject(key, in, length));
    }

    static CompletableFuture<Boolean> createObject(BackupProvider provider, String key, InputStream in, long length) {
        return provider.hasKey(key).thenCompose(present -> present ? CompletableFuture.completedFuture(false)
                : provider.putObject(key, in, length).thenApply(v -> true));
    }

    static CompletableFuture<Boolean> createFile(BackupProvider provider, String key, Path source) {
        return streamFile(key, source, (in, length) -> provider.createObject(key, in, length));
    }

    /** Opens {@code source} and hands it to {@code send} as a stream of its length, closing it when the send ends. */
    private static <T> CompletableFuture<T> streamFile(String key, Path source,
                                                       BiFunction<InputStream, Long, CompletableFuture<T>> send) {
        final InputStream in;
        final long length;
        try {
            length = Files.size(source);
            in = Files.newInputStream(source);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(
                    new BackupStorageException("cannot read " + source + " to upload it as '" + key + "'", e));
        }
        return send.apply(in, length).whenComplete((ok, err) -> closeQuietly(in));
    }

    static CompletableFuture<Boolean> getFile(BackupProvider provider, String key, Path target) {
        return provider.getObject(key).thenApply(in -> {
            if (in == null) {
                return false;
            }
            Path partial = target.resolveSibling(target.getFileName() + ".partial");
            try (InputStream stream = in; OutputStream out = Files.newOutputStream(partial)) {
                stream.transferTo(out);
            } catch (IOException e) {
                throw new BackupStorageException("cannot download '" + key + "' to " + target, e);
            }
            try {
                Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new BackupStorageException("cannot move downloaded '" + key + "' into " + target, e);
            }
            return true;
        });
    }

    static CompletableFuture<Void> deleteObjects(BackupProvider provider, List<String> keys) {
        List<CompletableFuture<Void>> deletes = new ArrayList<>(keys.size());
        for (String key : keys) {
            deletes.add(provider.deleteObject(key));
        }
        return CompletableFuture.allOf(deletes.toArray(CompletableFuture[]::new));
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // The upload's own outcome is what the caller needs; a close failure after it adds nothing.
        }
    }
}
