package io.modbackup.core.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.runtime.FileKind;
import io.modbackup.core.async.Futures;
import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.hash.Hashing;
import io.modbackup.core.manifest.FileEntry;
import io.modbackup.core.seal.Compression;
import io.modbackup.testkit.provider.InMemoryProvider;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ChunkStore}: files split into chunks or inlined, what each store counts, the whole-file and
 * region upload paths and their guards against files that change under them, and restores and checks
 * that refuse every missing, short, long or altered chunk.
 */
class ChunkStoreTest {
    private static final int CHUNK = 1024 * 1024;
    /** A small chunk size, for files of several chunks. */
    private static final int SMALL = 1024;
    private static final int INLINE = 100;

    @TempDir
    Path dir;
    private final ExecutorService io = Executors.newFixedThreadPool(2);
    private final InMemoryProvider memory = new InMemoryProvider();
    private final Semaphore permits = new Semaphore(4);
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    /** Per provider method, what to do instead of (or before) the in-memory store: null delegates. */
    private final Map<String, Function<Object[], Object>> overrides = new ConcurrentHashMap<>();
    private final BackupProvider store = (BackupProvider) Proxy.newProxyInstance(BackupProvider.class.getClassLoader(),
            new Class<?>[] {BackupProvider.class}, (proxy, method, args) -> {
                calls.computeIfAbsent(method.getName(), name -> new AtomicInteger()).incrementAndGet();
                Function<Object[], Object> override = overrides.get(method.getName());
                Object result = override == null ? null : override.apply(args);
                if (result != null) {
                    return result;
                }
                try {
                    return method.invoke(memory, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            });

    @AfterEach
    void tearDown() {
        io.shutdown();
    }

    private int calls(String method) {
        return calls.getOrDefault(method, new AtomicInteger()).get();
    }

    private static byte[] random(int size, long seed) {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        return data;
    }

    private Path file(int size) throws Exception {
        return Files.write(dir.resolve("file-" + size), random(size, size));
    }

    private FileEntry store(Sized chunks, Path file, FileKind kind) {
        return chunks.store(file.getFileName().toString(), kind, file, 100_000, 0, new KnownChunks(true),
                new TransferStats()).join();
    }

    private Sized small() {
        return new Sized(new ChunkStore(SealingProvider.reader(store, io), io, io, permits, INLINE), SMALL);
    }

    private static String sha(byte[] data, int from, int to) {
        return Hashing.sha256Hex(Arrays.copyOfRange(data, from, to));
    }

    /** bytesRead, newBytes, chunksUploaded, chunksReused, filesReused. */
    private static List<Long> counts(TransferStats stats) {
        return List.of(stats.bytesRead(), stats.newBytes(), stats.chunksUploaded(), stats.chunksReused(), stats.filesReused());
    }

    private byte[] stored(String sha) throws Exception {
        try (InputStream in = memory.getObject(StoreLayout.chunkKey(sha)).join()) {
            return in.readAllBytes();
        }
    }

    /** The whole chain of messages of a failed future, outermost first. */
    private static String failure(CompletableFuture<?> future) {
        CompletionException e = assertThrows(CompletionException.class, future::join);
        StringBuilder messages = new StringBuilder();
        for (Throwable t = Futures.cause(e); t != null; t = t.getCause()) {
            messages.append(t.getClass().getSimpleName()).append(": ").append(t.getMessage()).append(" | ");
        }
        return messages.toString();
    }

    private static CorruptBackupException corrupt(CompletableFuture<?> future) {
        CompletionException e = assertThrows(CompletionException.class, future::join);
        return assertInstanceOf(CorruptBackupException.class, Futures.cause(e));
    }

    // ------------------------------------------------------------------ whole-file path

    @Test
    void anImmutableOneChunkFileIsSentWholeAndItsHashIsItsChunks() throws Exception {
        Sized chunks = new Sized(new ChunkStore(SealingProvider.reader(store, io), io, io, permits, 4096), CHUNK);
        Path file = file(100_000);
        FileEntry entry = store(chunks, file, FileKind.IMMUTABLE);
        assertEquals(1, calls("createFile"), "sent whole, with createFile");
        assertEquals(0, calls("createObject"));
        assertEquals(entry.chunks().get(0), entry.sha256(), "a one-chunk file's hash is its chunk's");
        assertEquals(Hashing.sha256Hex(Files.readAllBytes(file)), entry.sha256());
        assertArrayEquals(Files.readAllBytes(file), stored(entry.sha256()));
    }

    @Test
    void anAppendOnlyFileIsSentAsARegionOfItsCapturedLength() throws Exception {
        Sized chunks = new Sized(new ChunkStore(SealingProvider.reader(store, io), io, io, permits, 4096), CHUNK);
        Path file = file(100_000);
        Files.write(file, new byte[] {1, 2, 3}, StandardOpenOption.APPEND); // grew after the cut
        FileEntry entry = store(chunks, file, FileKind.APPEND_ONLY);
        assertEquals(0, calls("createFile"), "never sent whole: it may grow under the cut");
        assertEquals(100_000, entry.size());
        assertEquals(100_000, stored(entry.sha256()).length, "only the captured bytes");
    }

    @Test
    void anImmutableFileThatGrewAfterItsCaptureIsSentAsARegionOfItsCapturedLength() throws Exception {
        Sized chunks = new Sized(new ChunkStore(SealingProvider.reader(store, io), io, io, permits, 4096), CHUNK);
        byte[] data = random(100_000, 3);
        Path file = Files.write(dir.resolve("grown"), data);
        Files.write(file, new byte[] {1, 2, 3}, StandardOpenOption.APPEND);
        FileEntry entry = store(chunks, file, FileKind.IMMUTABLE);
        assertEquals(0, calls("createFile"), "its size differs from the captured one: not sent whole");
        assertEquals(Hashing.sha256Hex(data), entry.sha256());
        assertArrayEquals(data, stored(entry.sha256()));
    }

    @Test
    void aFileThatChangesDuringItsWholeFileUploadFailsAndLeavesNoChunk() throws Exception {
        Path file = file(100_000);
        String sha = Hashing.sha256Hex(Files.readAllBytes(file));
        overrides.put("createFile", args -> {
            try {
                Files.write(file, new byte[] {9}, StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return null;
        });
        Sized chunks = new Sized(new ChunkStore(SealingProvider.reader(store, io), io, io, permits, 4096), CHUNK);
        CompletionException failure = assertThrows(CompletionException.class,
                () -> store(chunks, file, FileKind.IMMUTABLE));
        assertTrue(Futures.cause(failure).getMessage().contains("changed while it was being backed up"),
                Futures.cause(failure).getMessage());
        awaitGone(sha);
    }

    private void awaitGone(String sha) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 5_000;
        while (memory.hasKey(StoreLayout.chunkKey(sha)).join() && System.currentTimeMillis() < deadline) {
            Thread.sleep(5);
        }
        assertFalse(memory.hasKey(StoreLayout.chunkKey(sha)).join(), "no chunk is left under a name its bytes do not have");
    }

    @Test
    void aOneChunkFileIsStreamedInOnceUnlessPlainAndLargeWhenItTakesTheProvidersFilePath() throws Exception {
        SealingProvider compressing = new SealingProvider(store, Compression.DEFAULT, null, io);
        Sized chunks = new Sized(new ChunkStore(compressing, io, io, permits, 4096), CHUNK);
        byte[] text = "a line of text that compresses well\n".repeat(3000).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        FileEntry compressed = chunks.store("text", FileKind.IMMUTABLE, Files.write(dir.resolve("text"), text), text.length,
                0, new KnownChunks(true), new TransferStats()).join();
        assertTrue(memory.objectSize(StoreLayout.chunkKey(compressed.sha256())).join() < text.length / 4, "stored compressed");
        byte[] noise = random(100_000, 42);
        FileEntry plain = chunks.store("noise", FileKind.IMMUTABLE, Files.write(dir.resolve("noise"), noise), noise.length,
                0, new KnownChunks(true), new TransferStats()).join();
        assertEquals(noise.length, memory.objectSize(StoreLayout.chunkKey(plain.sha256())).join(), "stored plain");

        calls.clear();
        restoreInto(chunks, compressed, dir.resolve("out").resolve("text"), "text").join();
        assertArrayEquals(text, Files.readAllBytes(dir.resolve("out").resolve("text")));
        assertEquals(List.of(0, 1, 0), List.of(calls("getFile"), calls("getObject"), calls("objectSize")),
                "a sealed chunk streams in once (no getFile, so no rewrite in place and no second read)");

        calls.clear();
        restoreInto(chunks, plain, dir.resolve("out").resolve("noise"), "noise").join();
        assertArrayEquals(noise, Files.readAllBytes(dir.resolve("out").resolve("noise")));
        assertEquals(List.of(0, 1, 0), List.of(calls("getFile"), calls("getObject"), calls("objectSize")),
                "a small plain chunk streams in once too: read once, hashed as it is written, no size request");

        byte[] large = random((int) ChunkStore.KERNEL_COPY_BYTES, 43); // one whole chunk
        FileEntry big = chunks.store("large", FileKind.IMMUTABLE, Files.write(dir.resolve("large"), large), large.length,
                0, new KnownChunks(true), new TransferStats()).join();
        calls.clear();
        restoreInto(chunks, big, dir.resolve("out").resolve("large"), "large").join();
        assertArrayEquals(large, Files.readAllBytes(dir.resolve("out").resolve("large")));
        assertEquals(List.of(1, 0, 1), List.of(calls("getFile"), calls("getObject"), calls("objectSize")),
                "a plain chunk of 1 MiB or more takes the provider's file path (measured 25% faster on 4 MiB segments)");
    }

    // ------------------------------------------------------------------ several chunks

    @Test
    void aFileOfSeveralChunksIsSplitHashedCountedAndRestoredByteForByte() throws Exception {
        byte[] data = random(2 * SMALL + 452, 1);
        Path file = Files.write(dir.resolve("several"), data);
        Sized chunks = small();
                TransferStats stats = new TransferStats();
        KnownChunks known = new KnownChunks(true);
        FileEntry entry = chunks.store("p/several", FileKind.IMMUTABLE, file, data.length, 77, known, stats).join();

        List<String> expected = List.of(sha(data, 0, SMALL), sha(data, SMALL, 2 * SMALL), sha(data, 2 * SMALL, data.length));
        assertEquals(new FileEntry("p/several", FileKind.IMMUTABLE, data.length, 77, Hashing.sha256Hex(data), expected, null),
                entry, "chunk hashes in order, and the whole file's hash");
        assertEquals(3, known.size(), "every chunk is known to the backup");
        expected.forEach(sha -> assertTrue(known.holds(sha), sha));
        assertArrayEquals(Arrays.copyOfRange(data, 0, SMALL), stored(expected.get(0)));
        assertArrayEquals(Arrays.copyOfRange(data, SMALL, 2 * SMALL), stored(expected.get(1)));
        assertArrayEquals(Arrays.copyOfRange(data, 2 * SMALL, data.length), stored(expected.get(2)));
        assertEquals(3, memory.listKeysRecursive(StoreLayout.BLOBS, null).join().keys().size());
        assertEquals(List.of((long) data.length, (long) data.length, 3L, 0L, 0L), counts(stats));
        assertEquals(0, calls("createFile"), "only a file of one chunk is sent whole");
        assertEquals(4, permits.availablePermits(), "every upload permit is given back");

        Path fresh = dir.resolve("restored/into/new/dirs/several");
        restoreInto(chunks, entry, fresh, "several").join();
        assertArrayEquals(data, Files.readAllBytes(fresh));
        Path stale = Files.write(dir.resolve("stale"), random(5 * SMALL, 2));
        restoreInto(chunks, entry, stale, "several").join();
        assertArrayEquals(data, Files.readAllBytes(stale), "a longer file at the target is replaced, not overwritten in part");
    }

    @Test
    void storingAFileAgainReusesEveryChunkAndAsksTheStoreOnlyAboutChunksThisBackupHasNotSeen() throws Exception {
        byte[] data = random(2 * SMALL + 452, 4);
        Path file = Files.write(dir.resolve("again"), data);
        Sized chunks = small();
        chunks.store("again", FileKind.IMMUTABLE, file, data.length, 0, new KnownChunks(true), new TransferStats()).join();
        assertEquals(3, calls("hasKey"));

        TransferStats next = new TransferStats();
        KnownChunks known = new KnownChunks(true);
        chunks.store("again", FileKind.IMMUTABLE, file, data.length, 0, known, next).join();
        assertEquals(List.of((long) data.length, 0L, 0L, 3L, 0L), counts(next), "read and hashed, nothing new sent");
        assertEquals(6, calls("hasKey"), "a new backup asks the store about each chunk once");
        assertEquals(3, calls("createObject"), "no chunk is sent twice");

        TransferStats same = new TransferStats();
        chunks.store("copy", FileKind.IMMUTABLE, file, data.length, 0, known, same).join();
        assertEquals(List.of((long) data.length, 0L, 0L, 3L, 0L), counts(same));
        assertEquals(6, calls("hasKey"), "chunks this backup already holds are not asked about");
    }

    @Test
    void withoutProbingAChunkTheIndexLacksIsSentWithoutALookup() throws Exception {
        byte[] data = random(2 * SMALL + 452, 21);
        Path file = Files.write(dir.resolve("fresh"), data);
        TransferStats stats = new TransferStats();
        KnownChunks known = new KnownChunks(false);
        small().store("fresh", FileKind.IMMUTABLE, file, data.length, 0, known, stats).join();
        assertEquals(0, calls("hasKey"), "no lookup per chunk");
        assertEquals(3, calls("createObject"));
        assertEquals(List.of((long) data.length, (long) data.length, 3L, 0L, 0L), counts(stats));

        KnownChunks fromManifest = new KnownChunks(false);
        fromManifest.addStored(List.of(sha(data, 0, SMALL), sha(data, SMALL, 2 * SMALL), sha(data, 2 * SMALL, data.length)));
        TransferStats again = new TransferStats();
        small().store("fresh", FileKind.IMMUTABLE, file, data.length, 0, fromManifest, again).join();
        assertEquals(List.of((long) data.length, 0L, 0L, 3L, 0L), counts(again), "chunks the index holds are not sent");
        assertEquals(0, calls("hasKey"));
        assertEquals(3, calls("createObject"));
    }

    @Test
    void aChunkBeingSentForOneFileIsWaitedForByAnotherAndItsFailureFailsBoth() throws Exception {
        byte[] data = random(SMALL, 22);
        CompletableFuture<Void> gate = new CompletableFuture<>();
        overrides.put("createFile", args -> gate.thenCompose(v -> memory.createFile((String) args[0], (Path) args[1])));
        KnownChunks known = new KnownChunks(false);
        Sized chunks = small();
        CompletableFuture<FileEntry> first = chunks.store("a", FileKind.IMMUTABLE, Files.write(dir.resolve("a"), data),
                data.length, 0, known, new TransferStats());
        while (calls("createFile") == 0) {
            Thread.sleep(5);
        }
        TransferStats second = new TransferStats();
        CompletableFuture<FileEntry> copy = chunks.store("b", FileKind.MUTABLE, Files.write(dir.resolve("b"), data),
                data.length, 0, known, second);
        while (second.chunksReused() == 0) {
            // the copy hashed its chunk and found the first file's upload of it under way
            Thread.sleep(5);
        }
        assertFalse(copy.isDone(), "the copy waits for the first file's upload of the same chunk");
        gate.completeExceptionally(new IllegalStateException("the store is down"));
        assertTrue(failure(first).contains("the store is down"));
        assertTrue(failure(copy).contains("the store is down"), "an entry is never built on a chunk that was not stored");
        assertEquals(1, calls("createFile") + calls("createObject"), "the chunk was sent once");
        assertEquals(1, second.chunksReused());
        assertEquals(0, known.size());
    }

    @Test
    void aChunkRepeatedInsideAFileIsSentOnce() throws Exception {
        byte[] block = random(SMALL, 5);
        byte[] data = new byte[2 * SMALL + 10];
        System.arraycopy(block, 0, data, 0, SMALL);
        System.arraycopy(block, 0, data, SMALL, SMALL);
        Sized chunks = small();
        TransferStats stats = new TransferStats();
        FileEntry entry = chunks.store("repeat", FileKind.IMMUTABLE, Files.write(dir.resolve("repeat"), data), data.length, 0,
                new KnownChunks(true), stats).join();
        assertEquals(List.of(Hashing.sha256Hex(block), Hashing.sha256Hex(block), sha(data, 2 * SMALL, data.length)),
                entry.chunks());
        assertEquals(List.of((long) data.length, SMALL + 10L, 2L, 1L, 0L), counts(stats));
        Path target = dir.resolve("out/repeat");
        restoreInto(chunks, entry, target, "repeat").join();
        assertArrayEquals(data, Files.readAllBytes(target));
    }

    @Test
    void aFileOfExactlyTwoChunksHasTwoChunksAndAFileOfOneChunkIsSentWhole() throws Exception {
        Sized chunks = small();
        byte[] two = random(2 * SMALL, 6);
        FileEntry entry = chunks.store("two", FileKind.IMMUTABLE, Files.write(dir.resolve("two"), two), two.length, 0,
                new KnownChunks(true), new TransferStats()).join();
        assertEquals(List.of(sha(two, 0, SMALL), sha(two, SMALL, 2 * SMALL)), entry.chunks(), "no empty third chunk");
        Path target = dir.resolve("out/two");
        restoreInto(chunks, entry, target, "two").join();
        assertArrayEquals(two, Files.readAllBytes(target));

        byte[] one = random(SMALL, 7);
        FileEntry single = chunks.store("one", FileKind.IMMUTABLE, Files.write(dir.resolve("one"), one), one.length, 0,
                new KnownChunks(true), new TransferStats()).join();
        assertEquals(List.of(Hashing.sha256Hex(one)), single.chunks());
        assertEquals(1, calls("createFile"));
    }

    // ------------------------------------------------------------------ inlined files

    @Test
    void aFileUpToTheThresholdIsInlinedAndOneByteLongerIsChunked() throws Exception {
        Sized chunks = small();
        byte[] data = random(INLINE, 8);
        TransferStats stats = new TransferStats();
        FileEntry entry = chunks.store("tiny", FileKind.MUTABLE, Files.write(dir.resolve("tiny"), data), INLINE, 5,
                new KnownChunks(true), stats).join();
        assertEquals(new FileEntry("tiny", FileKind.MUTABLE, INLINE, 5, Hashing.sha256Hex(data), List.of(),
                java.util.Base64.getEncoder().encodeToString(data)), entry);
        assertEquals(List.of((long) INLINE, (long) INLINE, 0L, 0L, 0L), counts(stats));
        assertEquals(0, calls("createObject") + calls("createFile"), "nothing sent to the store");
        Path target = dir.resolve("out/of/tiny");
        restoreInto(chunks, entry, target, "tiny").join();
        assertArrayEquals(data, Files.readAllBytes(target));
        Path stale = Files.write(dir.resolve("stale-tiny"), random(3 * INLINE, 9));
        restoreInto(chunks, entry, stale, "tiny").join();
        assertArrayEquals(data, Files.readAllBytes(stale), "a longer file at the target is replaced");

        byte[] bigger = random(INLINE + 1, 8);
        FileEntry chunked = chunks.store("bigger", FileKind.MUTABLE, Files.write(dir.resolve("bigger"), bigger), INLINE + 1, 5,
                new KnownChunks(true), new TransferStats()).join();
        assertNull(chunked.inline());
        assertEquals(List.of(Hashing.sha256Hex(bigger)), chunked.chunks());
    }

    @Test
    void anInlinedFileWhoseContentDoesNotMatchItsHashIsRefused() throws Exception {
        byte[] data = random(50, 10);
        FileEntry altered = new FileEntry("tiny", FileKind.MUTABLE, 50, 0, Hashing.sha256Hex(data), List.of(),
                java.util.Base64.getEncoder().encodeToString(random(50, 11)));
        Path target = dir.resolve("altered");
        CorruptBackupException e = corrupt(small().restore(altered, target, "task 3 file tiny"));
        assertEquals("task 3 file tiny: inlined content does not match its SHA-256", e.getMessage());
        assertFalse(Files.exists(target), "nothing written");
    }

    @Test
    void aFileShorterThanItsCapturedSizeFailsTheStore() throws Exception {
        Sized chunks = small();
        Path tiny = Files.write(dir.resolve("short-tiny"), random(50, 12));
        String inline = failure(chunks.store("t", FileKind.MUTABLE, tiny, 60, 0, new KnownChunks(true),
                new TransferStats()));
        assertTrue(inline.contains("has 50 bytes, fewer than its captured size 60"), inline);

        Path big = Files.write(dir.resolve("short-big"), random(1500, 13));
        String chunked = failure(chunks.store("b", FileKind.MUTABLE, big, 2500, 0, new KnownChunks(true),
                new TransferStats()));
        assertTrue(chunked.contains("ends at byte 1500, before its captured size 2500"), chunked);
    }

    // ------------------------------------------------------------------ failed and changed uploads

    @Test
    void aFailedUploadForgetsItsChunksAndGivesBackItsPermits() throws Exception {
        overrides.put("createObject", args -> {
            throw new IllegalStateException("the store is down");
        });
        byte[] data = random(2 * SMALL + 10, 14);
        KnownChunks known = new KnownChunks(true);
        String message = failure(small().store("f", FileKind.MUTABLE, Files.write(dir.resolve("f"), data), data.length, 0,
                known, new TransferStats()));
        assertTrue(message.contains("the store is down"), message);
        assertEquals(0, known.size(), "a later file with the same chunks must upload them again");
        assertEquals(4, permits.availablePermits());
    }

    @Test
    void aRegionThatChangesBetweenHashingAndUploadFailsAndLeavesNoChunkUnderItsName() throws Exception {
        byte[] data = random(2 * SMALL + 10, 15);
        Path file = Files.write(dir.resolve("changing"), data);
        overrides.put("createObject", args -> {
            try (var channel = java.nio.channels.FileChannel.open(file, StandardOpenOption.WRITE)) {
                channel.write(java.nio.ByteBuffer.wrap(new byte[] {(byte) ~data[0]}), 0);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return null;
        });
        String message = failure(small().store("c", FileKind.APPEND_ONLY, file, data.length, 0,
                new KnownChunks(true), new TransferStats()));
        String first = sha(data, 0, SMALL);
        assertTrue(message.contains("changed while it was being backed up (chunk at byte 0 hashed to " + first + " but "),
                message);
        awaitGone(first);
    }

    // ------------------------------------------------------------------ restores that refuse

    @Test
    void aRestoreOfSeveralChunksRefusesAMissingShortLongOrAlteredChunkAndAWrongWholeFileHash() throws Exception {
        byte[] data = random(2 * SMALL + 452, 16);
        Sized chunks = small();
        FileEntry entry = chunks.store("p", FileKind.IMMUTABLE, Files.write(dir.resolve("p"), data), data.length, 0,
                new KnownChunks(true), new TransferStats()).join();
        String second = entry.chunks().get(1);
        String last = entry.chunks().get(2);
        byte[] secondBytes = stored(second);
        byte[] lastBytes = stored(last);
        Path target = dir.resolve("target");

        memory.deleteObject(StoreLayout.chunkKey(second)).join();
        assertEquals("task 1 file p: chunk 1 (" + second + ") is missing from the store",
                corrupt(restoreInto(chunks, entry, target, "task 1 file p")).getMessage());

        put(second, Arrays.copyOf(secondBytes, SMALL - 1));
        assertEquals("task 1 file p: chunk 1 (" + second + ") is corrupt in the store (1023 bytes hashing to "
                + Hashing.sha256Hex(Arrays.copyOf(secondBytes, SMALL - 1)) + ", expected 1024 bytes hashing to " + second + ")",
                corrupt(restoreInto(chunks, entry, target, "task 1 file p")).getMessage());

        put(second, Arrays.copyOf(secondBytes, SMALL + 1));
        assertTrue(corrupt(restoreInto(chunks, entry, target, "p")).getMessage().contains("is corrupt in the store (more than 1024"
                + " bytes, expected 1024 bytes hashing to " + second + ")"));

        byte[] flipped = secondBytes.clone();
        flipped[100] ^= 1;
        put(second, flipped);
        assertEquals("p: chunk 1 (" + second + ") is corrupt in the store (1024 bytes hashing to " + Hashing.sha256Hex(flipped)
                + ", expected 1024 bytes hashing to " + second + ")",
                corrupt(restoreInto(chunks, entry, target, "p")).getMessage());
        put(second, secondBytes);

        put(last, Arrays.copyOf(lastBytes, 451));
        assertEquals("p: chunk 2 (" + last + ") is corrupt in the store (451 bytes hashing to "
                + Hashing.sha256Hex(Arrays.copyOf(lastBytes, 451)) + ", expected 452 bytes hashing to " + last + ")",
                corrupt(restoreInto(chunks, entry, target, "p")).getMessage());
        put(last, lastBytes);

        FileEntry wrongHash = new FileEntry("p", FileKind.IMMUTABLE, data.length, 0, Hashing.sha256Hex(new byte[1]),
                entry.chunks(), null);
        assertEquals("p: restored content does not match the manifest's size and SHA-256",
                corrupt(restoreInto(chunks, wrongHash, target, "p")).getMessage());

        restoreInto(chunks, entry, target, "p").join();
        assertArrayEquals(data, Files.readAllBytes(target), "intact again, it restores");
    }

    @Test
    void aRestoreOfOneChunkRefusesAMissingOrAlteredChunkAndAWrongSizeOrHash() throws Exception {
        byte[] data = random(SMALL - 24, 17);
        Sized chunks = small();
        FileEntry entry = chunks.store("one", FileKind.IMMUTABLE, Files.write(dir.resolve("one"), data), data.length, 0,
                new KnownChunks(true), new TransferStats()).join();
        String sha = entry.sha256();
        Path target = dir.resolve("new/dir/one");
        restoreInto(chunks, entry, target, "one").join();
        assertArrayEquals(data, Files.readAllBytes(target));

        FileEntry longer = new FileEntry("one", FileKind.IMMUTABLE, data.length + 1, 0, sha, List.of(sha), null);
        assertEquals("one: chunk 0 (" + sha + ") is corrupt in the store (1000 bytes hashing to " + sha + ", expected 1001 bytes"
                + " hashing to " + sha + ")",
                corrupt(restoreInto(chunks, longer, target, "one")).getMessage());
        String other = Hashing.sha256Hex(new byte[1]);
        FileEntry otherHash = new FileEntry("one", FileKind.IMMUTABLE, data.length, 0, other, List.of(sha), null);
        assertEquals("one: restored content does not match the manifest's size and SHA-256",
                corrupt(restoreInto(chunks, otherHash, target, "one")).getMessage(), "the chunk is whole; the entry is not");

        byte[] flipped = data.clone();
        flipped[0] ^= 1;
        put(sha, flipped);
        assertEquals("one: chunk 0 (" + sha + ") is corrupt in the store (1000 bytes hashing to " + Hashing.sha256Hex(flipped)
                + ", expected 1000 bytes hashing to " + sha + ")", corrupt(restoreInto(chunks, entry, target, "one")).getMessage());

        memory.deleteObject(StoreLayout.chunkKey(sha)).join();
        assertEquals("one: chunk 0 (" + sha + ") is missing from the store",
                corrupt(restoreInto(chunks, entry, dir.resolve("absent"), "one")).getMessage());
    }

    @Test
    void aDurableRestoreAsksForTheFilesSyncOnTheSyncThreadsOnlyOnceItIsWholeAndVerified() throws Exception {
        Path target = dir.resolve("out/durable");
        java.util.List<String> atSync = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.Executor syncs = task -> {
            try {
                atSync.add(Hashing.sha256Hex(Files.readAllBytes(target)));
            } catch (java.io.IOException e) {
                atSync.add(e.toString());
            }
            task.run();
        };
        ChunkStore durable = new ChunkStore(SealingProvider.reader(store, io), io, syncs, permits, INLINE);
        byte[] data = random(3 * SMALL - 7, 31);
        FileEntry entry = durable.store("three", FileKind.IMMUTABLE, Files.write(dir.resolve("three"), data), data.length, 0,
                SMALL, new KnownChunks(true), new TransferStats()).join();
        assertEquals(3, entry.chunks().size());
        Files.createDirectories(target.getParent());

        durable.restoreDurably(entry, SMALL, target, "three").durable().join();
        assertArrayEquals(data, Files.readAllBytes(target));
        assertEquals(List.of(entry.sha256()), atSync, "one sync, asked for when the file was whole");

        byte[] flipped = stored(entry.chunks().get(1)).clone();
        flipped[0] ^= 1;
        put(entry.chunks().get(1), flipped);
        assertInstanceOf(CorruptBackupException.class, Futures.cause(assertThrows(CompletionException.class,
                () -> durable.restoreDurably(entry, SMALL, target, "three").durable().join())));
        assertEquals(1, atSync.size(), "a file that failed its verification is never synced");
    }

    private void put(String sha, byte[] bytes) {
        memory.putObject(StoreLayout.chunkKey(sha), new ByteArrayInputStream(bytes), bytes.length).join();
    }

    // ------------------------------------------------------------------ check

    @Test
    void checkFindsMissingChunksAndADeepCheckFindsAlteredOnesAndUnreadableOnes() throws Exception {
        byte[] data = random(500, 18);
        String sha = Hashing.sha256Hex(data);
        Sized chunks = small();
        String key = StoreLayout.chunkKey(sha);
        assertEquals("chunk " + sha + " is missing", chunks.check(sha, 500, false).join());
        assertEquals("chunk " + sha + " is missing", chunks.check(sha, 500, true).join());

        put(sha, data);
        assertNull(chunks.check(sha, 500, false).join());
        assertNull(chunks.check(sha, 500, true).join());

        put(sha, new byte[0]);
        assertEquals("chunk " + sha + " is corrupt: the store holds 0 bytes, expected 500 bytes",
                chunks.check(sha, 500, false).join(), "a shallow check compares the stored size");
        assertEquals("chunk " + sha + " is corrupt: the store holds 0 bytes hashing to " + Hashing.sha256Hex(new byte[0])
                + ", expected 500 bytes hashing to " + sha, chunks.check(sha, 500, true).join());

        byte[] flipped = data.clone();
        flipped[7] ^= 1;
        put(sha, flipped);
        assertNull(chunks.check(sha, 500, false).join(), "a shallow check asks only for the object's size");
        assertEquals("chunk " + sha + " is corrupt: the store holds 500 bytes hashing to " + Hashing.sha256Hex(flipped)
                + ", expected 500 bytes hashing to " + sha, chunks.check(sha, 500, true).join());

        overrides.put("getObject", args -> CompletableFuture.completedFuture(new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("connection reset");
            }
        }));
        assertEquals("chunk " + sha + " cannot be read: connection reset", chunks.check(sha, 500, true).join());
        assertTrue(memory.hasKey(key).join());
    }

    @Test
    void uploadsWaitForAPermit() throws Exception {
        Semaphore one = new Semaphore(1);
        Sized chunks = new Sized(new ChunkStore(SealingProvider.reader(store, io), io, io, one, INLINE), SMALL);
        byte[] data = random(3 * SMALL, 19);
        List<Integer> inFlight = new ArrayList<>();
        overrides.put("createObject", args -> {
            synchronized (inFlight) {
                inFlight.add(one.availablePermits());
            }
            return null;
        });
        chunks.store("w", FileKind.MUTABLE, Files.write(dir.resolve("w"), data), data.length, 0, new KnownChunks(true),
                new TransferStats()).join();
        assertEquals(List.of(0, 0, 0), inFlight, "each upload held the only permit");
        assertEquals(1, one.availablePermits());
    }

    @Test
    void aFileDeletedBeforeItsUploadFailsTheStoreNamingIt() throws Exception {
        for (FileKind kind : List.of(FileKind.IMMUTABLE, FileKind.APPEND_ONLY)) {
            Path file = Files.write(dir.resolve("vanishing-" + kind), random(SMALL - 1, 20));
            overrides.put("hasKey", args -> {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
                return null;
            });
            String message = failure(small().store("v", kind, file, SMALL - 1, 0, new KnownChunks(true),
                    new TransferStats()));
            assertTrue(message.contains("cannot read " + file), kind + ": " + message);
        }
    }

    @Test
    void storingAndRestoringManyFilesLeavesNoFileOpen() throws Exception {
        Path fds = Path.of("/proc/self/fd");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(fds), "needs /proc/self/fd to count open files");
        Sized chunks = small();
        List<FileEntry> entries = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            byte[] data = random(3 * SMALL + 7, 100 + i);
            entries.add(chunks.store("f" + i, FileKind.APPEND_ONLY, Files.write(dir.resolve("many-" + i), data), data.length,
                    0, new KnownChunks(true), new TransferStats()).join());
        }
        long before = openFiles(fds);
        for (int round = 0; round < 40; round++) {
            for (int i = 0; i < entries.size(); i++) {
                byte[] data = random(3 * SMALL + 7, 1000L * round + i);
                chunks.store("g" + i, FileKind.APPEND_ONLY, Files.write(dir.resolve("many-" + i), data), data.length, 0,
                        new KnownChunks(true), new TransferStats()).join();
                restoreInto(chunks, entries.get(i), dir.resolve("restored-" + i), "f" + i).join();
            }
        }
        long after = openFiles(fds);
        assertTrue(after - before < 50, "400 uploads and 200 restores of several chunks each left " + (after - before)
                + " more files open");
    }

    private static long openFiles(Path fds) throws IOException {
        try (var list = Files.list(fds)) {
            return list.count();
        }
    }

    /** Restores into {@code target}, creating its directory first as the task worker does for a task. */
    private static java.util.concurrent.CompletableFuture<Void> restoreInto(Sized chunks, FileEntry entry, Path target, String what) {
        try {
            Files.createDirectories(target.getParent());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return chunks.restore(entry, target, what);
    }

    @Test
    void aRestoreIntoADirectoryThatIsGoneFailsAndCreatesNothing() throws Exception {
        Sized chunks = new Sized(new ChunkStore(SealingProvider.reader(store, io), io, io, permits, 4096), CHUNK);
        Path source = Files.write(dir.resolve("gone-source"), new byte[3 * 1024]);
        FileEntry entry = chunks.store("p", FileKind.IMMUTABLE, source, 3 * 1024, 1L, new KnownChunks(true),
                new TransferStats()).join();
        Path target = dir.resolve("removed-staging").resolve("task-0").resolve("p");
        java.util.concurrent.CompletionException e = assertThrows(java.util.concurrent.CompletionException.class,
                () -> chunks.restore(entry, target, "p").join());
        assertFalse(e.getCause() instanceof io.modbackup.core.error.CorruptBackupException, "not the store's fault: " + e.getCause());
        assertFalse(Files.exists(dir.resolve("removed-staging")), "the removed staging stays removed");
    }

    /** A chunk store used at one chunk size, as one backup uses it (the size every call names). */
    private record Sized(ChunkStore chunks, int chunkSize) {
        CompletableFuture<FileEntry> store(String path, FileKind kind, Path source, long size, long modifiedMillis,
                                           KnownChunks known, TransferStats stats) {
            return chunks.store(path, kind, source, size, modifiedMillis, chunkSize, known, stats);
        }

        CompletableFuture<Void> restore(FileEntry entry, Path target, String what) {
            return chunks.restore(entry, chunkSize, target, what);
        }

        CompletableFuture<String> check(String sha, long expectedSize, boolean deep) {
            return chunks.check(sha, expectedSize, deep);
        }
    }
}
