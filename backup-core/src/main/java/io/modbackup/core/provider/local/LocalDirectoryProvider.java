package io.modbackup.core.provider.local;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.provider.BackupStorageException;
import io.modbackup.api.provider.ObjectKeys;
import io.modbackup.api.provider.PageTokens;
import io.modbackup.api.provider.ProgressInputStream;
import io.modbackup.core.async.DaemonThreads;
import io.modbackup.core.fs.FileSync;
import io.modbackup.core.fs.PrivateFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default provider: objects are files under a root directory, keys are their relative
 * paths. Puts and immediate creates go to a temporary file that is fsynced and atomically renamed (or,
 * for a create, linked) to the key, so a crash never leaves a partial object under a key. Creates
 * deferred to a barrier ({@link Durability#AT_BARRIER}) are written unsynced into a journal and linked
 * to their key; the barrier syncs them all at once, and a crash before it never lets a torn one pass
 * for stored ({@link UnsyncedJournal}). All I/O streams, so memory does not depend on object size.
 * Blocking file I/O runs on the provider's own small thread pool.
 *
 * <p>Config: {@code backup.provider: "io.modbackup.core.provider.local.LocalDirectoryProvider /path/to/dir"}.
 * The directory is created by the first write, not before: a provider that is only read (a listing
 * with a mistyped path) creates nothing, and reads of a directory that does not exist find no objects.
 */
public final class LocalDirectoryProvider implements BackupProvider {
    private static final Logger log = LoggerFactory.getLogger(LocalDirectoryProvider.class);

    /** Root-level directory holding in-flight writes; never part of the key space. */
    static final String TEMP_DIR = ".modbackup-tmp";
    /** Age after which a temporary file can only be a crashed writer's leftover. */
    static final Duration STALE_TEMP_AGE = TemporaryFiles.STALE_AGE;
    private static final int BUFFER_SIZE = 256 * 1024;
    // Blocking file I/O (writes, fsyncs), not CPU: as many threads as the engine keeps uploads in flight.
    private static final int DEFAULT_THREADS = Math.max(16, 2 * Runtime.getRuntime().availableProcessors());

    private final Path root;
    private final TemporaryFiles temporaryFiles;
    private final ExecutorService executor;
    private final DirectoryListing listing;
    private final UnsyncedJournal journal;
    private final int threads;
    private volatile ProgressListener progressListener;

    /** How a temporary file is opened: created here, never an existing file or link. */
    private static final java.util.Set<StandardOpenOption> NEW_FILE = java.util.Set.of(StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE);

    /** The provider for the directory named by the config argument. */
    public LocalDirectoryProvider(String directory) {
        this(parseDirectory(directory), DEFAULT_THREADS);
    }

    /** A provider for {@code root}, doing its file I/O on {@code threads} threads. */
    public LocalDirectoryProvider(Path root, int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        this.root = root.toAbsolutePath().normalize();
        this.temporaryFiles = new TemporaryFiles(this.root, this.root.resolve(TEMP_DIR));
        if (Files.exists(this.root) && !Files.isDirectory(this.root)) {
            throw new IllegalArgumentException("cannot use " + this.root + " as a backup directory: it is not a directory");
        }
        temporaryFiles.removeStale();
        this.journal = new UnsyncedJournal(this.root.resolve(TEMP_DIR), this::pathOf);
        journal.settle();
        this.threads = threads;
        this.executor = Executors.newFixedThreadPool(threads, DaemonThreads.named("modbackup-local-io-"));
        this.listing = new DirectoryListing(this.root, TEMP_DIR);
    }

    /** The directory holding the objects. */
    public Path root() {
        return root;
    }

    private static Path parseDirectory(String directory) {
        if (directory == null || directory.isBlank()) {
            throw new IllegalArgumentException("LocalDirectoryProvider needs a directory as its argument, "
                    + "e.g. \"io.modbackup.core.provider.local.LocalDirectoryProvider /var/backups/modbackup\"");
        }
        return Path.of(directory.strip());
    }

    @Override
    public CompletableFuture<Void> putObject(String key, InputStream in, long length) {
        return writeObject(key, in, length, false).thenApply(created -> null);
    }

    /** Atomic: the object is written to a temporary file and hard-linked to its key, which fails when the key exists. */
    @Override
    public CompletableFuture<Boolean> createObject(String key, InputStream in, long length) {
        return writeObject(key, in, length, true);
    }

    private CompletableFuture<Boolean> writeObject(String key, InputStream in, long length, boolean onlyIfAbsent) {
        return async(() -> {
            Path target = pathOf(key);
            if (length < 0) {
                throw new IllegalArgumentException("length of '" + key + "' must not be negative, got " + length);
            }
            if (onlyIfAbsent && Files.exists(target) && !journal.isSuspect(key)) {
                return false; // the link below decides a race; this spares the copy when nothing races
            }
            Path temp = temporaryFiles.next();
            try {
                writeFully(key, in, length, temp, true);
                return place(key, temp, target, onlyIfAbsent);
            } catch (IOException e) {
                throw new BackupStorageException("cannot store '" + key + "' in " + root + ": " + e, e);
            } finally {
                TemporaryFiles.deleteQuietly(temp);
            }
        });
    }

    /**
     * {@code AT_BARRIER}: written without an fsync into the journal's entry and linked to the key; the
     * barrier syncs it (see {@link UnsyncedJournal}).
     */
    @Override
    public CompletableFuture<Boolean> createObject(String key, InputStream in, long length, Durability durability) {
        if (durability != Durability.AT_BARRIER) {
            return createObject(key, in, length);
        }
        if (length < 0) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("length of '" + key
                    + "' must not be negative, got " + length));
        }
        return createDeferred(key, entry -> writeFully(key, in, length, entry, false), () -> createObject(key, in, length));
    }

    /** {@code AT_BARRIER}, as {@link #createObject(String, InputStream, long, Durability)}. */
    @Override
    public CompletableFuture<Boolean> createFile(String key, Path source, Durability durability) {
        if (durability != Durability.AT_BARRIER) {
            return createFile(key, source);
        }
        return createDeferred(key, entry -> copyUnsynced(key, source, entry), () -> createFile(key, source));
    }

    /** Writes one file, without syncing it. */
    private interface EntryWriter {
        void write(Path entry) throws IOException;
    }

    private CompletableFuture<Boolean> createDeferred(String key, EntryWriter writer,
                                                      Supplier<CompletableFuture<Boolean>> durableCreate) {
        return async(() -> {
            Path target = pathOf(key);
            boolean suspect = journal.isSuspect(key);
            if (!suspect && Files.exists(target)) {
                journal.found(key, target);
                return false;
            }
            Path entry = journal.newEntry(key);
            if (entry == null) {
                return null; // a key too long for an entry's name: created durably below
            }
            boolean linked = false;
            try {
                writer.write(entry);
                if (suspect) {
                    // A torn object may be under the key: this whole one replaces it.
                    Path link = temporaryFiles.next();
                    Files.createLink(link, entry);
                    place(key, link, target, false, false);
                    journal.resolved(key);
                    linked = true;
                } else {
                    linked = place(key, entry, target, true, false);
                }
                if (linked) {
                    journal.created(entry, target);
                } else {
                    journal.found(key, target);
                }
                return linked;
            } catch (NoSuchFileException e) {
                throw new BackupStorageException("cannot store '" + key + "' in " + root + ": " + e.getFile()
                        + " does not exist", e);
            } catch (IOException e) {
                throw new BackupStorageException("cannot store '" + key + "' in " + root + ": " + e, e);
            } finally {
                if (!linked) {
                    TemporaryFiles.deleteQuietly(entry);
                }
            }
        }).thenCompose(created -> created != null ? CompletableFuture.completedFuture(created) : durableCreate.get());
    }

    /**
     * Makes durable what the deferred creates stored (see {@link BackupProvider#barrier()}): their files'
     * fsyncs, then their directories', spread over the provider's threads, once per barrier instead of two
     * per object.
     */
    @Override
    public CompletableFuture<Void> barrier() {
        try {
            return journal.barrier(executor, threads);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new BackupStorageException("provider for " + root + " is closed", e));
        }
    }

    /** Copies the file inside the kernel (copy_file_range or sendfile where the OS has them). */
    @Override
    public CompletableFuture<Void> putFile(String key, Path source) {
        return writeFile(key, source, false).thenApply(created -> null);
    }

    @Override
    public CompletableFuture<Boolean> createFile(String key, Path source) {
        return writeFile(key, source, true);
    }

    /** True: a create links a complete temporary file to the key, and link(2) never replaces. */
    @Override
    public boolean atomicCreate() {
        return true;
    }

    private CompletableFuture<Boolean> writeFile(String key, Path source, boolean onlyIfAbsent) {
        return async(() -> {
            Path target = pathOf(key);
            if (onlyIfAbsent && Files.exists(target) && !journal.isSuspect(key)) {
                return false;
            }
            Path temp = temporaryFiles.next();
            try {
                copy(key, source, temp, true);
                return place(key, temp, target, onlyIfAbsent);
            } catch (NoSuchFileException e) {
                throw new BackupStorageException("cannot read " + source + " to store it as '" + key + "': no such file", e);
            } catch (IOException e) {
                throw new BackupStorageException("cannot store '" + key + "' in " + root + ": " + e, e);
            } finally {
                TemporaryFiles.deleteQuietly(temp);
            }
        });
    }

    /** Copies {@code source} to the new file {@code target} inside the kernel, syncing it when {@code sync}. */
    private void copy(String key, Path source, Path target, boolean sync) throws IOException {
        try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ);
             FileChannel out = FileChannel.open(target, NEW_FILE, PrivateFiles.fileAttribute())) {
            transfer(in, out, source, Direction.UPLOAD, key);
            if (sync) {
                out.force(true);
            }
        }
    }

    private void copyUnsynced(String key, Path source, Path entry) throws IOException {
        try {
            copy(key, source, entry, false);
        } catch (NoSuchFileException e) {
            if (source.equals(Path.of(e.getFile()))) {
                throw new BackupStorageException("cannot read " + source + " to store it as '" + key + "': no such file", e);
            }
            throw e;
        }
    }

    /** Copies all of {@code in} (the file {@code source}) to {@code out} inside the kernel, reporting progress. */
    private void transfer(FileChannel in, FileChannel out, Path source, Direction direction, String key) throws IOException {
        long size = in.size();
        for (long position = 0; position < size; ) {
            long n = in.transferTo(position, size - position, out);
            if (n <= 0) {
                throw new IOException(source + " ended at byte " + position + " of " + size);
            }
            position += n;
            report(direction, key, n);
        }
    }

    private void writeFully(String key, InputStream in, long length, Path temp, boolean sync) throws IOException {
        try (FileChannel channel = FileChannel.open(temp, NEW_FILE, PrivateFiles.fileAttribute())) {
            OutputStream out = Channels.newOutputStream(channel);
            byte[] buffer = new byte[(int) Math.min(BUFFER_SIZE, Math.max(1, length))];
            long remaining = length;
            while (remaining > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, remaining));
                if (n < 0) {
                    throw new BackupStorageException("stream for '" + key + "' ended after " + (length - remaining)
                            + " of " + length + " bytes; nothing was stored");
                }
                out.write(buffer, 0, n);
                remaining -= n;
                report(Direction.UPLOAD, key, n);
            }
            if (sync) {
                channel.force(true);
            }
        }
    }

    /**
     * Puts the complete file {@code temp} under {@code target}: renamed over it, or, {@code onlyIfAbsent},
     * hard-linked to it, which fails when {@code target} exists (whoever links first wins). Returns whether
     * the object is now {@code temp}'s. The key is no longer suspect once replaced.
     */
    private boolean place(String key, Path temp, Path target, boolean onlyIfAbsent) throws IOException {
        boolean suspect = journal.isSuspect(key);
        boolean placed = place(key, temp, target, onlyIfAbsent && !suspect, true);
        if (suspect) {
            journal.resolved(key);
        }
        return placed;
    }

    /** {@link #place(String, Path, Path, boolean)}, syncing the directory when {@code syncDirectory}. */
    private boolean place(String key, Path temp, Path target, boolean onlyIfAbsent, boolean syncDirectory) throws IOException {
        // A concurrent delete may prune the (then empty) parent while we create it or move into it. The parent
        // is made only when the first attempt finds it missing: a stat per object otherwise.
        for (int attempt = 0; ; attempt++) {
            try {
                if (attempt > 0) {
                    PrivateFiles.createDirectoriesOrThrow(target.getParent());
                }
                if (onlyIfAbsent) {
                    Files.createLink(target, temp);
                } else {
                    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                }
                if (syncDirectory) {
                    FileSync.forceDirectory(target.getParent()); // where it cannot, the rename is still atomic
                }
                return true;
            } catch (FileAlreadyExistsException e) {
                if (onlyIfAbsent) {
                    return false;
                }
                if (attempt >= 100 || !Files.exists(temp)) {
                    throw e;
                }
            } catch (NoSuchFileException e) {
                if (attempt >= 100 || !Files.exists(temp)) {
                    throw e;
                }
            }
        }
    }

    @Override
    public CompletableFuture<InputStream> getObject(String key) {
        return async(() -> {
            Path file = storedObject(key);
            try {
                if (file == null) {
                    return null;
                }
                return new ProgressInputStream(Files.newInputStream(file), () -> progressListener, Direction.DOWNLOAD, key);
            } catch (NoSuchFileException e) {
                return null;
            } catch (IOException e) {
                throw new BackupStorageException("cannot read '" + key + "' from " + root + ": " + e, e);
            }
        });
    }

    /**
     * The file holding the object under {@code key}, or null when there is none: a directory (a prefix
     * of other keys) or a symbolic link is not an object.
     */
    private Path storedObject(String key) {
        Path file = pathOf(key);
        return Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) ? file : null;
    }

    /** Copies the object inside the kernel to a temporary sibling of {@code target}, then renames it. */
    @Override
    public CompletableFuture<Boolean> getFile(String key, Path target) {
        return async(() -> {
            Path file = storedObject(key);
            if (file == null) {
                return false;
            }
            Path partial = target.resolveSibling(target.getFileName() + "." + UUID.randomUUID() + ".partial");
            FileChannel in;
            try {
                in = FileChannel.open(file, StandardOpenOption.READ);
            } catch (NoSuchFileException e) {
                return false;
            } catch (IOException e) {
                throw new BackupStorageException("cannot read '" + key + "' in " + root + ": " + e, e);
            }
            // A missing target directory is the caller's failure, never "absent".
            try (in; FileChannel out = FileChannel.open(partial, NEW_FILE, PrivateFiles.fileAttribute())) {
                transfer(in, out, file, Direction.DOWNLOAD, key);
                Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                return true;
            } catch (IOException e) {
                throw new BackupStorageException("cannot copy '" + key + "' from " + root + " to " + target + ": " + e, e);
            } finally {
                TemporaryFiles.deleteQuietly(partial);
            }
        });
    }

    /** A key whose object a crash may have torn ({@link UnsyncedJournal}) is absent here, as in {@link #hasKey}. */
    @Override
    public CompletableFuture<Long> objectSize(String key) {
        return async(() -> {
            Path file = pathOf(key);
            if (journal.isSuspect(key)) {
                return -1L;
            }
            try {
                BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                return attributes.isRegularFile() ? attributes.size() : -1L;
            } catch (NoSuchFileException e) {
                return -1L;
            } catch (IOException e) {
                throw new BackupStorageException("cannot check '" + key + "' in " + root + ": " + e, e);
            }
        });
    }

    /**
     * False for a key whose object a crash may have torn before it was synced ({@link UnsyncedJournal}): a
     * backup then writes it again rather than refer to it.
     */
    @Override
    public CompletableFuture<Boolean> hasKey(String key) {
        return async(() -> {
            Path file = pathOf(key);
            if (journal.isSuspect(key)) {
                return false;
            }
            try {
                return Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isRegularFile();
            } catch (NoSuchFileException e) {
                return false;
            } catch (IOException e) {
                throw new BackupStorageException("cannot check '" + key + "' in " + root + ": " + e, e);
            }
        });
    }

    @Override
    public CompletableFuture<Void> deleteObject(String key) {
        return async(() -> {
            Path file = pathOf(key);
            try {
                if (Files.deleteIfExists(file)) {
                    pruneEmptyParents(file.getParent());
                }
                journal.resolved(key);
            } catch (IOException e) {
                throw new BackupStorageException("cannot delete '" + key + "' from " + root + ": " + e, e);
            }
            return null;
        });
    }

    /** Removes directories left empty by a delete, so listings show no empty "directories". */
    private void pruneEmptyParents(Path dir) {
        while (dir != null && !dir.equals(root) && dir.startsWith(root)) {
            try {
                Files.delete(dir);
            } catch (DirectoryNotEmptyException e) {
                return;
            } catch (NoSuchFileException e) {
                // Pruned by a concurrent delete: keep climbing.
            } catch (IOException e) {
                log.debug("cannot prune empty directory {}: {}", dir, e.toString());
                return;
            }
            dir = dir.getParent();
        }
    }

    @Override
    public CompletableFuture<KeysPage> listKeysRecursive(String prefix, String pageToken) {
        return async(() -> {
            ObjectKeys.requireValidPrefix(prefix);
            String after = PageTokens.decode(pageToken, prefix);
            try {
                return PageTokens.page(listing.recursive(prefix, after, DEFAULT_PAGE_SIZE + 1), DEFAULT_PAGE_SIZE, prefix);
            } catch (IOException e) {
                throw new BackupStorageException("cannot list '" + prefix + "' in " + root + ": " + e, e);
            }
        });
    }

    @Override
    public CompletableFuture<KeysPage> listKeysNonRecursive(String prefix, String pageToken, int pageSize) {
        return async(() -> {
            ObjectKeys.requireDirectoryPrefix(prefix);
            String after = PageTokens.decode(pageToken, prefix);
            int size = pageSize <= 0 ? DEFAULT_PAGE_SIZE : pageSize;
            try {
                return PageTokens.page(listing.children(prefix, after, size + 1), size, prefix);
            } catch (IOException e) {
                throw new BackupStorageException("cannot list '" + prefix + "' in " + root + ": " + e, e);
            }
        });
    }

    @Override
    public void setProgressListener(ProgressListener listener) {
        this.progressListener = listener;
    }

    @Override
    public void close() {
        executor.shutdown();
        journal.close();
    }

    private void report(Direction direction, String key, long bytes) {
        ProgressListener listener = progressListener;
        if (listener != null && bytes > 0) {
            listener.bytesTransferred(direction, key, bytes);
        }
    }

    private Path pathOf(String key) {
        ObjectKeys.requireValidKey(key);
        if (key.equals(TEMP_DIR) || key.startsWith(TEMP_DIR + "/")) {
            throw new IllegalArgumentException("invalid object key '" + key + "': '" + TEMP_DIR
                    + "' is reserved by " + LocalDirectoryProvider.class.getSimpleName());
        }
        Path path = root.resolve(key);
        // Another writer of the directory could make "blobs/ab" a link to elsewhere: writes and GC's deletes
        // would then land outside the store. The store never makes links, so one on the way is refused.
        for (Path dir = path.getParent(); dir != null && !dir.equals(root); dir = dir.getParent()) {
            if (Files.isSymbolicLink(dir)) {
                throw new BackupStorageException("object key '" + key + "' in " + root + " passes through the symbolic"
                        + " link " + dir + "; a store's directories are never links: remove it");
            }
        }
        return path;
    }

    private <T> CompletableFuture<T> async(Supplier<T> work) {
        try {
            return CompletableFuture.supplyAsync(work, executor);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new BackupStorageException("provider for " + root + " is closed", e));
        }
    }
}
