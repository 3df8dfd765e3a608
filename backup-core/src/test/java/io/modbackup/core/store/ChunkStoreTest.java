package io.modbackup.core.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.runtime.FileKind;
import io.modbackup.core.async.Futures;
import io.modbackup.core.hash.Hashing;
import io.modbackup.core.manifest.FileEntry;
import io.modbackup.testkit.provider.InMemoryProvider;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole-file upload path of {@link ChunkStore} and its guard against files that change under it. */
class ChunkStoreTest {
    private static final int CHUNK = 1024 * 1024;

    @TempDir
    Path dir;
    private final ExecutorService io = Executors.newFixedThreadPool(2);
    private final InMemoryProvider memory = new InMemoryProvider();
    private final AtomicInteger putFiles = new AtomicInteger();

    @AfterEach
    void tearDown() {
        io.shutdown();
    }

    /** The in-memory store, with {@code putFile} counted and preceded by {@code beforePutFile}. */
    private BackupProvider store(Runnable beforePutFile) {
        return (BackupProvider) Proxy.newProxyInstance(BackupProvider.class.getClassLoader(),
                new Class<?>[] {BackupProvider.class}, (proxy, method, args) -> {
                    if (method.getName().equals("putFile")) {
                        putFiles.incrementAndGet();
                        beforePutFile.run();
                        return memory.putFile((String) args[0], (Path) args[1]);
                    }
                    try {
                        return method.invoke(memory, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private Path file(int size) throws Exception {
        byte[] data = new byte[size];
        new Random(size).nextBytes(data);
        return Files.write(dir.resolve("file-" + size), data);
    }

    private FileEntry store(ChunkStore chunks, Path file, FileKind kind) {
        return chunks.store(file.getFileName().toString(), kind, file, 100_000, 0, ConcurrentHashMap.newKeySet(),
                new TransferStats()).join();
    }

    @Test
    void anImmutableOneChunkFileIsSentWholeAndItsHashIsItsChunks() throws Exception {
        ChunkStore chunks = new ChunkStore(store(() -> { }), io, new Semaphore(4), CHUNK, 4096);
        Path file = file(100_000);
        FileEntry entry = store(chunks, file, FileKind.IMMUTABLE);
        assertEquals(1, putFiles.get(), "sent with putFile");
        assertEquals(entry.chunks().get(0), entry.sha256(), "a one-chunk file's hash is its chunk's");
        assertEquals(Hashing.sha256Hex(Files.readAllBytes(file)), entry.sha256());
        try (InputStream in = memory.getObject(StoreLayout.chunkKey(entry.sha256())).join()) {
            assertArrayEquals(Files.readAllBytes(file), in.readAllBytes());
        }
    }

    @Test
    void anAppendOnlyFileIsSentAsARegionOfItsCapturedLength() throws Exception {
        ChunkStore chunks = new ChunkStore(store(() -> { }), io, new Semaphore(4), CHUNK, 4096);
        Path file = file(100_000);
        Files.write(file, new byte[] {1, 2, 3}, StandardOpenOption.APPEND); // grew after the cut
        FileEntry entry = store(chunks, file, FileKind.APPEND_ONLY);
        assertEquals(0, putFiles.get(), "never sent whole: it may grow under the cut");
        assertEquals(100_000, entry.size());
        try (InputStream in = memory.getObject(StoreLayout.chunkKey(entry.sha256())).join()) {
            assertEquals(100_000, in.readAllBytes().length, "only the captured bytes");
        }
    }

    @Test
    void aFileThatChangesDuringItsWholeFileUploadFailsAndLeavesNoChunk() throws Exception {
        Path file = file(100_000);
        String sha = Hashing.sha256Hex(Files.readAllBytes(file));
        ChunkStore chunks = new ChunkStore(store(() -> {
            try {
                Files.write(file, new byte[] {9}, StandardOpenOption.APPEND);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }), io, new Semaphore(4), CHUNK, 4096);
        CompletionException failure = assertThrows(CompletionException.class,
                () -> store(chunks, file, FileKind.IMMUTABLE));
        assertTrue(Futures.cause(failure).getMessage().contains("changed while it was being backed up"),
                Futures.cause(failure).getMessage());
        long deadline = System.currentTimeMillis() + 5_000;
        while (memory.hasKey(StoreLayout.chunkKey(sha)).join() && System.currentTimeMillis() < deadline) {
            Thread.sleep(5);
        }
        assertFalse(memory.hasKey(StoreLayout.chunkKey(sha)).join(), "no chunk is left under a name its bytes do not have");
    }
}
