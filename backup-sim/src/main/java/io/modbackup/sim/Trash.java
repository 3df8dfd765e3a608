package io.modbackup.sim;

import io.modbackup.api.fs.FileTrees;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Supervisor's directories that are done with (replaced task state, released cuts): each is taken out of
 * the way with one rename into {@code root/trash} and its files deleted later on one background thread, so
 * an install or a release costs the same whatever the number of files. Whatever a stop left in the trash is
 * deleted when the Supervisor starts again. Thread-safe.
 */
final class Trash implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Trash.class);
    private final Path dir;
    private final Object lock = new Object();
    private ExecutorService deleter;

    Trash(Path root) {
        this.dir = root.resolve("trash");
        if (Files.isDirectory(dir)) {
            try (Stream<Path> left = Files.list(dir)) {
                left.forEach(this::deleteLater);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + dir, e);
            }
        }
    }

    /** Moves {@code path} (on the same file system) into the trash with one rename and returns where it is now. */
    Path retire(Path path) {
        Path target = dir.resolve(UUID.randomUUID().toString());
        try {
            Files.createDirectories(dir);
            Files.move(path, target, StandardCopyOption.ATOMIC_MOVE);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move " + path + " to " + dir, e);
        }
    }

    /** Deletes {@code retired}, a directory of the trash, on the background thread. */
    void deleteLater(Path retired) {
        synchronized (lock) {
            if (deleter == null) {
                deleter = Executors.newSingleThreadExecutor(r -> {
                    Thread t = new Thread(r, "trash-" + dir.getParent().getFileName());
                    t.setDaemon(true);
                    return t;
                });
            }
            deleter.execute(() -> {
                try {
                    FileTrees.deleteTree(retired);
                } catch (UncheckedIOException e) {
                    log.warn("cannot delete {}: {}; it is deleted when the Supervisor starts again", retired, e.getMessage());
                }
            });
        }
    }

    /** Finishes the deletions asked for (a later start would otherwise redo them). */
    @Override
    public void close() {
        ExecutorService running;
        synchronized (lock) {
            running = deleter;
            deleter = null;
        }
        if (running == null) {
            return;
        }
        running.shutdown();
        try {
            if (!running.awaitTermination(10, TimeUnit.MINUTES)) {
                log.warn("the trash of {} is still being deleted; the next start finishes it", dir);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
