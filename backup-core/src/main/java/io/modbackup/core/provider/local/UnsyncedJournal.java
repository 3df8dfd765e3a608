package io.modbackup.core.provider.local;

import io.modbackup.api.provider.BackupStorageException;
import io.modbackup.core.fs.FileSync;
import io.modbackup.core.fs.PrivateFiles;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local provider's record of the objects it created without an fsync ({@code AT_BARRIER}) and no
 * barrier has made durable yet, so that a crash of the machine cannot let a torn object pass for stored.
 *
 * <p>Each provider instance that defers a write keeps one journal directory,
 * {@code .modbackup-tmp/unsynced/<boot ID>_<UUID>}, holding a lock file it keeps locked while open and,
 * per deferred object (spread over a few subdirectories), the object's file itself under a name that encodes its key: the content is written
 * there and then hard-linked to the key, so the entry exists before the key does (file systems with a
 * metadata journal, ext4 and XFS, persist the two in that order). A barrier fsyncs the files, then their
 * directories, then removes the entries. An object a create found stored is fsynced by the finder's barrier
 * too: its writer may not have reached its own.
 *
 * <p>When a provider opens the directory it settles the journals whose lock it can take (their writer is
 * gone). If the writer's machine did not restart (same boot ID), the files are whole in the page cache and
 * are fsynced. If it did, each entry whose key still holds that file may be torn: the key is recorded in a
 * {@code suspects-<UUID>} file (fsynced before the journal is dropped), and a suspect key is reported absent
 * by {@code hasKey} and replaced by the next create. Settling is serialized by a lock file, so a provider
 * opening while another settles sees the suspects the other recorded. Thread-safe.
 */
final class UnsyncedJournal implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(UnsyncedJournal.class);
    static final String DIR = "unsynced";
    private static final String LOCK = "lock";
    private static final String SETTLE_LOCK = "settle.lock";
    private static final String SUSPECTS = "suspects-";
    /** Longest entry name in bytes; a longer key is written durably at once instead (file names stop at 255). */
    private static final int MAX_NAME_BYTES = 200;
    private static final String UNKNOWN_BOOT = "unknown";
    /** Subdirectories of a journal that its entries are spread over. */
    private static final int SHARDS = 16;

    private final Path journals;
    private final Function<String, Path> objectPath;
    private final String bootId;
    private final AtomicLong sequence = new AtomicLong();
    private final ConcurrentLinkedQueue<Created> pending = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Found> found = new ConcurrentLinkedQueue<>();
    /** Suspect keys and the suspects file naming each. */
    private final Map<String, Path> suspects = new ConcurrentHashMap<>();
    private final Object lifecycle = new Object();
    private Path own;
    private FileChannel ownLockChannel;
    private FileLock ownLock;
    private CompletableFuture<Void> lastBarrier = CompletableFuture.completedFuture(null);

    private record Created(Path entry, Path object) {
    }

    private record Found(String key, Path object) {
    }

    /**
     * @param temporary the provider's temporary directory, which holds the journals
     * @param objectPath the file of a key
     */
    UnsyncedJournal(Path temporary, Function<String, Path> objectPath) {
        this.journals = temporary.resolve(DIR);
        this.objectPath = objectPath;
        this.bootId = readBootId();
    }

    // ------------------------------------------------------------------ writing

    /**
     * A fresh entry file for a deferred create of {@code key}, to be written and linked to the key; null
     * when the key is too long to name an entry (the caller then writes durably at once).
     */
    Path newEntry(String key) {
        long n = sequence.incrementAndGet();
        String name = n + "_" + encode(key);
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            return null;
        }
        // Spread over subdirectories: creates in one directory queue on its lock (seen in kernel profiles).
        Path shard = ownDirectory().resolve(Long.toString(n % SHARDS));
        if (!Files.isDirectory(shard)) {
            try {
                PrivateFiles.createDirectoriesOrThrow(shard);
            } catch (IOException e) {
                throw new BackupStorageException("cannot start a journal of unsynced writes in " + shard + ": " + e, e);
            }
        }
        return shard.resolve(name);
    }

    /** Records that {@code entry} now is the object under {@code object}, durable at the next barrier. */
    void created(Path entry, Path object) {
        pending.add(new Created(entry, object));
    }

    /** Records that a deferred create found {@code key} stored: the next barrier makes it durable too. */
    void found(String key, Path object) {
        found.add(new Found(key, object));
    }

    /** Whether the object under {@code key} may have been torn by a crash before a barrier. */
    boolean isSuspect(String key) {
        return !suspects.isEmpty() && suspects.containsKey(key);
    }

    /** {@code key} was replaced by a whole object (or deleted): no longer suspect. */
    void resolved(String key) {
        Path file = suspects.remove(key);
        if (file != null && !suspects.containsValue(file)) {
            TemporaryFiles.deleteQuietly(file);
        }
    }

    // ------------------------------------------------------------------ barrier

    /**
     * Completes when every object recorded by {@link #created} or {@link #found} before the call is durable.
     * Barriers run one after another, so a barrier never completes before an earlier one's objects are durable;
     * what a failed barrier could not sync is kept for the next one.
     */
    CompletableFuture<Void> barrier(Executor executor, int parallelism) {
        synchronized (lifecycle) {
            CompletableFuture<Void> next = lastBarrier.handle((v, e) -> null)
                    .thenComposeAsync(v -> sync(executor, parallelism), executor);
            lastBarrier = next;
            return next;
        }
    }

    private CompletableFuture<Void> sync(Executor executor, int parallelism) {
        List<Created> created = drain(pending);
        List<Found> seen = drain(found);
        if (created.isEmpty() && seen.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        Set<Path> directories = new HashSet<>();
        created.forEach(c -> directories.add(c.object().getParent()));
        CompletableFuture<Void> synced = FileSync.inParallel(created, parallelism, executor, c -> force(c.entry(), c.object()))
                .thenCompose(v -> FileSync.inParallel(seen, parallelism, executor, f -> forceFound(f)))
                .thenCompose(v -> FileSync.inParallel(List.copyOf(directories), parallelism, executor, FileSync::forceDirectory))
                .thenCompose(v -> FileSync.inParallel(created, parallelism, executor, c -> TemporaryFiles.deleteQuietly(c.entry())));
        return synced.whenComplete((v, e) -> {
            if (e != null) {
                pending.addAll(created);
                found.addAll(seen);
            }
        });
    }

    private static <T> List<T> drain(ConcurrentLinkedQueue<T> queue) {
        List<T> items = new ArrayList<>();
        for (T item; (item = queue.poll()) != null; ) {
            items.add(item);
        }
        return items;
    }

    private static void force(Path entry, Path object) {
        try {
            FileSync.forceOrThrow(entry);
        } catch (IOException e) {
            throw new BackupStorageException("cannot make " + object + " durable: " + e, e);
        }
    }

    private static void forceFound(Found found) {
        try {
            FileSync.forceOrThrow(found.object());
        } catch (NoSuchFileException e) {
            throw new BackupStorageException("'" + found.key() + "' was deleted before this backup could make it durable;"
                    + " nothing may refer to it: run the backup again", e);
        } catch (IOException e) {
            throw new BackupStorageException("cannot make '" + found.key() + "' durable: " + e, e);
        }
    }

    // ------------------------------------------------------------------ the journal directory

    private Path ownDirectory() {
        synchronized (lifecycle) {
            if (own != null) {
                return own;
            }
            String name = bootId + "_" + UUID.randomUUID();
            // Built under a name settling ignores, locked, then renamed: a settler never takes a journal whose
            // writer has not locked it yet.
            Path building = journals.resolve("." + name);
            Path ready = journals.resolve(name);
            FileChannel channel = null;
            try {
                PrivateFiles.createDirectoriesOrThrow(building);
                channel = FileChannel.open(building.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock = channel.lock();
                Files.move(building, ready, StandardCopyOption.ATOMIC_MOVE);
                FileSync.forceDirectory(journals);
                own = ready;
                ownLockChannel = channel;
                ownLock = lock;
                return own;
            } catch (IOException e) {
                closeQuietly(channel);
                throw new BackupStorageException("cannot start a journal of unsynced writes in " + journals + ": " + e, e);
            }
        }
    }

    /** Releases the journal; its directory goes when nothing in it awaits a barrier (else a later opener settles it). */
    @Override
    public void close() {
        synchronized (lifecycle) {
            if (own == null) {
                return;
            }
            if (pending.isEmpty()) {
                for (int shard = 0; shard < SHARDS; shard++) {
                    TemporaryFiles.deleteQuietly(own.resolve(Integer.toString(shard)));
                }
                TemporaryFiles.deleteQuietly(own.resolve(LOCK));
                TemporaryFiles.deleteQuietly(own);
            }
            try {
                ownLock.release();
            } catch (IOException e) {
                log.debug("cannot release {}: {}", own, e.toString());
            }
            closeQuietly(ownLockChannel);
            own = null;
        }
    }

    // ------------------------------------------------------------------ settling after a crash

    /** Settles the journals of writers that are gone and loads the recorded suspects (see the class comment). */
    void settle() {
        if (!Files.isDirectory(journals)) {
            return;
        }
        try (FileChannel channel = FileChannel.open(journals.resolve(SETTLE_LOCK), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock lock = lockSettling(channel)) {
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(journals)) {
                for (Path journal : entries) {
                    String name = journal.getFileName().toString();
                    if (Files.isDirectory(journal) && !name.startsWith(".")) {
                        settleIfOrphaned(journal, name);
                    }
                }
            }
            try (DirectoryStream<Path> files = Files.newDirectoryStream(journals, SUSPECTS + "*")) {
                for (Path file : files) {
                    for (String key : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                        if (!key.isEmpty()) {
                            suspects.put(key, file);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new BackupStorageException("cannot settle the unsynced writes of crashed writers in " + journals
                    + ": " + e + "; check the directory's permissions", e);
        }
        if (!suspects.isEmpty()) {
            log.warn("{} objects in {} may have been torn by a crash before they were synced: the next backup to need"
                    + " each writes it again", suspects.size(), journals.getParent().getParent());
        }
    }

    /** The settling lock; another provider of this JVM settling holds it briefly. */
    private static FileLock lockSettling(FileChannel channel) throws IOException {
        for (int attempt = 0; ; attempt++) {
            try {
                return channel.lock();
            } catch (OverlappingFileLockException e) {
                if (attempt > 10_000) {
                    throw new IOException("another provider of this process holds " + SETTLE_LOCK + " for over 10 s");
                }
                LockSupport.parkNanos(1_000_000);
            }
        }
    }

    private void settleIfOrphaned(Path journal, String name) throws IOException {
        try (FileChannel channel = FileChannel.open(journal.resolve(LOCK), StandardOpenOption.WRITE)) {
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                return; // a provider of this process writes it
            }
            if (lock == null) {
                return; // its writer is alive
            }
            try (lock) {
                settle(journal, !bootId.equals(UNKNOWN_BOOT) && name.startsWith(bootId + "_"));
            }
        } catch (NoSuchFileException e) {
            // Settled and removed by someone else meanwhile.
        }
    }

    private void settle(Path journal, boolean sameBoot) throws IOException {
        List<Path> entries = new ArrayList<>();
        List<Path> shards = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(journal)) {
            for (Path file : files) {
                if (Files.isDirectory(file)) {
                    shards.add(file);
                    try (DirectoryStream<Path> inShard = Files.newDirectoryStream(file)) {
                        inShard.forEach(entries::add);
                    }
                } else if (!file.getFileName().toString().equals(LOCK)) {
                    entries.add(file);
                }
            }
        }
        List<String> torn = new ArrayList<>();
        Set<Path> directories = new HashSet<>();
        for (Path entry : entries) {
            String key = decode(entry.getFileName().toString());
            Path object;
            try {
                object = key == null ? null : objectPath.apply(key);
            } catch (RuntimeException e) {
                object = null; // not a key this provider accepts: nothing to settle
            }
            if (object == null || !Files.exists(object) || !Files.isSameFile(entry, object)) {
                continue; // never linked, or replaced or deleted since: nothing of it is visible
            }
            if (sameBoot) {
                force(entry, object);
                directories.add(object.getParent());
            } else {
                torn.add(key);
            }
        }
        directories.forEach(FileSync::forceDirectory);
        if (!torn.isEmpty()) {
            Path file = journals.resolve(SUSPECTS + UUID.randomUUID());
            Path temp = journals.resolve("." + file.getFileName());
            Files.write(temp, String.join("\n", torn).getBytes(StandardCharsets.UTF_8));
            force(temp, temp);
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
            FileSync.forceDirectory(journals);
            log.warn("settled the unsynced writes of {} from before a restart: {} objects may be torn", journal, torn.size());
        }
        for (Path entry : entries) {
            TemporaryFiles.deleteQuietly(entry);
        }
        shards.forEach(TemporaryFiles::deleteQuietly);
        TemporaryFiles.deleteQuietly(journal.resolve(LOCK));
        TemporaryFiles.deleteQuietly(journal);
    }

    // ------------------------------------------------------------------ names

    /** A key as one file name: {@code %} and {@code /} escaped. */
    static String encode(String key) {
        return key.replace("%", "%25").replace("/", "%2F");
    }

    /** The key an entry name encodes, or null when the name is not an entry's. */
    static String decode(String entryName) {
        int separator = entryName.indexOf('_');
        if (separator < 1) {
            return null;
        }
        String encoded = entryName.substring(separator + 1);
        StringBuilder key = new StringBuilder(encoded.length());
        for (int i = 0; i < encoded.length(); i++) {
            char c = encoded.charAt(i);
            if (c == '%' && encoded.startsWith("%2F", i)) {
                key.append('/');
                i += 2;
            } else if (c == '%' && encoded.startsWith("%25", i)) {
                key.append('%');
                i += 2;
            } else {
                key.append(c);
            }
        }
        return key.toString();
    }

    private static String readBootId() {
        try {
            String id = Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).strip();
            return id.isEmpty() || id.contains("_") ? UNKNOWN_BOOT : id;
        } catch (IOException | RuntimeException e) {
            return UNKNOWN_BOOT; // every crashed writer's objects are then taken as possibly torn
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                log.debug("cannot close {}: {}", channel, e.toString());
            }
        }
    }
}
