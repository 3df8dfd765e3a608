package io.modbackup.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.runtime.FileKind;
import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.hash.Hashing;
import io.modbackup.core.manifest.FileEntry;
import io.modbackup.core.manifest.ManifestCodec;
import io.modbackup.core.manifest.SegmentRef;
import io.modbackup.core.manifest.TaskManifest;
import io.modbackup.core.manifest.TaskRef;
import io.modbackup.testkit.provider.InMemoryProvider;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** Walking a stored task manifest a segment at a time, and writing one a file at a time. */
class PathOrderedFilesTest {
    private static final int CHUNK = 64 * 1024;
    private final InMemoryProvider provider = new InMemoryProvider();
    private final ManifestCodec codec = new ManifestCodec();
    private final BackupStore store = new BackupStore(SealingProvider.reader(provider, Runnable::run), codec, Runnable::run);
    private final BackupId id = new BackupId("m", 1_700_000_000_000L, 1);

    private static FileEntry file(int i) {
        String sha = Hashing.sha256Hex(("content " + i).getBytes(StandardCharsets.UTF_8));
        return new FileEntry(String.format("depot/seg-%06d", i), FileKind.IMMUTABLE, 10_000, i, sha, List.of(sha), null);
    }

    private TaskRef write(List<FileEntry> files) {
        TaskManifestWriter writer = store.taskManifestWriter(new TaskManifest(ManifestCodec.VERSION, "m", id.toString(), 0,
                List.of(), Map.of(), Map.of()), java.util.Set.of());
        files.forEach(writer::add);
        return writer.finish().join().ref();
    }

    @Test
    void seeksAndWalksEveryFileOfManySegmentsInPathOrder() {
        List<FileEntry> files = new ArrayList<>();
        for (int i = 0; i < 3000; i += 2) {
            files.add(file(i));
        }
        TaskRef ref = write(files);
        assertEquals(files.size(), ref.files());
        PathOrderedFiles walk = PathOrderedFiles.open(store, ref, CHUNK, "task 0").join();
        assertTrue(walk.header().segments().size() > 5, "several segments: " + walk.header().segments().size());
        // Lookups asked for all at once still run in order, crossing segments.
        var present = walk.seek(file(100).path());
        var absent = walk.seek(file(101).path());
        var later = walk.seek(file(2998).path());
        assertEquals(file(100), present.join());
        assertNull(absent.join(), "no entry for a path the manifest lacks");
        assertEquals(file(2998), later.join());
        assertNull(walk.seek("zzz").join());

        PathOrderedFiles all = PathOrderedFiles.open(store, ref, CHUNK, "task 0").join();
        List<FileEntry> walked = new ArrayList<>();
        for (List<FileEntry> batch = all.nextBatch().join(); !batch.isEmpty(); batch = all.nextBatch().join()) {
            assertTrue(batch.size() <= FileListSegments.MAX_SEGMENT_FILES, "a segment at a time");
            walked.addAll(batch);
        }
        assertEquals(files, walked);
    }

    @Test
    void segmentsOutOfOrderAreReportedAsCorrupt() throws Exception {
        List<FileEntry> files = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            files.add(file(i));
        }
        TaskRef ref = write(files);
        TaskManifest header = store.readTaskHeader(ref, CHUNK, "task 0").join();
        List<SegmentRef> swapped = new ArrayList<>(header.segments());
        java.util.Collections.swap(swapped, 0, 1);
        byte[] bytes = codec.encode(new TaskManifest(header.version(), "m", id.toString(), 0, List.of(), swapped, Map.of(), Map.of()));
        provider.putObject(ref.key(), new ByteArrayInputStream(bytes), bytes.length).get();
        TaskRef tampered = new TaskRef(0, ref.key(), Hashing.sha256Hex(bytes), ref.files(), ref.bytes());
        PathOrderedFiles walk = PathOrderedFiles.open(store, tampered, CHUNK, "task 0").join();
        CompletionException e = assertThrows(CompletionException.class, () -> {
            for (List<FileEntry> batch = walk.nextBatch().join(); !batch.isEmpty(); batch = walk.nextBatch().join()) {
                assertTrue(batch.size() > 0);
            }
        });
        assertTrue(e.getCause() instanceof CorruptBackupException && e.getCause().getMessage().contains("out of path order"),
                e.getCause().getMessage());
    }

    @Test
    void theWriterRefusesAPathThatDoesNotComeAfterThePreviousOne() {
        TaskManifestWriter writer = store.taskManifestWriter(new TaskManifest(ManifestCodec.VERSION, "m", id.toString(), 0,
                List.of(), Map.of(), Map.of()), java.util.Set.of());
        writer.add(file(2));
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> writer.add(file(2)));
        assertTrue(twice.getMessage().contains("comes after"), twice.getMessage());
        assertThrows(IllegalArgumentException.class, () -> writer.add(file(1)));
    }

    @Test
    void theChunkSetHoldsExactlyWhatWasAdded() {
        ChunkHashSet set = new ChunkHashSet();
        for (int i = 0; i < 20_000; i++) {
            assertTrue(set.add(file(i).sha256()));
        }
        assertEquals(20_000, set.size());
        for (int i = 0; i < 20_000; i++) {
            assertTrue(set.contains(file(i).sha256()));
            assertTrue(!set.contains(file(i + 20_000).sha256()));
        }
        assertTrue(!set.add(file(5).sha256()), "added once");
        String zero = "0".repeat(64);
        assertTrue(!set.contains(zero));
        assertTrue(set.add(zero));
        assertTrue(set.contains(zero));
        assertThrows(IllegalArgumentException.class, () -> set.add("abc"));
    }
}
