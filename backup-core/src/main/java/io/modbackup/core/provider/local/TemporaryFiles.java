package io.modbackup.core.provider.local;

import io.modbackup.api.provider.BackupStorageException;
import io.modbackup.core.fs.PrivateFiles;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The provider's in-flight writes: each goes to a fresh file under the temporary directory, named with
 * its writer's host and process ID, before its rename over the key. Files a crashed writer left are
 * removed when a provider opens the directory: at once those of a process of this host that has exited,
 * others only once old, since a process on another machine sharing the directory may be writing them.
 * Thread-safe.
 */
final class TemporaryFiles {
    private static final Logger log = LoggerFactory.getLogger(TemporaryFiles.class);
    /** Age after which a temporary file can only be a crashed writer's leftover. */
    static final Duration STALE_AGE = Duration.ofHours(1);
    /** This machine's name as temporary file names carry it ({@code _} is the separator). */
    private static final String HOST = hostName().replace('_', '-');

    private final Path root;
    private final Path dir;
    private volatile boolean created;

    TemporaryFiles(Path root, Path dir) {
        this.root = root;
        this.dir = dir;
    }

    /** A fresh temporary file name for a write, creating the root and the temporary directory on the first one. */
    Path next() {
        if (!created) {
            try {
                // Created 0700: an unencrypted store holds every depot entry and PState in the clear.
                PrivateFiles.createDirectories(dir);
            } catch (java.io.UncheckedIOException e) {
                throw new BackupStorageException("cannot use " + root + " as a backup directory: " + e.getCause(), e);
            }
            created = true;
        }
        return dir.resolve(HOST + "_" + ProcessHandle.current().pid() + "_" + UUID.randomUUID() + ".tmp");
    }

    /** Deletes the temporary files that crashed writers left behind (see the class comment). */
    void removeStale() {
        if (!Files.isDirectory(dir)) {
            return;
        }
        Instant cutoff = Instant.now().minus(STALE_AGE);
        try (DirectoryStream<Path> temps = Files.newDirectoryStream(dir)) {
            for (Path temp : temps) {
                if (Files.isDirectory(temp)) {
                    continue; // the journals of unsynced writes, which UnsyncedJournal settles
                }
                if (writerGone(temp.getFileName().toString())
                        || Files.getLastModifiedTime(temp).toInstant().isBefore(cutoff)) {
                    deleteQuietly(temp);
                }
            }
        } catch (IOException e) {
            log.warn("cannot clean temporary files in {}: {}", dir, e.toString());
        }
    }

    /** Whether a temporary file's name says it was written by a process of this host that has exited. */
    private static boolean writerGone(String name) {
        String[] parts = name.split("_", 3);
        if (parts.length < 3 || !parts[0].equals(HOST)) {
            return false;
        }
        try {
            long pid = Long.parseLong(parts[1]);
            return pid != ProcessHandle.current().pid() && ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.warn("cannot remove temporary file {}: {}", path, e.toString());
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown-host";
        }
    }
}
