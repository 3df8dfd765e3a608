package io.modbackup.core.fs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes many written files durable at once: their fsyncs spread over a few threads after all were written,
 * which lets the file system write them back together, instead of one fsync after each write.
 */
public final class FileSync {
    private static final Logger log = LoggerFactory.getLogger(FileSync.class);

    private FileSync() {
    }

    /**
     * Fsyncs every file of {@code files}, then every directory of {@code directories} (where the file system
     * can), in up to {@code parallelism} slices on {@code executor}. Fails with an {@link UncheckedIOException}
     * naming the first file that cannot be synced.
     */
    public static CompletableFuture<Void> sync(Collection<Path> files, Collection<Path> directories, Executor executor,
                                               int parallelism) {
        return inParallel(List.copyOf(files), parallelism, executor, FileSync::force)
                .thenCompose(v -> inParallel(List.copyOf(directories), parallelism, executor, FileSync::forceDirectory));
    }

    /** Fsyncs one file; fails naming it. */
    public static void force(Path file) {
        try {
            forceOrThrow(file);
        } catch (NoSuchFileException e) {
            throw new UncheckedIOException("cannot sync " + file + ": it was deleted", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot sync " + file + ": " + e.getMessage(), e);
        }
    }

    /** Fsyncs one file, leaving what a failure means to the caller (which names the object in its own terms). */
    public static void forceOrThrow(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    /** Fsyncs a directory's entries; some file systems cannot, and then their links are as durable as they make them. */
    public static void forceDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            log.debug("cannot fsync directory {}: {}", dir, e.toString());
        }
    }

    /** Runs {@code work} on every item, in up to {@code parallelism} slices on {@code executor}. */
    public static <T> CompletableFuture<Void> inParallel(List<T> items, int parallelism, Executor executor, Consumer<T> work) {
        if (items.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        int slices = Math.max(1, Math.min(parallelism, items.size()));
        CompletableFuture<?>[] parts = new CompletableFuture<?>[slices];
        for (int s = 0; s < slices; s++) {
            int slice = s;
            parts[s] = CompletableFuture.runAsync(() -> {
                for (int i = slice; i < items.size(); i += slices) {
                    work.accept(items.get(i));
                }
            }, executor);
        }
        return CompletableFuture.allOf(parts);
    }
}
