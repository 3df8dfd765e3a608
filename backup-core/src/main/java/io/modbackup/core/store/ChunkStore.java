package io.modbackup.core.store;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.runtime.FileKind;
import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.fs.FileSync;
import io.modbackup.core.hash.ContentHash;
import io.modbackup.core.manifest.FileEntry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;

/**
 * Moves files between local disk and the content-addressed chunk store: a file is split into
 * fixed-size chunks, each stored once under its content hash ({@code blobs/xx/<hash>}): SHA-256, or in an
 * encrypted store a keyed hash ({@link ContentHash}); a small file is inlined in its manifest entry
 * instead. The {@link SealingProvider} underneath compresses and encrypts chunks on their way to the
 * store and back; this class sees content only.
 *
 * <p>Chunks are hashed from disk and then sent from disk, so memory per file in flight is one small
 * buffer whatever the chunk or file size. An immutable file that is one whole chunk goes through the
 * provider's {@link BackupProvider#putFile} (a kernel-side copy for the local provider), guarded by
 * its size and modification time being unchanged across the upload; any other chunk is streamed as a
 * region and re-hashed as it is sent. Either way a file that changed after it was hashed fails the
 * backup, never stores a chunk under the wrong name.
 *
 * <p>Reading and hashing run on the {@code io} executor; uploads are bounded by {@code uploads}
 * permits, which the hashing thread takes before starting an upload (that is the backpressure).
 * Restored files are synced on the {@code syncs} executor, whose threads only wait for the disk.
 */
public final class ChunkStore {
    private static final int BUFFER = 64 * 1024;
    /** Size from which a one-chunk file stored plain is restored by the provider's file path (see {@link #restore}). */
    static final long KERNEL_COPY_BYTES = 1024 * 1024;
    /**
     * Threads a process gives the fsyncs of restored files: a sync thread only waits for the disk, and
     * several in flight let it write files back together (the local provider's barrier uses as many).
     */
    public static final int SYNC_THREADS = 16;
    /** Largest pack of small files (see {@link PackWriter}): a restore reads a pack through once. */
    static final int PACK_BYTES = 1024 * 1024;
    /** Largest file packed: above it a file's own object costs little beside its bytes. */
    static final int PACK_MEMBER_BYTES = 64 * 1024;

    private final SealingProvider provider;
    private final Executor io;
    private final Executor syncs;
    private final Semaphore uploads;
    private final int inlineThreshold;

    /**
     * The chunk size is not the store's: every call names the one of the backup it writes or reads, which
     * its manifest records, so backups of any chunk size are restored by any engine.
     *
     * @param syncs where restored files are fsynced: threads that wait for the disk, apart from the {@code io}
     *     threads that hash, so that one file's write-back overlaps the copying and hashing of the next
     */
    public ChunkStore(SealingProvider provider, Executor io, Executor syncs, Semaphore uploads, int inlineThreshold) {
        this.provider = provider;
        this.io = io;
        this.syncs = syncs;
        this.uploads = uploads;
        this.inlineThreshold = inlineThreshold;
    }

    /** How the store names content (reads the store's format record the first time). */
    public ContentHash contentHash() {
        return provider.contentHash();
    }

    /**
     * Stores the first {@code size} bytes of {@code source} in chunks of {@code chunkSize} bytes (the
     * chunk size the backup's manifest records) and completes with its manifest entry once every new
     * chunk is uploaded. A chunk {@code known} holds or is sending is not sent again (the
     * entry then waits for that upload); any other is sent, after a lookup if the index says so, and
     * added to the index once stored.
     */
    public CompletableFuture<FileEntry> store(String path, FileKind kind, Path source, long size, long modifiedMillis,
                                              int chunkSize, KnownChunks known, TransferStats stats) {
        return store(path, kind, source, size, modifiedMillis, chunkSize, known, null, stats);
    }

    /**
     * {@link #store(String, FileKind, Path, long, long, int, KnownChunks, TransferStats)}, packing the file
     * with others of its task when it is small ({@link #packable}) and {@code ticket}, its place in a
     * {@link PackWriter} of this store ({@link #packWriter}), is not null. The ticket is settled either way.
     */
    public CompletableFuture<FileEntry> store(String path, FileKind kind, Path source, long size, long modifiedMillis,
                                              int chunkSize, KnownChunks known, PackWriter.Ticket ticket,
                                              TransferStats stats) {
        requireValid(chunkSize);
        boolean packed = ticket != null && packable(size, chunkSize);
        if (ticket != null && !packed) {
            ticket.skip();
        }
        return CompletableFuture.supplyAsync(() -> {
            try {
                if (size <= inlineThreshold) {
                    return CompletableFuture.completedFuture(inline(path, kind, source, size, modifiedMillis, known, stats));
                }
                return packed ? pack(path, kind, source, size, modifiedMillis, known, ticket, stats)
                        : chunked(path, kind, source, size, modifiedMillis, chunkSize, known, stats);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + source + " (" + path + ")", e);
            }
        }, io).thenCompose(entry -> entry).whenComplete((entry, error) -> {
            if (ticket != null) {
                ticket.skip(); // a file that failed before it joined its pack must not hold the pack back
            }
        });
    }

    /**
     * Whether a file of {@code size} bytes goes into a pack in a backup of {@code chunkSize} chunks: larger
     * than the inline threshold, at most {@link #PACK_MEMBER_BYTES} and half a pack (a pack is at most a chunk).
     */
    boolean packable(long size, int chunkSize) {
        return size > inlineThreshold && size <= Math.min(PACK_MEMBER_BYTES, packBytes(chunkSize) / 2);
    }

    private static int packBytes(int chunkSize) {
        return Math.min(PACK_BYTES, chunkSize);
    }

    /**
     * A writer of packs for one task's backup of {@code chunkSize} chunks, which sends a pack every
     * {@code flushMembers} files (see {@link PackWriter}); packs are named, deduplicated and counted as
     * chunks, through {@code known} and {@code stats}.
     */
    public PackWriter packWriter(int chunkSize, int flushMembers, KnownChunks known, TransferStats stats) {
        requireValid(chunkSize);
        return new PackWriter(bytes -> storePack(bytes, known, stats), flushMembers, packBytes(chunkSize));
    }

    /** Names a pack by its content and stores it unless this backup has it; completes with its name. */
    private CompletableFuture<String> storePack(byte[] bytes, KnownChunks known, TransferStats stats) {
        return CompletableFuture.supplyAsync(() -> provider.contentHash().of(bytes), io).thenCompose(sha -> {
            CompletableFuture<Void> mine = new CompletableFuture<>();
            CompletableFuture<Void> other = known.claim(sha, mine);
            if (other != null) {
                stats.reused(1);
                return other.thenApply(v -> sha);
            }
            uploads.acquireUninterruptibly(); // on an I/O thread, as for any chunk: the backpressure
            provider.store(StoreLayout.chunkKey(sha), new java.io.ByteArrayInputStream(bytes), bytes.length)
                    .whenComplete((sent, error) -> {
                        uploads.release();
                        if (error != null) {
                            known.failed(sha, mine, error);
                            return;
                        }
                        if (sent == SealingProvider.EXISTED) {
                            stats.reused(1);
                        } else {
                            stats.uploaded();
                            stats.sent(sent);
                        }
                        known.sent(sha, mine);
                    });
            return mine.thenApply(v -> sha);
        });
    }

    /**
     * A small file: read once, and then the entry of the backup built on when its content is unchanged (a
     * packed one keeps its slice), a chunk the index holds, or a place in the task's open pack.
     */
    private CompletableFuture<FileEntry> pack(String path, FileKind kind, Path source, long size, long modifiedMillis,
                                              KnownChunks known, PackWriter.Ticket ticket, TransferStats stats)
            throws IOException {
        byte[] data = readCaptured(source, size);
        stats.read(size);
        String sha = provider.contentHash().of(data);
        FileEntry before = known.previousPackedWith(sha);
        if (before != null) {
            ticket.skip();
            stats.reused(1);
            return CompletableFuture.completedFuture(new FileEntry(path, kind, size, modifiedMillis, sha, before.chunks(),
                    null, before.pack()));
        }
        if (known.holds(sha)) {
            ticket.skip();
            stats.reused(1);
            return CompletableFuture.completedFuture(new FileEntry(path, kind, size, modifiedMillis, sha, List.of(sha), null));
        }
        stats.added(size);
        return ticket.join(data).thenApply(placed -> new FileEntry(path, kind, size, modifiedMillis, sha,
                List.of(placed.pack()), null, placed.slice()));
    }

    /** The first {@code size} bytes of {@code source}, its captured length (an append-only file may have grown). */
    private static byte[] readCaptured(Path source, long size) throws IOException {
        byte[] data = new byte[(int) size];
        try (InputStream in = Files.newInputStream(source)) {
            int n = in.readNBytes(data, 0, data.length);
            if (n != size) {
                throw new IOException(source + " has " + n + " bytes, fewer than its captured size " + size);
            }
        }
        return data;
    }

    private FileEntry inline(String path, FileKind kind, Path source, long size, long modifiedMillis, KnownChunks known,
                             TransferStats stats) throws IOException {
        byte[] data = readCaptured(source, size);
        stats.read(size);
        String contentHash = provider.contentHash().of(data);
        if (!known.previousContentIs(contentHash)) {
            // Sent inside the task manifest, which counts its own bytes sent.
            stats.added(size);
        }
        return new FileEntry(path, kind, size, modifiedMillis, contentHash, List.of(), Base64.getEncoder().encodeToString(data));
    }

    private CompletableFuture<FileEntry> chunked(String path, FileKind kind, Path source, long size, long modifiedMillis,
                                                 int chunkSize, KnownChunks known, TransferStats stats) throws IOException {
        // A file of one chunk (most of them) hashes to its chunk's hash: one digest pass, not two.
        ContentHash hash = provider.contentHash();
        ContentHash.Hasher whole = size > chunkSize ? hash.start() : null;
        List<String> chunks = new ArrayList<>();
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        // No larger than the file: allocating (and clearing) 64 KiB for each 16 KiB file showed in profiles.
        ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(BUFFER, Math.max(1, size)));
        // The file's first bytes, kept from this pass for the compression probe of a file sent whole.
        byte[] sample = null;
        try (FileChannel channel = FileChannel.open(source, StandardOpenOption.READ)) {
            for (long start = 0; start < size; start += chunkSize) {
                long length = Math.min(chunkSize, size - start);
                ContentHash.Hasher chunkDigest = hash.start();
                long position = start;
                long end = start + length;
                while (position < end) {
                    buffer.clear().limit((int) Math.min(BUFFER, end - position));
                    int n = channel.read(buffer, position);
                    if (n < 0) {
                        throw new IOException(source + " ends at byte " + position + ", before its captured size " + size);
                    }
                    buffer.flip();
                    if (position == 0) {
                        sample = new byte[Math.min(n, SealingProvider.SAMPLE_BYTES)];
                        buffer.get(0, sample);
                    }
                    if (whole != null) {
                        whole.update(buffer.duplicate());
                    }
                    chunkDigest.update(buffer);
                    position += n;
                }
                stats.read(length);
                String sha = chunkDigest.hex();
                chunks.add(sha);
                CompletableFuture<Void> mine = new CompletableFuture<>();
                CompletableFuture<Void> other = known.claim(sha, mine);
                if (other == null) {
                    // Append-only files may grow under the cut: they are sent as a region of the captured length.
                    boolean wholeFile = start == 0 && length == size && kind == FileKind.IMMUTABLE;
                    upload(sha, source, start, length, wholeFile ? sample : null, known.probeOthers(), hash, stats)
                            .whenComplete((v, error) -> {
                        if (error == null) {
                            known.sent(sha, mine);
                        } else {
                            known.failed(sha, mine, error);
                        }
                    });
                    pending.add(mine);
                } else {
                    stats.reused(1);
                    if (!other.isDone() || other.isCompletedExceptionally()) {
                        pending.add(other);
                    }
                }
            }
        }
        FileEntry entry = new FileEntry(path, kind, size, modifiedMillis, whole != null ? whole.hex() : chunks.get(0),
                chunks, null);
        return CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).thenApply(v -> entry);
    }

    /**
     * Uploads one chunk, unless {@code probe} and the store has it; verifies the bytes sent hash to
     * {@code sha}.
     */
    private CompletableFuture<Void> upload(String sha, Path source, long start, long length, byte[] wholeFileSample,
                                           boolean probe, ContentHash hash, TransferStats stats) {
        String key = StoreLayout.chunkKey(sha);
        uploads.acquireUninterruptibly();
        CompletableFuture<Boolean> present = probe ? provider.hasKey(key) : CompletableFuture.completedFuture(false);
        CompletableFuture<Void> done = present.thenCompose(exists -> {
            if (exists) {
                stats.reused(1);
                return CompletableFuture.completedFuture(null);
            }
            CompletableFuture<Long> put = wholeFileSample != null ? putWholeFile(key, sha, source, length, hash, wholeFileSample)
                    : putRegion(key, sha, source, start, length, hash);
            return put.thenAccept(sent -> {
                if (sent == SealingProvider.EXISTED) {
                    stats.reused(1); // another backup stored it since: the create left it as it was
                    return;
                }
                stats.uploaded();
                stats.added(length);
                stats.sent(sent);
            });
        });
        return done.whenComplete((v, error) -> uploads.release());
    }

    /**
     * Sends an immutable file that is exactly one chunk with {@link BackupProvider#putFile}. The file
     * must keep its size and modification time across the upload; one whose size already differs
     * from the captured size is sent as a region of the captured length instead.
     */
    private CompletableFuture<Long> putWholeFile(String key, String sha, Path source, long length, ContentHash hash,
                                                 byte[] sample) {
        final FileStamp before;
        try {
            before = FileStamp.of(source);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(new UncheckedIOException("cannot read " + source, e));
        }
        if (before.size() != length) {
            return putRegion(key, sha, source, 0, length, hash);
        }
        return provider.storeFile(key, source, sample).thenApply(sent -> {
            if (sent == SealingProvider.EXISTED) {
                return sent; // stored before under its hash: what this file holds now does not matter
            }
            FileStamp after;
            try {
                after = FileStamp.of(source);
            } catch (IOException e) {
                after = null;
            }
            if (!before.equals(after)) {
                provider.deleteObject(key);
                throw new IllegalStateException(source + " changed while it was being backed up (" + before + " before, "
                        + after + " after)");
            }
            return sent;
        });
    }

    /** A file's size and modification time. */
    private record FileStamp(long size, long modifiedNanos) {
        static FileStamp of(Path file) throws IOException {
            var attributes = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class);
            return new FileStamp(attributes.size(), attributes.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS));
        }
    }

    private CompletableFuture<Long> putRegion(String key, String sha, Path source, long start, long length,
                                              ContentHash hash) {
        final FileChannel channel;
        try {
            channel = FileChannel.open(source, StandardOpenOption.READ);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(new UncheckedIOException("cannot read " + source, e));
        }
        RegionInputStream in = new RegionInputStream(channel, start, length, hash);
        return provider.store(key, in, length).whenComplete((v, e) -> closeQuietly(channel)).thenApply(sent -> {
            if (sent == SealingProvider.EXISTED) {
                return sent;
            }
            String sentHash = in.hex();
            if (!sentHash.equals(sha)) {
                provider.deleteObject(key);
                throw new IllegalStateException(source + " changed while it was being backed up (chunk at byte " + start
                        + " hashed to " + sha + " but " + sentHash + " was sent)");
            }
            return sent;
        });
    }

    /**
     * Writes the file described by {@code entry} to {@code target}, verifying every chunk's hash, the
     * size and the whole file's hash. {@code chunkSize} is the chunk size of the backup that lists
     * {@code entry} (its manifest's), never this engine's setting: it says how long each chunk is. {@code what} names the file in errors. The target's directory must
     * exist: a restore whose staging was removed under it fails instead of creating it again. The file is
     * not synced: see {@link #restoreDurably} and {@link #syncRestored}.
     *
     * @return completes exceptionally with {@link CorruptBackupException} when a chunk is missing or
     *     does not match
     */
    public CompletableFuture<Void> restore(FileEntry entry, int chunkSize, Path target, String what) {
        requireValid(chunkSize);
        if (entry.inline() != null) {
            return CompletableFuture.runAsync(() -> {
                byte[] data = Base64.getDecoder().decode(entry.inline());
                if (!provider.contentHash().of(data).equals(entry.sha256())) {
                    throw new CorruptBackupException(what + ": inlined content does not match its SHA-256");
                }
                writeWhole(target, data);
            }, io);
        }
        if (entry.pack() != null) {
            return restorePacked(List.of(entry), List.of(target), file -> what, false).written();
        }
        if (entry.chunks().size() == 1 && entry.size() >= KERNEL_COPY_BYTES) {
            // A large chunk stored plain takes the provider's file path (a kernel-side copy for the local
            // provider, which leaves the I/O threads free while the disk writes) and is read back to hash it.
            return provider.storedPlain(StoreLayout.chunkKey(entry.chunks().get(0)), entry.size())
                    .thenCompose(plain -> plain ? restoreWholeFile(entry, target, what) : download(entry, chunkSize, target, what));
        }
        // Any other file, plain or sealed: read once from the store and written once, hashed as it is
        // written (for a small file a kernel-side copy and a read back cost more calls than the bytes).
        return download(entry, chunkSize, target, what);
    }

    /**
     * {@link #restore} and then an fsync of {@code target} on the sync threads, requested once the file was
     * written whole and verified. The I/O thread goes on to the next file meanwhile, so the disk writes one
     * file back while the next ones are copied and hashed: syncing a batch only after all of it was written
     * left the disk idle during the hashing and the processor idle during the syncs (staging 764 MB in 307
     * files took 0.93 s that way, 0.58 s this way; 12,201 files of 16 KiB were no slower). The
     * file's directory is not synced: {@link #syncRestored} does that once a batch's files exist.
     *
     * @return the file {@link Restoring#written} (verified), then {@link Restoring#durable}
     */
    public Restoring restoreDurably(FileEntry entry, int chunkSize, Path target, String what) {
        CompletableFuture<Void> written = restore(entry, chunkSize, target, what);
        return new Restoring(written, written.thenRunAsync(() -> FileSync.force(target), syncs));
    }

    /**
     * Restores packed files that share one pack ({@code entries}, each {@link FileEntry#pack()} naming the same
     * chunk) to their {@code targets}, reading the pack once (as far as its last slice, held whole: a pack is
     * at most a chunk) and writing its files side by side on the I/O threads, each verified by its hash before
     * it is written and fsynced on the sync threads once written whole. {@code what} names a file in errors.
     *
     * @return the files {@link Restoring#written} and then {@link Restoring#durable}; both complete
     *     exceptionally with {@link CorruptBackupException} when the pack is missing or a file's bytes in it do
     *     not match
     */
    public Restoring restorePackDurably(List<FileEntry> entries, List<Path> targets,
                                       java.util.function.Function<FileEntry, String> what) {
        return restorePacked(entries, targets, what, true);
    }

    /** {@link #restorePackDurably} without the fsyncs: for files read back only to be stored elsewhere. */
    public CompletableFuture<Void> restorePack(List<FileEntry> entries, List<Path> targets,
                                               java.util.function.Function<FileEntry, String> what) {
        return restorePacked(entries, targets, what, false).written();
    }

    private Restoring restorePacked(List<FileEntry> entries, List<Path> targets,
                                    java.util.function.Function<FileEntry, String> what, boolean durably) {
        String pack = entries.get(0).chunks().get(0);
        long end = 0;
        for (FileEntry entry : entries) {
            if (entry.pack() == null || !entry.chunks().get(0).equals(pack)) {
                throw new IllegalArgumentException("file " + entry.path() + " is not in pack " + pack);
            }
            end = Math.max(end, entry.pack().offset() + entry.size());
        }
        // The manifest's validation bounds every slice by the pack's size and the pack by the chunk size.
        int length = Math.toIntExact(end);
        // The pack is read once, as far as its last slice, in one request; its files are then verified and
        // written on the I/O threads side by side, as a task's unpacked files are, so that a task with few
        // packs left (the end of a restore) still spreads their hashing over the I/O threads.
        CompletableFuture<byte[]> packRead = provider.getObject(StoreLayout.chunkKey(pack)).thenApplyAsync(in -> {
            if (in == null) {
                throw new CorruptBackupException(what.apply(entries.get(0)) + ": its pack " + pack + " is missing from the store");
            }
            byte[] bytes = new byte[length];
            try (InputStream stream = in) {
                int read = stream.readNBytes(bytes, 0, length);
                if (read < length) {
                    throw new CorruptBackupException(what.apply(entries.get(0)) + ": pack " + pack + " is corrupt in the store:"
                            + " it holds " + read + " bytes, fewer than the " + length + " its files' slices need");
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read pack " + pack + " for " + what.apply(entries.get(0)), e);
            }
            return bytes;
        }, io);
        // Each file's fsync is requested as soon as that file is written, not once the whole pack is.
        CompletableFuture<CompletableFuture<?>[][]> started = packRead.thenApply(bytes -> {
            CompletableFuture<?>[] written = new CompletableFuture<?>[entries.size()];
            CompletableFuture<?>[] synced = new CompletableFuture<?>[entries.size()];
            for (int i = 0; i < written.length; i++) {
                FileEntry entry = entries.get(i);
                Path target = targets.get(i);
                CompletableFuture<Void> file = CompletableFuture.runAsync(() -> writeSlice(bytes, entry, target, pack, what), io);
                written[i] = file;
                synced[i] = durably ? file.thenRunAsync(() -> FileSync.force(target), syncs) : file;
            }
            return new CompletableFuture<?>[][] {written, synced};
        });
        return new Restoring(started.thenCompose(files -> CompletableFuture.allOf(files[0])),
                started.thenCompose(files -> CompletableFuture.allOf(files[1])));
    }

    /** Writes {@code entry}'s slice of a pack's {@code bytes} to {@code target} once its size and hash match. */
    private void writeSlice(byte[] bytes, FileEntry entry, Path target, String pack,
                            java.util.function.Function<FileEntry, String> what) {
        int offset = Math.toIntExact(entry.pack().offset());
        int size = Math.toIntExact(entry.size());
        String actual = provider.contentHash().of(bytes, offset, size);
        if (!actual.equals(entry.sha256())) {
            throw new CorruptBackupException(what.apply(entry) + ": its slice of pack " + pack + " is corrupt in the store ("
                    + size + " bytes hashing to " + actual + ", expected " + entry.size() + " bytes hashing to "
                    + entry.sha256() + ")");
        }
        writeWhole(target, ByteBuffer.wrap(bytes, offset, size));
    }

    private static void writeWhole(Path target, byte[] data) {
        writeWhole(target, ByteBuffer.wrap(data));
    }

    private static void writeWhole(Path target, ByteBuffer buffer) {
        try (FileChannel channel = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target, e);
        }
    }

    /**
     * Makes restored {@code files} and their {@code directories} durable, their fsyncs spread over this
     * store's sync threads after all were written (one fsync inline after each write made restores wait
     * on each).
     */
    public CompletableFuture<Void> syncRestored(java.util.Collection<Path> files, java.util.Collection<Path> directories,
                                                int parallelism) {
        return FileSync.sync(files, directories, syncs, parallelism);
    }

    /**
     * Restores a file that is one chunk stored plain with {@link BackupProvider#getFile}, then reads it back
     * to verify its size and hash before anyone may use it. Not synced: see {@link #syncRestored}.
     */
    private CompletableFuture<Void> restoreWholeFile(FileEntry entry, Path target, String what) {
        String sha = entry.chunks().get(0);
        return provider.getFile(StoreLayout.chunkKey(sha), target).thenAcceptAsync(found -> {
            if (!found) {
                throw new CorruptBackupException(what + ": chunk 0 (" + sha + ") is missing from the store");
            }
            ContentHash.Hasher digest = provider.contentHash().start();
            long size;
            try (FileChannel channel = FileChannel.open(target, StandardOpenOption.READ)) {
                size = channel.size();
                ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
                for (long position = 0; channel.read(buffer.clear(), position) > 0; position += buffer.position()) {
                    digest.update(buffer.flip());
                }
            } catch (IOException e) {
                throw new UncheckedIOException(what + ": cannot verify " + target, e);
            }
            String actual = digest.hex();
            if (size != entry.size() || !actual.equals(sha) || !sha.equals(entry.sha256())) {
                throw new CorruptBackupException(what + ": chunk 0 (" + sha + ") is corrupt in the store (" + size
                        + " bytes hashing to " + actual + ", expected " + entry.size() + " bytes hashing to "
                        + entry.sha256() + ")");
            }
        }, io);
    }

    /** Downloads {@code entry} chunk by chunk through streams, verifying each and the whole, in one write. */
    private CompletableFuture<Void> download(FileEntry entry, int chunkSize, Path target, String what) {
        ChunkDownload download = new ChunkDownload(entry, chunkSize, target, what, provider.contentHash());
        CompletableFuture<Void> chain = CompletableFuture.runAsync(download::open, io);
        for (int i = 0; i < entry.chunks().size(); i++) {
            int index = i;
            String sha = entry.chunks().get(i);
            chain = chain.thenCompose(v -> provider.getObject(StoreLayout.chunkKey(sha)))
                    .thenAcceptAsync(in -> download.append(index, sha, in), io);
        }
        return chain.whenComplete((v, error) -> download.closeQuietly()).thenRun(download::finish);
    }

    /**
     * Checks one chunk: present with {@code expectedSize} bytes of content (one metadata request, and a
     * read of its header when it is stored compressed) and, when {@code deep}, its content hashes to its
     * name (a download, which also authenticates an encrypted chunk). Completes with a description of
     * the problem naming the expected and the stored size and hash, or {@code null} when it is fine.
     */
    public CompletableFuture<String> check(String sha, long expectedSize, boolean deep) {
        String key = StoreLayout.chunkKey(sha);
        if (!deep) {
            return provider.checkStoredSize(key, expectedSize).thenApply(problem -> problem == null ? null
                    : "chunk " + sha + " " + problem);
        }
        return provider.getObject(key).thenApplyAsync(in -> {
            if (in == null) {
                return "chunk " + sha + " is missing";
            }
            ContentHash.Hasher digest = provider.contentHash().start();
            long size = 0;
            byte[] buffer = new byte[BUFFER];
            try (InputStream stream = in) {
                for (int n; (n = stream.read(buffer)) >= 0; size += n) {
                    digest.update(buffer, 0, n);
                }
            } catch (IOException e) {
                return "chunk " + sha + " cannot be read: " + e.getMessage();
            } catch (CorruptBackupException e) {
                return "chunk " + e.getMessage();
            }
            String actual = digest.hex();
            return actual.equals(sha) && size == expectedSize ? null : "chunk " + sha + " is corrupt: the store holds " + size
                    + " bytes hashing to " + actual + ", expected " + expectedSize + " bytes hashing to " + sha;
        }, io);
    }

    private static void requireValid(int chunkSize) {
        if (chunkSize <= 0) {
            throw new IllegalArgumentException("chunk size must be positive, got " + chunkSize);
        }
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // the upload's outcome is already decided
        }
    }
}
