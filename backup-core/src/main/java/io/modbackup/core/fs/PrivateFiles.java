package io.modbackup.core.fs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Set;

/**
 * Creates and removes the engine's private files. Every method is safe to call from several threads;
 * on a file system without POSIX permissions the permission steps are skipped (the directory is as
 * private as that file system makes it).
 */
public final class PrivateFiles {
    /** {@code rwx------}. */
    public static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwx------");
    /** {@code rw-------}. */
    public static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

    private PrivateFiles() {
    }

    /** Whether the default file system has POSIX permissions; it does not change while the JVM runs. */
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    /** Whether this file system has POSIX permissions. */
    public static boolean posix() {
        return POSIX;
    }

    /** The attribute that creates a directory {@code 0700}, or none where permissions are not POSIX. */
    public static FileAttribute<?>[] directoryAttribute() {
        return POSIX ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(DIRECTORY)} : new FileAttribute<?>[0];
    }

    /** The attribute that creates a file {@code 0600}, or none where permissions are not POSIX. */
    public static FileAttribute<?>[] fileAttribute() {
        return POSIX ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(FILE)} : new FileAttribute<?>[0];
    }

    /**
     * The permissions of {@code file}, as {@code rw-r--r--}, when its group or others have any; empty when
     * only its owner has access, or where permissions are not POSIX. A link is judged, not followed.
     */
    public static java.util.Optional<String> openToOthers(Path file) throws IOException {
        if (!POSIX) {
            return java.util.Optional.empty();
        }
        Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
        return FILE.containsAll(permissions) ? java.util.Optional.empty()
                : java.util.Optional.of(PosixFilePermissions.toString(permissions));
    }

    /**
     * Creates {@code dir} and its missing parents; the ones it creates are {@code 0700} (existing ones
     * are left as their owner set them). Returns {@code dir}.
     *
     * @throws UncheckedIOException naming the directory when it cannot be created
     */
    public static Path createDirectories(Path dir) {
        try {
            return createDirectoriesOrThrow(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create directory " + dir + ": " + e, e);
        }
    }

    /**
     * {@link #createDirectories} for callers that tell its failures apart (a parent deleted by a concurrent
     * prune is a {@link java.nio.file.NoSuchFileException}).
     */
    public static Path createDirectoriesOrThrow(Path dir) throws IOException {
        Path absolute = dir.toAbsolutePath();
        if (Files.isDirectory(absolute)) {
            return dir;
        }
        Path parent = absolute.getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            createDirectoriesOrThrow(parent);
        }
        try {
            Files.createDirectory(absolute, directoryAttribute());
        } catch (java.nio.file.FileAlreadyExistsException raced) {
            if (!Files.isDirectory(absolute)) {
                throw raced;
            }
        }
        return dir;
    }

    /**
     * This user's scratch directory in the shared temporary directory,
     * {@code <java.io.tmpdir>/modbackup-<user>}, created {@code 0700}. For an engine that was given no
     * directory of its node's own.
     *
     * @throws IllegalStateException naming the directory when it is a link, not a directory, or owned
     *     by another user (who could then read or plant what the engine stages there)
     */
    public static Path userScratch() {
        Path dir = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath()
                .resolve("modbackup-" + System.getProperty("user.name").replaceAll("[^A-Za-z0-9._-]", "_"));
        try {
            try {
                Files.createDirectory(dir, directoryAttribute());
            } catch (java.nio.file.FileAlreadyExistsException exists) {
                // checked below, whoever created it
            }
            checkOwnDirectory(dir);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the scratch directory " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Refuses {@code dir} unless it is a real directory (not a link) owned by this process's user, and
     * makes it {@code 0700}.
     */
    public static void checkOwnDirectory(Path dir) {
        try {
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                throw new IllegalStateException(dir + " is a link or not a directory: remove it (another user may have"
                        + " planted it) and try again");
            }
            if (POSIX) {
                UserPrincipal owner = Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS);
                UserPrincipal me = dir.getFileSystem().getUserPrincipalLookupService()
                        .lookupPrincipalByName(System.getProperty("user.name"));
                if (!owner.equals(me)) {
                    throw new IllegalStateException(dir + " belongs to " + owner.getName() + ", not to "
                            + me.getName() + ": remove it (another user may have planted it) and try again");
                }
                Files.setPosixFilePermissions(dir, DIRECTORY);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check directory " + dir + ": " + e.getMessage(), e);
        }
    }
}
