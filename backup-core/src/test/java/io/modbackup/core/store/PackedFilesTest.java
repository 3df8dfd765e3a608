package io.modbackup.core.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.runtime.FileKind;
import io.modbackup.core.async.Futures;
import io.modbackup.core.async.OrderedWindow;
import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.hash.Hashing;
import io.modbackup.core.manifest.FileEntry;
import io.modbackup.testkit.provider.InMemoryProvider;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Small files packed into shared chunks ({@link PackWriter} through {@link ChunkStore}), stored the way a
 * task's backup stores them: through an {@link OrderedWindow} whose head may wait for its pack. Each pack
 * is sent when full or when the window can start nothing more; a packed file is restored byte for byte,
 * alone or with its pack's other files, and a damaged or missing pack is refused naming the file.
 */
class PackedFilesTest {
    private static final int CHUNK = 1024 * 1024;
    private static final int INLINE = 100;

    @TempDir
    Path dir;
    private final ExecutorService io = Executors.newFixedThreadPool(2);
    private final InMemoryProvider memory = new InMemoryProvider();
    private final ChunkStore chunks = new ChunkStore(SealingProvider.reader(memory, io), io, io, new Semaphore(4), INLINE);

    @AfterEach
    void tearDown() {
        io.shutdown();
    }

    private record Stored(List<FileEntry> entries, TransferStats stats) {
    }

    /** Stores {@code files} as a task does: a window of {@code window} files, packs of {@code flushMembers}. */
    private Stored storeAll(List<Path> files, int window, int flushMembers, KnownChunks known) {
        TransferStats stats = new TransferStats();
        PackWriter packs = chunks.packWriter(CHUNK, flushMembers, known, stats);
        List<FileEntry> entries = new ArrayList<>();
        Futures.await(OrderedWindow.run(files.iterator(), window, file -> {
            PackWriter.Ticket ticket = packs.ticket();
            try {
                long size = Files.size(file);
                return chunks.store(file.getFileName().toString(), FileKind.IMMUTABLE, file, size, 7, CHUNK, known, ticket,
                        stats);
            } catch (java.io.IOException e) {
                ticket.skip();
                return CompletableFuture.failedFuture(e);
            }
        }, entry -> {
            packs.progressed();
            entries.add(entry);
        }, packs::stalled).thenCompose(v -> packs.allStored()), "store");
        return new Stored(entries, stats);
    }

    private List<Path> files(int count, int size, long seed) throws Exception {
        Random random = new Random(seed);
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] data = new byte[size + i]; // sizes differ, so a slice of the wrong length shows
            random.nextBytes(data);
            files.add(Files.write(dir.resolve(String.format("f%03d", i)), data));
        }
        return files;
    }

    private TreeSet<String> blobs() {
        return new TreeSet<>(memory.listKeysRecursive(StoreLayout.BLOBS, null).join().keys());
    }

    @Test
    void smallFilesAreStoredInPacksOfTheGivenCountEachFileNamingItsSliceAndRestoredByteForByte() throws Exception {
        List<Path> files = files(40, 8 * 1024, 1);
        // A window wider than the task: it stalls only once every file was started, and a pack is sent early
        // only once every file has joined one, so every pack is full.
        Stored stored = storeAll(files, 64, 4, new KnownChunks(false));

        assertEquals(10, blobs().size(), "40 files in packs of 4: 10 objects, not 40");
        assertEquals(10, stored.stats().chunksUploaded());
        long content = 0;
        for (Path file : files) {
            content += Files.size(file);
        }
        assertEquals(content, stored.stats().newBytes(), "every file's bytes are new content");
        Map<String, List<FileEntry>> byPack = new LinkedHashMap<>();
        for (int i = 0; i < files.size(); i++) {
            FileEntry entry = stored.entries().get(i);
            byte[] data = Files.readAllBytes(files.get(i));
            assertEquals(files.get(i).getFileName().toString(), entry.path(), "in the window's order");
            assertNotNull(entry.pack(), entry.path() + " is packed");
            assertEquals(Hashing.sha256Hex(data), entry.sha256());
            assertEquals(1, entry.chunks().size());
            byte[] pack = stored(entry.chunks().get(0));
            assertEquals(pack.length, entry.pack().packSize());
            assertEquals(Hashing.sha256Hex(pack), entry.chunks().get(0), "a pack is named by its content");
            assertArrayEquals(data, Arrays.copyOfRange(pack, (int) entry.pack().offset(),
                    (int) (entry.pack().offset() + data.length)), entry.path() + "'s slice holds its bytes");
            byPack.computeIfAbsent(entry.chunks().get(0), p -> new ArrayList<>()).add(entry);
        }
        assertEquals(10, byPack.size());
        byPack.values().forEach(members -> assertEquals(4, members.size()));

        Path restored = Files.createDirectories(dir.resolve("restored"));
        for (List<FileEntry> members : byPack.values()) {
            Futures.await(chunks.restorePackDurably(members, members.stream().map(e -> restored.resolve(e.path())).toList(),
                    e -> "file " + e.path()).durable(), "restore a pack");
        }
        FileEntry alone = stored.entries().get(17);
        Futures.await(chunks.restore(alone, CHUNK, restored.resolve("alone"), "file alone"), "restore one");
        for (Path file : files) {
            assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(restored.resolve(file.getFileName())));
        }
        assertArrayEquals(Files.readAllBytes(files.get(17)), Files.readAllBytes(restored.resolve("alone")));
    }

    @Test
    void aWindowThatCanStartNothingMoreSendsThePackItsHeadWaitsForSoNoRunWaitsForEver() throws Exception {
        // Packs of 100 files never fill: a window of 3 stalls at once, and the last files end the run.
        List<Path> files = files(10, 5000, 2);
        Stored stored = storeAll(files, 3, 100, new KnownChunks(false));
        assertEquals(10, stored.entries().size());
        stored.entries().forEach(entry -> assertNotNull(entry.pack()));
        int packs = blobs().size();
        assertTrue(packs >= 4 && packs <= 10, "at most a window's files a pack, at least one pack each: " + packs);
    }

    @Test
    void aFileThatFailsDoesNotHoldItsPackBackTheRunFailsNamingIt() throws Exception {
        List<Path> files = new ArrayList<>(files(6, 5000, 3));
        files.add(3, dir.resolve("gone")); // listed, never written
        RuntimeException e = assertThrows(RuntimeException.class, () -> storeAll(files, 4, 100, new KnownChunks(false)));
        StringBuilder chain = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            chain.append(t.getMessage()).append(" | ");
        }
        assertTrue(chain.toString().contains(dir.resolve("gone").toString()), chain.toString());
    }

    @Test
    void anUnchangedFileKeepsItsSliceAndAFileHoldingAStoredChunkNamesItWithoutJoiningAPack() throws Exception {
        List<Path> files = files(4, 6000, 4);
        Stored first = storeAll(files, 8, 4, new KnownChunks(false));
        TreeSet<String> before = blobs();

        // The same content again, each with its entry of the backup built on: nothing sent, the slices kept.
        KnownChunks known = new KnownChunks(false);
        TransferStats stats = new TransferStats();
        PackWriter packs = chunks.packWriter(CHUNK, 4, known, stats);
        for (int i = 0; i < files.size(); i++) {
            FileEntry previous = first.entries().get(i);
            FileEntry again = chunks.store(previous.path(), FileKind.MUTABLE, files.get(i), previous.size(), 99, CHUNK,
                    known.withPrevious(previous), packs.ticket(), stats).join();
            assertEquals(previous.pack(), again.pack());
            assertEquals(previous.chunks(), again.chunks());
            assertEquals(99, again.modifiedMillis());
        }
        packs.flush();
        assertEquals(before, blobs(), "no pack sent");
        assertEquals(0, stats.newBytes());

        // A file whose content is a chunk the index holds names that chunk, unpacked.
        byte[] data = Files.readAllBytes(files.get(0));
        KnownChunks holding = new KnownChunks(false);
        holding.addStored(List.of(Hashing.sha256Hex(data)));
        FileEntry named = chunks.store("copy", FileKind.IMMUTABLE, files.get(0), data.length, 1, CHUNK, holding,
                chunks.packWriter(CHUNK, 4, holding, new TransferStats()).ticket(), new TransferStats()).join();
        assertNull(named.pack());
        assertEquals(List.of(Hashing.sha256Hex(data)), named.chunks());
    }

    @Test
    void aDamagedOrMissingPackIsRefusedNamingTheFileAndNothingIsWrittenFromIt() throws Exception {
        List<Path> files = files(4, 6000, 5);
        List<FileEntry> entries = storeAll(files, 8, 4, new KnownChunks(false)).entries();
        String pack = entries.get(0).chunks().get(0);
        byte[] bytes = stored(pack);
        bytes[(int) entries.get(2).pack().offset() + 10] ^= 1;
        memory.putObject(StoreLayout.chunkKey(pack), new ByteArrayInputStream(bytes), bytes.length).join();

        Path restored = Files.createDirectories(dir.resolve("restored"));
        Function<FileEntry, String> what = e -> "file " + e.path() + " of task 0";
        Restoring damagedPack = chunks.restorePackDurably(entries, entries.stream().map(e -> restored.resolve(e.path())).toList(), what);
        CorruptBackupException damaged = corrupt(damagedPack.written());
        assertEquals(damaged.getMessage(), corrupt(damagedPack.durable()).getMessage(), "not durable when not written");
        assertTrue(damaged.getMessage().startsWith("file f002 of task 0: its slice of pack " + pack), damaged.getMessage());
        assertTrue(Files.notExists(restored.resolve("f002")), "the damaged file is not written");

        byte[] truncated = java.util.Arrays.copyOf(stored(pack), (int) entries.get(3).pack().offset() + 1);
        memory.putObject(StoreLayout.chunkKey(pack), new ByteArrayInputStream(truncated), truncated.length).join();
        long needed = entries.stream().mapToLong(e -> e.pack().offset() + e.size()).max().orElseThrow();
        CorruptBackupException shortPack = corrupt(chunks.restorePackDurably(entries,
                entries.stream().map(e -> restored.resolve("short-" + e.path())).toList(), what).durable());
        assertEquals("file f000 of task 0: pack " + pack + " is corrupt in the store: it holds " + truncated.length
                + " bytes, fewer than the " + needed + " its files' slices need", shortPack.getMessage());
        assertTrue(entries.stream().allMatch(e -> Files.notExists(restored.resolve("short-" + e.path()))),
                "no file of a short pack is written");

        memory.deleteObject(StoreLayout.chunkKey(pack)).join();
        CorruptBackupException missing = corrupt(chunks.restore(entries.get(1), CHUNK, restored.resolve("x"), "file f001"));
        assertEquals("file f001: its pack " + pack + " is missing from the store", missing.getMessage());
    }

    private byte[] stored(String sha) throws Exception {
        try (InputStream in = memory.getObject(StoreLayout.chunkKey(sha)).join()) {
            return in.readAllBytes();
        }
    }

    private static CorruptBackupException corrupt(CompletableFuture<?> future) {
        CompletionException e = assertThrows(CompletionException.class, future::join);
        return assertInstanceOf(CorruptBackupException.class, Futures.cause(e));
    }
}
