package io.modbackup.core.store;

import io.modbackup.api.crypto.MasterKeyProvider;
import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.provider.ForwardingBackupProvider;
import io.modbackup.core.async.Futures;
import io.modbackup.core.error.BackupException;
import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.hash.ContentHash;
import io.modbackup.core.seal.Compression;
import io.modbackup.core.seal.Envelope;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;

/**
 * The store as the engine writes and reads it: compresses and, in an encrypted store, encrypts every
 * chunk and manifest on the way out ({@link Envelope}), and opens them on the way in, so that the
 * rest of the engine sees content only. Everything else (the owner and format records, the index,
 * leases, GC's state) passes through unchanged: it holds names and times, never content.
 *
 * <p>The store's format record ({@code format.json}) decides how it is sealed: {@link StoreKeys} reads
 * it once, when first needed, and unwraps an encrypted store's data key; a missing or wrong key, or a
 * key for a store that is not encrypted, fails there with a {@link BackupException}, before anything
 * is read or written. No {@link BackupProvider} method here blocks its caller on that first read: each
 * composes its work on the record's future.
 *
 * <p>An unencrypted store holds chunks in two forms: sealed (compressed) and as plain bytes, as
 * format 1 wrote every chunk. Plain chunks go through {@link BackupProvider#putFile}/{@code getFile}
 * and as streams, as before; a chunk is tried for compression on a 16 KiB sample first, so that
 * incompressible data costs one small attempt. A sealed chunk is held in memory while it is sent
 * and while it is opened: twice its size (content and stored form), within a budget for writes and
 * one for reads of an eighth of the heap each, between 16 and 64 MiB (a chunk larger than the budget
 * goes alone).
 *
 * <p>Thread-safe. Opening a sealed object happens on the thread that reads the stream
 * {@link #getObject} returns, as reading a plain one does; a failure to open it is thrown from that
 * read as a {@link CorruptBackupException}.
 */
public final class SealingProvider extends ForwardingBackupProvider {
    private static final int SAMPLE = 16 * 1024;
    /** How many of a file's first bytes decide whether it is worth compressing (see {@link #storeFile(String, Path, byte[])}). */
    public static final int SAMPLE_BYTES = SAMPLE;
    /** What {@link #store} and {@link #storeFile} complete with when the object was stored already. */
    public static final long EXISTED = -1;

    private final Compression compression;
    private final StoreKeys keys;
    private final Executor executor;
    /** Bytes of sealed objects held in memory at once while sending, and while opening: see the class comment. */
    private final int budget = (int) Math.max(16L << 20, Math.min(64L << 20, Runtime.getRuntime().maxMemory() / 8));
    private final Semaphore inFlight = new Semaphore(budget);
    private final Semaphore opening = new Semaphore(budget);

    /**
     * A sealing view of {@code delegate}: new objects compressed with {@code compression}, and the
     * store encrypted under {@code masterKey} (null for none). {@code executor} runs file work after a
     * {@link #getFile} completes.
     */
    public SealingProvider(BackupProvider delegate, Compression compression, MasterKeyProvider masterKey,
                           Executor executor) {
        this(delegate, compression, masterKey, executor, Clock.systemUTC());
    }

    /** As the four-argument constructor, on {@code clock} (for the times in the format record). */
    public SealingProvider(BackupProvider delegate, Compression compression, MasterKeyProvider masterKey,
                           Executor executor, Clock clock) {
        super(delegate);
        this.compression = compression;
        this.keys = new StoreKeys(delegate, compression, masterKey, clock);
        this.executor = executor;
    }

    /**
     * A keyless sealing layer over {@code provider}, for tools and tests that read a store: it reads every
     * format, writes uncompressed and fails on an encrypted store.
     */
    public static SealingProvider reader(BackupProvider provider, Executor executor) {
        return new SealingProvider(provider, Compression.NONE, null, executor);
    }

    /** Whether objects under {@code key} are sealed: chunks, file-list segments and manifests. */
    public static boolean isSealed(String key) {
        return key.startsWith(StoreLayout.BLOBS) || key.startsWith(StoreLayout.SEGMENTS)
                || key.startsWith(StoreLayout.BACKUPS);
    }

    /**
     * How the store names content: keyed in an encrypted store. Waits for the format record the first
     * time: call it from an I/O thread (as {@link ChunkStore} does), never from a provider's.
     */
    public ContentHash contentHash() {
        return resolve().hash();
    }

    /** Whether the store is encrypted. Reads the format record the first time. */
    public boolean encrypted() {
        return resolve().envelope().encrypts();
    }

    /** The compression new objects get. */
    public Compression compression() {
        return compression;
    }

    // ------------------------------------------------------------------ the format record

    /** The store's format record and data keys, which decide how objects are sealed. */
    public StoreKeys keys() {
        return keys;
    }

    /**
     * Runs {@code step} once the store's sealing is known: at once when it is, else on the executor (never
     * on a provider's thread, which may be an event loop).
     */
    private <T> CompletableFuture<T> sealed(java.util.function.Function<StoreKeys.Sealing, CompletableFuture<T>> step) {
        CompletableFuture<StoreKeys.Sealing> sealing = keys.sealing();
        if (sealing.isDone() && !sealing.isCompletedExceptionally()) {
            try {
                return step.apply(sealing.join());
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        return sealing.thenComposeAsync(step, executor);
    }

    /** The store's sealing, waiting for the format record the first time. For callers on I/O threads. */
    private StoreKeys.Sealing resolve() {
        return Futures.await(keys.sealing(), "read " + StoreLayout.FORMAT_KEY);
    }

    private static StoreKeys.Sealing requireWritable(StoreKeys.Sealing s) {
        if (!s.writable()) {
            throw new IllegalStateException("the encrypted backup store has no " + StoreLayout.FORMAT_KEY + " yet: a"
                    + " backup or GC creates it when it claims the store, before anything is written");
        }
        return s;
    }

    // ------------------------------------------------------------------ writing

    /** Replaces any object under {@code key} (the mutable records: module manifest commits, index entries). */
    @Override
    public CompletableFuture<Void> putObject(String key, InputStream in, long length) {
        return write(key, in, length, Mode.PUT).thenApply(sent -> null);
    }

    /** Sealed as {@link #putObject}, stored only where no object is (see {@link BackupProvider#createObject}). */
    @Override
    public CompletableFuture<Boolean> createObject(String key, InputStream in, long length) {
        return write(key, in, length, Mode.CREATE).thenApply(sent -> sent != EXISTED);
    }

    @Override
    public CompletableFuture<Boolean> createFile(String key, Path source) {
        return writeFile(key, source, Mode.CREATE, null).thenApply(sent -> sent != EXISTED);
    }

    @Override
    public CompletableFuture<Boolean> createObject(String key, InputStream in, long length, Durability durability) {
        return write(key, in, length, Mode.of(durability)).thenApply(sent -> sent != EXISTED);
    }

    @Override
    public CompletableFuture<Boolean> createFile(String key, Path source, Durability durability) {
        return writeFile(key, source, Mode.of(durability), null).thenApply(sent -> sent != EXISTED);
    }

    /** How an object is written: replacing, or created with the durability {@link BackupProvider.Durability} names. */
    private enum Mode {
        PUT, CREATE, CREATE_AT_BARRIER;

        static Mode of(Durability durability) {
            return durability == Durability.AT_BARRIER ? CREATE_AT_BARRIER : CREATE;
        }
    }

    /**
     * Stores an immutable object (a chunk, a segment, a task manifest) unless one is under its key, and
     * completes with the bytes sent to the store: the object's stored size after compression and
     * encryption, or {@link #EXISTED} when one was there already (then {@code in} may be left unread).
     * This is what a backup counts as sent. A content-addressed object found stored holds these bytes;
     * other callers compare (see {@link #storeOnce}). Durable only by the next {@link #barrier()}: whoever
     * refers to the object (a task manifest, a commit) calls it first.
     */
    public CompletableFuture<Long> store(String key, InputStream in, long length) {
        return write(key, in, length, Mode.CREATE_AT_BARRIER);
    }

    /** As {@link #store}, from a file. */
    public CompletableFuture<Long> storeFile(String key, Path source) {
        return writeFile(key, source, Mode.CREATE_AT_BARRIER, null);
    }

    /**
     * As {@link #storeFile(String, Path)}, with the file's first {@link #SAMPLE_BYTES} bytes (all of a smaller
     * file) that the caller read already: the compression probe takes them instead of opening the file again.
     */
    public CompletableFuture<Long> storeFile(String key, Path source, byte[] start) {
        return writeFile(key, source, Mode.CREATE_AT_BARRIER, start);
    }

    /**
     * As {@link #store} for an object that is not content-addressed (a task manifest), completing with the
     * bytes sent (0 when it was stored already): when one is stored
     * under {@code key} already, it must hold {@code content} (a retry's earlier write), or this fails with
     * a {@link CorruptBackupException}: the key was written by someone else, and taking it as ours would
     * commit their bytes.
     */
    public CompletableFuture<Long> storeOnce(String key, byte[] content, Durability durability) {
        return write(key, new ByteArrayInputStream(content), content.length, Mode.of(durability)).thenCompose(sent -> sent != EXISTED
                ? CompletableFuture.completedFuture(sent)
                : sameContent(key, content).thenApply(same -> 0L));
    }

    /** Completes when the object under {@code key} holds {@code content} once opened; fails otherwise. */
    CompletableFuture<Void> sameContent(String key, byte[] content) {
        return getObject(key).thenApply(in -> {
            byte[] stored;
            try (InputStream opened = in) {
                stored = opened == null ? null : BoundedRead.readAll(opened, content.length + 1, key);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + key + " back", e);
            }
            if (stored == null || !Arrays.equals(stored, content)) {
                throw new CorruptBackupException(key + " was already in the store with other content than this backup"
                        + " wrote: another writer used the key; the backup is not committed");
            }
            return null;
        });
    }

    /** The bytes sent, or {@link #EXISTED} when {@code create} found an object under {@code key}. */
    private CompletableFuture<Long> write(String key, InputStream in, long length, Mode mode) {
        if (!isSealed(key)) {
            return send(key, in, length, mode).thenApply(created -> created ? length : EXISTED);
        }
        return sealed(s -> write(s, key, in, length, mode));
    }

    private CompletableFuture<Boolean> send(String key, InputStream in, long length, Mode mode) {
        return switch (mode) {
            case PUT -> delegate().putObject(key, in, length).thenApply(v -> true);
            case CREATE -> delegate().createObject(key, in, length);
            case CREATE_AT_BARRIER -> delegate().createObject(key, in, length, Durability.AT_BARRIER);
        };
    }

    private CompletableFuture<Long> write(StoreKeys.Sealing sealing, String key, InputStream in, long length, Mode mode) {
        int permits = 0;
        try {
            StoreKeys.Sealing s = requireWritable(sealing);
            boolean chunk = key.startsWith(StoreLayout.BLOBS);
            boolean compressible = !chunk;
            if (chunk && in.markSupported()) {
                in.mark(SAMPLE);
                byte[] sample = in.readNBytes((int) Math.min(SAMPLE, length));
                in.reset();
                compressible = s.envelope().worthCompressing(sample, sample.length);
                if (staysPlain(s, sample, compressible)) {
                    return send(key, in, length, mode).thenApply(created -> created ? length : EXISTED);
                }
            }
            if (length > Integer.MAX_VALUE - 1024) {
                throw new IllegalArgumentException(key + " is " + length + " bytes, more than a sealed object may hold");
            }
            permits = budgetFor(length);
            inFlight.acquireUninterruptibly(permits);
            byte[] content = in.readNBytes((int) length);
            if (content.length != length) {
                throw new IOException("the content of " + key + " ended after " + content.length + " of " + length + " bytes");
            }
            if (chunk && !compressible && !in.markSupported()) {
                compressible = s.envelope().worthCompressing(content, (int) Math.min(SAMPLE, length));
            }
            return sendSealed(key, s.envelope().seal(key, content, 0, content.length, compressible), permits, mode);
        } catch (IOException | RuntimeException e) {
            inFlight.release(permits);
            return CompletableFuture.failedFuture(e instanceof IOException io ? new UncheckedIOException(io) : e);
        }
    }

    @Override
    public CompletableFuture<Void> putFile(String key, Path source) {
        if (!isSealed(key)) {
            return delegate().putFile(key, source);
        }
        return writeFile(key, source, Mode.PUT, null).thenApply(sent -> null);
    }

    private CompletableFuture<Long> writeFile(String key, Path source, Mode mode, byte[] start) {
        if (!isSealed(key)) {
            return sendPlainFile(key, source, mode);
        }
        return sealed(s -> writeFile(s, key, source, mode, start));
    }

    /** Sends {@code source} as it is; the bytes sent are its size when the upload began. */
    private CompletableFuture<Long> sendPlainFile(String key, Path source, Mode mode) {
        long size;
        try {
            size = Files.size(source);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(new UncheckedIOException("cannot read " + source, e));
        }
        CompletableFuture<Boolean> sent = switch (mode) {
            case PUT -> delegate().putFile(key, source).thenApply(v -> true);
            case CREATE -> delegate().createFile(key, source);
            case CREATE_AT_BARRIER -> delegate().createFile(key, source, Durability.AT_BARRIER);
        };
        return sent.thenApply(created -> created ? size : EXISTED);
    }

    private CompletableFuture<Long> writeFile(StoreKeys.Sealing sealing, String key, Path source, Mode mode, byte[] start) {
        int permits = 0;
        try {
            StoreKeys.Sealing s = requireWritable(sealing);
            byte[] sample = start != null ? start : readStart(source, SAMPLE);
            boolean compressible = s.envelope().worthCompressing(sample, sample.length);
            if (staysPlain(s, sample, compressible)) {
                return sendPlainFile(key, source, mode);
            }
            long size = Files.size(source);
            if (size > Integer.MAX_VALUE - 1024) {
                throw new IllegalArgumentException(source + " is " + size + " bytes, more than a sealed object may hold");
            }
            permits = budgetFor(size);
            inFlight.acquireUninterruptibly(permits);
            byte[] content = Files.readAllBytes(source);
            return sendSealed(key, s.envelope().seal(key, content, 0, content.length, compressible), permits, mode);
        } catch (IOException | RuntimeException e) {
            inFlight.release(permits);
            return CompletableFuture.failedFuture(e instanceof IOException io
                    ? new UncheckedIOException("cannot read " + source, io) : e);
        }
    }

    /**
     * Whether a chunk that begins with {@code sample} is stored as its plain bytes, through the provider's
     * own path: in an unencrypted store, when it is not worth compressing and cannot be taken for a
     * sealed object.
     */
    private static boolean staysPlain(StoreKeys.Sealing s, byte[] sample, boolean compressible) {
        return !s.envelope().encrypts() && !compressible && !Envelope.startsWithMagic(sample, 0, sample.length);
    }

    /** Budget held for an object of {@code size} bytes: its content and its stored form, at most the whole budget. */
    private int budgetFor(long size) {
        return (int) Math.min(budget, 2 * size);
    }

    static CorruptBackupException plainInEncryptedStore(String key) {
        return new CorruptBackupException(key + " is not encrypted, but the store is: it was replaced or damaged");
    }

    private CompletableFuture<Long> sendSealed(String key, byte[] stored, int permits, Mode mode) {
        CompletableFuture<Boolean> put;
        try {
            put = send(key, new ByteArrayInputStream(stored), stored.length, mode);
        } catch (RuntimeException e) {
            put = CompletableFuture.failedFuture(e);
        }
        long sent = stored.length;
        return put.whenComplete((v, e) -> inFlight.release(permits)).thenApply(created -> created ? sent : EXISTED);
    }

    private static byte[] readStart(Path file, int count) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(count);
        }
    }

    // ------------------------------------------------------------------ reading

    @Override
    public CompletableFuture<InputStream> getObject(String key) {
        if (!isSealed(key)) {
            return delegate().getObject(key);
        }
        return sealed(s -> delegate().getObject(key).thenApply(in -> in == null ? null : new OpeningStream(key, in, s, opening, this::budgetFor)));
    }

    /**
     * Whether the object under {@code key} holds exactly {@code plainSize} bytes stored plain, so that
     * {@link #getFile} takes the provider's own path and leaves the bytes as they are: false in an
     * encrypted store, for a sealed object (a plain one that begins like a sealed object is framed, so
     * its size differs), or when it is missing. One metadata request.
     */
    public CompletableFuture<Boolean> storedPlain(String key, long plainSize) {
        return sealed(s -> s.envelope().encrypts() ? CompletableFuture.completedFuture(false)
                : delegate().objectSize(key).thenApply(size -> size == plainSize));
    }

    @Override
    public CompletableFuture<Boolean> getFile(String key, Path target) {
        if (!isSealed(key)) {
            return delegate().getFile(key, target);
        }
        return sealed(s -> getFile(s, key, target));
    }

    private CompletableFuture<Boolean> getFile(StoreKeys.Sealing s, String key, Path target) {
        if (s.envelope().encrypts()) {
            // Every object is sealed: opened in memory and written once, rather than downloaded and rewritten.
            return getObject(key).thenApplyAsync(in -> {
                if (in == null) {
                    return false;
                }
                try (InputStream content = in; FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                    content.transferTo(java.nio.channels.Channels.newOutputStream(out));
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot write " + key + " to " + target, e);
                }
                return true;
            }, executor);
        }
        return delegate().getFile(key, target).thenApplyAsync(found -> {
            if (found) {
                openInPlace(key, target);
            }
            return found;
        }, executor);
    }

    /** Replaces a sealed object downloaded to {@code file} with its content; leaves a plain one as it is. */
    private void openInPlace(String key, Path file) {
        StoreKeys.Sealing s = resolve();
        try {
            byte[] head = readStart(file, Envelope.HEADER);
            if (!Envelope.startsWithMagic(head, 0, head.length)) {
                if (s.envelope().encrypts()) {
                    throw plainInEncryptedStore(key);
                }
                return;
            }
            long size = Files.size(file);
            long expected = Envelope.storedSize(head);
            if (expected != size && fallsBackToPlain(s, key)) {
                return;
            }
            if (size > Integer.MAX_VALUE - 1024) {
                throw new CorruptBackupException(key + " is damaged: " + size + " bytes, more than a sealed object holds");
            }
            int permits = budgetFor(size);
            opening.acquireUninterruptibly(permits);
            try {
                byte[] content;
                try {
                    content = s.envelope().open(key, Files.readAllBytes(file));
                } catch (CorruptBackupException e) {
                    if (fallsBackToPlain(s, key)) {
                        return;
                    }
                    throw e;
                }
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING)) {
                    ByteBuffer buffer = ByteBuffer.wrap(content);
                    while (buffer.hasRemaining()) {
                        channel.write(buffer);
                    }
                }
            } finally {
                opening.release(permits);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + key + " in " + file, e);
        }
    }

    /**
     * Whether an object under {@code key} that begins with the magic but does not open may be plain
     * content that happens to begin so: a chunk of an unencrypted store, written by format 1. Its
     * content hash, which the caller checks, then decides.
     */
    static boolean fallsBackToPlain(StoreKeys.Sealing s, String key) {
        return !s.envelope().encrypts() && key.startsWith(StoreLayout.BLOBS);
    }

    /**
     * Checks a chunk's stored size against its content size {@code plainSize} with one metadata request,
     * plus a read of its header when it is sealed in a size its content does not fix (compressed).
     * Completes with what is wrong ("is missing", "is corrupt: ...") or null when the size is right.
     */
    public CompletableFuture<String> checkStoredSize(String key, long plainSize) {
        return sealed(s -> delegate().objectSize(key).thenCompose(size -> {
            if (size < 0) {
                return CompletableFuture.completedFuture("is missing");
            }
            long sealedPlain = Envelope.HEADER + plainSize + (s.envelope().encrypts() ? Envelope.ENCRYPTION_OVERHEAD : 0);
            if ((!s.envelope().encrypts() && size == plainSize) || size == sealedPlain) {
                return CompletableFuture.completedFuture(null);
            }
            String wrong = "is corrupt: the store holds " + size + " bytes, expected " + plainSize + " bytes";
            return delegate().getObject(key).thenApplyAsync(in -> {
                if (in == null) {
                    return "is missing";
                }
                byte[] head;
                try (InputStream stream = in) {
                    head = stream.readNBytes(Envelope.HEADER);
                } catch (IOException e) {
                    return "cannot be read: " + e.getMessage();
                }
                long stored = Envelope.storedSize(head);
                if (stored < 0) {
                    return wrong;
                }
                return stored == size && Envelope.plainSize(head) == plainSize ? null : wrong + " (its header records "
                        + Envelope.plainSize(head) + " bytes of content in " + stored + " stored bytes)";
            }, executor);
        }));
    }
}
