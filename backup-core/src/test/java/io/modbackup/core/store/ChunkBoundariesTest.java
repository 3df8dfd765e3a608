package io.modbackup.core.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.modbackup.api.runtime.FileKind;
import io.modbackup.core.manifest.FileEntry;
import io.modbackup.core.seal.Compression;
import io.modbackup.testkit.provider.InMemoryProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Files at every boundary of the inline threshold and of chunk sizes, stored and restored: a file of
 * at most the threshold is inlined, any larger one is cut into ceil(size / chunk) chunks of the chunk
 * size and one shorter tail, and every one comes back byte for byte, stored plain and compressed, of
 * every kind. Sizes are the boundaries (0, threshold - 1, threshold, threshold + 1, k chunks - 1, k
 * chunks, k chunks + 1) and seeded random ones.
 */
class ChunkBoundariesTest {
    private static final int INLINE = 64;
    private static final int[] CHUNK_SIZES = {INLINE + 1, 1000, 4096};

    @TempDir
    Path dir;
    private final ExecutorService io = Executors.newFixedThreadPool(2);

    @AfterEach
    void tearDown() {
        io.shutdown();
    }

    private static List<Integer> sizes(int chunk, Random random) {
        List<Integer> sizes = new ArrayList<>(List.of(0, 1, INLINE - 1, INLINE, INLINE + 1));
        for (int k = 1; k <= 3; k++) {
            sizes.addAll(List.of(k * chunk - 1, k * chunk, k * chunk + 1));
        }
        for (int i = 0; i < 10; i++) {
            sizes.add(random.nextInt(5 * chunk));
        }
        return sizes;
    }

    @ParameterizedTest(name = "compressed: {0}")
    @ValueSource(booleans = {false, true})
    void everyBoundarySizeIsInlinedOrCutExactlyAndRestoresByteForByte(boolean compressed) throws Exception {
        Random random = new Random(compressed ? 18 : 17);
        Compression compression = compressed ? Compression.DEFAULT : Compression.NONE;
        SealingProvider sealing = new SealingProvider(new InMemoryProvider(), compression, null, io);
        ChunkStore chunks = new ChunkStore(sealing, io, io, new Semaphore(4), INLINE);
        for (int chunk : CHUNK_SIZES) {
            for (int size : sizes(chunk, random)) {
                for (FileKind fileKind : FileKind.values()) {
                    byte[] data = new byte[size];
                    // Half random (incompressible), half text-like (compressible).
                    for (int i = 0; i < size; i++) {
                        data[i] = i < size / 2 ? (byte) random.nextInt() : (byte) ('a' + i % 7);
                    }
                    String what = compression + ", chunk " + chunk + ", " + size + " bytes, " + fileKind;
                    Path source = Files.write(dir.resolve("in"), data);
                    FileEntry entry = chunks.store("f", fileKind, source, size, 5, chunk, new KnownChunks(true),
                            new TransferStats()).join();
                    assertEquals(size, entry.size(), what);
                    if (size <= INLINE) {
                        assertEquals(List.of(), entry.chunks(), what + ": inlined");
                        assertArrayEquals(data, java.util.Base64.getDecoder().decode(entry.inline()), what);
                    } else {
                        assertNull(entry.inline(), what + ": not inlined");
                        assertEquals((size + chunk - 1) / chunk, entry.chunks().size(), what + ": ceil(size / chunk) chunks");
                    }
                    Path target = dir.resolve("out");
                    Files.deleteIfExists(target);
                    chunks.restore(entry, chunk, target, what).join();
                    assertArrayEquals(data, Files.readAllBytes(target), what + ": restored byte for byte");
                }
            }
        }
    }
}
