package io.modbackup.core.engine;

import static io.modbackup.core.engine.EngineFixture.A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.provider.ForwardingBackupProvider;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.store.StoreLayout;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verifying part n of t of a backup's chunks: the parts split the chunks (t runs re-hash each exactly
 * once), each run downloads only its part (requests and bytes counted at the store), and a damaged chunk
 * is found by the run whose part holds it.
 */
class SampledVerifyTest {
    @TempDir
    Path dir;
    private EngineFixture f;
    /** Bytes read from each chunk object downloaded (whole for a re-hash, a header for a compressed chunk's size check). */
    private final Map<String, Long> chunkGets = new ConcurrentHashMap<>();
    private BackupEngine engine;

    @BeforeEach
    void setUp() throws Exception {
        f = new EngineFixture(dir);
        ForwardingBackupProvider counting = new ForwardingBackupProvider(f.provider) {
            @Override
            public CompletableFuture<InputStream> getObject(String key) {
                if (!key.startsWith(StoreLayout.BLOBS)) {
                    return super.getObject(key);
                }
                return super.getObject(key).thenApply(in -> in == null ? null : new java.io.FilterInputStream(in) {
                    @Override
                    public int read() throws java.io.IOException {
                        int b = super.read();
                        if (b >= 0) {
                            chunkGets.merge(key, 1L, Long::sum);
                        }
                        return b;
                    }

                    @Override
                    public int read(byte[] buffer, int off, int len) throws java.io.IOException {
                        int n = super.read(buffer, off, len);
                        if (n > 0) {
                            chunkGets.merge(key, (long) n, Long::sum);
                        }
                        return n;
                    }
                });
            }
        };
        engine = new BackupEngine(f.cluster, counting, f.options);
        f.write(1500);
    }

    @AfterEach
    void tearDown() {
        engine.close();
        f.close();
    }

    @Test
    void fourPartsReHashEveryChunkOnceAndEachRunReadsOnlyItsPart() throws Exception {
        ModuleManifest backup = engine.backup(A);
        Map<String, Long> chunks = f.reader().reach(backup, file -> { }).chunks();
        assertTrue(chunks.size() >= 8, chunks.size() + " chunks (small files are packed: fewer chunks than files)");
        Set<String> read = new HashSet<>();
        long bytes = 0;
        for (int part = 1; part <= 4; part++) {
            chunkGets.clear();
            VerifyReport report = engine.verify(backup.backupId(), new VerifySample(part, 4));
            assertTrue(report.ok(), report.problems().toString());
            assertEquals(new VerifySample(part, 4), report.sample());
            assertEquals(chunks.size(), report.chunks(), "every chunk is checked for presence and size");
            Set<String> downloaded = whollyRead();
            assertEquals(report.chunksRead(), downloaded.size(), "one download per chunk of the part");
            long partBytes = 0;
            for (String key : downloaded) {
                String sha = StoreLayout.chunkOf(key);
                assertTrue(read.add(sha), "chunk " + sha + " read by two parts");
                assertTrue(new VerifySample(part, 4).includes(sha));
                partBytes += chunks.get(sha);
            }
            assertEquals(partBytes, report.bytesRead(), "bytes read: the content sizes of the part's chunks");
            assertTrue(report.chunksRead() < chunks.size(), "a part reads less than all: " + report.chunksRead());
            bytes += partBytes;
        }
        assertEquals(chunks.keySet(), read, "the four parts read every chunk");
        assertEquals(chunks.values().stream().mapToLong(Long::longValue).sum(), bytes);

        chunkGets.clear();
        VerifyReport deep = engine.verify(backup.backupId(), true);
        assertEquals(chunks.size(), deep.chunksRead());
        assertEquals(chunks.size(), whollyRead().size(), "deep reads every chunk");
        chunkGets.clear();
        VerifyReport shallow = engine.verify(backup.backupId(), false);
        assertEquals(0, shallow.chunksRead());
        assertEquals(Set.of(), whollyRead(), "a plain verify downloads no chunk");
    }

    /** The chunk objects read to their end by the last run; fails if another read took more than a header. */
    private Set<String> whollyRead() {
        Set<String> whole = new HashSet<>();
        chunkGets.forEach((key, bytes) -> {
            long size = f.store().objectSize(key).join();
            if (bytes == size) {
                whole.add(key);
            } else {
                assertTrue(bytes <= 64, key + ": " + bytes + " of " + size + " bytes read, more than a size check's header");
            }
        });
        return whole;
    }

    @Test
    void aDamagedChunkIsFoundByTheRunWhosePartHoldsItAndOnlyByThatOne() throws Exception {
        ModuleManifest backup = engine.backup(A);
        Map<String, Long> chunks = f.reader().reach(backup, file -> { }).chunks();
        String victim = chunks.keySet().stream().filter(sha -> chunks.get(sha) > 100).sorted().findFirst().orElseThrow();
        try (RandomAccessFile file = new RandomAccessFile(dir.resolve("store").resolve(StoreLayout.chunkKey(victim)).toFile(), "rw")) {
            file.seek(file.length() / 2);
            int b = file.read();
            file.seek(file.length() / 2);
            file.write(b ^ 0xFF); // same size: a presence and size check cannot see it
        }
        List<Integer> failing = new ArrayList<>();
        for (int part = 1; part <= 5; part++) {
            VerifyReport report = engine.verify(backup.backupId(), new VerifySample(part, 5));
            if (!report.ok()) {
                failing.add(part);
                assertEquals(1, report.problems().size(), report.problems().toString());
                assertTrue(report.problems().get(0).startsWith("chunk " + victim), report.problems().get(0));
            }
        }
        int expected = 0;
        for (int part = 1; part <= 5; part++) {
            if (new VerifySample(part, 5).includes(victim)) {
                expected = part;
            }
        }
        assertEquals(List.of(expected), failing);
    }

    @Test
    void aSampleIsRefusedUnlessItIsNOfT() {
        assertEquals(new VerifySample(3, 7), VerifySample.parse(" 3/7 "));
        for (String bad : List.of("0/7", "8/7", "7", "1/0", "a/b", "1/10001", "")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VerifySample.parse(bad), bad);
            assertEquals("verify sample '" + bad + "' is not n/t with 1 <= n <= t <= 10000: write e.g. 1/7 for the first"
                    + " seventh of the chunks, and 2/7 ... 7/7 on the next runs", e.getMessage());
        }
        assertEquals(List.of(new VerifySample(1, 3), new VerifySample(2, 3), new VerifySample(3, 3), new VerifySample(1, 3)),
                List.of(VerifySample.forRun(0, 3), VerifySample.forRun(1, 3), VerifySample.forRun(2, 3), VerifySample.forRun(3, 3)));
    }
}
