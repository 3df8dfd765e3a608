package io.modbackup.core.manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.runtime.FileKind;
import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.hash.Hashing;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Task manifests decoded at the edges of what is valid: sizes, chunk counts, paths and malformed bytes. */
class ManifestCodecTest {
    private static final int CHUNK = 1024;
    private static final String SHA = Hashing.sha256Hex(new byte[] {1});
    private final ManifestCodec codec = new ManifestCodec();

    private static FileEntry chunked(String path, long size, int chunks) {
        return new FileEntry(path, FileKind.IMMUTABLE, size, 0, SHA, Collections.nCopies(chunks, SHA), null);
    }

    private static TaskManifest task(FileEntry... files) {
        return new TaskManifest(ManifestCodec.VERSION, "m", "m-0000000000000001-00", 0, List.of(files), Map.of(), Map.of());
    }

    private TaskManifest roundTrip(TaskManifest manifest, int chunkSize) {
        byte[] bytes = codec.encode(manifest);
        return codec.decodeTask(bytes, Hashing.sha256Hex(bytes), chunkSize, "task manifest 0");
    }

    private String refused(TaskManifest manifest, int chunkSize) {
        return assertThrows(CorruptBackupException.class, () -> roundTrip(manifest, chunkSize)).getMessage();
    }

    @Test
    void aFileOfExactlyNChunksListsNChunksAndOneByteMoreNeedsOneMore() {
        TaskManifest exact = task(chunked("a", 2L * CHUNK, 2), chunked("b", 1, 1));
        assertEquals(exact, roundTrip(exact, CHUNK));
        assertEquals("task manifest 0: file c of 2049 bytes lists 2 chunks, expected 3",
                refused(task(chunked("c", 2L * CHUNK + 1, 2)), CHUNK));
        assertEquals("task manifest 0: file d of 2047 bytes lists 3 chunks, expected 2",
                refused(task(chunked("d", 2L * CHUNK - 1, 3)), CHUNK));
    }

    @Test
    void emptyFilesAndFilesOfTheLargestSizeAreValidAndOneByteLargerIsNot() {
        FileEntry empty = new FileEntry("empty", FileKind.MUTABLE, 0, 0, Hashing.sha256Hex(new byte[0]), List.of(), "");
        FileEntry emptyChunked = chunked("empty-chunked", 0, 0);
        int hugeChunk = 1 << 30;
        FileEntry largest = chunked("largest", ManifestCodec.MAX_FILE_SIZE, (int) (ManifestCodec.MAX_FILE_SIZE / hugeChunk));
        TaskManifest valid = task(empty, emptyChunked, largest);
        assertEquals(valid, roundTrip(valid, hugeChunk));
        assertEquals("task manifest 0: file larger has absurd size " + (ManifestCodec.MAX_FILE_SIZE + 1),
                refused(task(chunked("larger", ManifestCodec.MAX_FILE_SIZE + 1, 1025)), hugeChunk));
    }

    @Test
    void aPackedFileNamesOnePackNoLargerThanAChunkAndFitsInsideItAndAnUnpackedEntryWritesNoPackField() {
        String pack = Hashing.sha256Hex(new byte[] {9});
        FileEntry first = new FileEntry("p1", FileKind.APPEND_ONLY, 300, 0, SHA, List.of(pack), null, new PackSlice(0, CHUNK));
        FileEntry last = new FileEntry("p2", FileKind.APPEND_ONLY, 24, 0, SHA, List.of(pack), null, new PackSlice(1000, CHUNK));
        TaskManifest valid = task(first, last);
        assertEquals(valid, roundTrip(valid, CHUNK));
        String json = new String(codec.encode(task(chunked("plain", 10, 1))), StandardCharsets.UTF_8);
        assertTrue(!json.contains("pack"), "an unpacked entry is written as before packs existed: " + json);

        assertEquals("task manifest 0: packed file p of 25 bytes at offset 1000 does not fit its pack of 1024 bytes"
                        + " (chunk size 1024)",
                refused(task(new FileEntry("p", FileKind.MUTABLE, 25, 0, SHA, List.of(pack), null, new PackSlice(1000, CHUNK))),
                        CHUNK));
        assertEquals("task manifest 0: packed file p of 10 bytes at offset 0 does not fit its pack of 1025 bytes"
                        + " (chunk size 1024)",
                refused(task(new FileEntry("p", FileKind.MUTABLE, 10, 0, SHA, List.of(pack), null,
                        new PackSlice(0, CHUNK + 1))), CHUNK));
        assertEquals("task manifest 0: packed file p of 10 bytes at offset -1 does not fit its pack of 1024 bytes"
                        + " (chunk size 1024)",
                refused(task(new FileEntry("p", FileKind.MUTABLE, 10, 0, SHA, List.of(pack), null,
                        new PackSlice(-1, CHUNK))), CHUNK));
        assertEquals("task manifest 0: packed file p of 0 bytes at offset 0 does not fit its pack of 1024 bytes"
                        + " (chunk size 1024)",
                refused(task(new FileEntry("p", FileKind.MUTABLE, 0, 0, SHA, List.of(pack), null,
                        new PackSlice(0, CHUNK))), CHUNK));
        for (List<String> chunks : List.of(List.<String>of(), List.of(pack, pack), List.of(pack.substring(1)))) {
            assertEquals("task manifest 0: packed file p does not name exactly one pack", refused(task(new FileEntry("p",
                    FileKind.MUTABLE, 10, 0, SHA, chunks, null, new PackSlice(0, CHUNK))), CHUNK));
        }
        assertEquals("task manifest 0: packed file p does not name exactly one pack", refused(task(new FileEntry("p",
                FileKind.MUTABLE, 1, 0, SHA, List.of(pack), "AQ==", new PackSlice(0, CHUNK))), CHUNK));
    }

    @Test
    void aSegmentReferenceMayCarryAStampOnlyWithItsChunkCountAndAsAHash() {
        String sha = Hashing.sha256Hex(new byte[] {5});
        for (SegmentRef ref : List.of(new SegmentRef(sha, 1, 1), new SegmentRef(sha, 1, 1, SHA, 3L))) {
            TaskManifest header = new TaskManifest(ManifestCodec.VERSION, "m", "m-0000000000000001-00", 0, List.of(),
                    List.of(ref), Map.of(), Map.of());
            assertEquals(header, roundTrip(header, CHUNK));
        }
        for (SegmentRef bad : List.of(new SegmentRef(sha, 1, 1, "stamp", 3L), new SegmentRef(sha, 1, 1, SHA, null),
                new SegmentRef(sha, 1, 1, SHA, -1L))) {
            TaskManifest header = new TaskManifest(ManifestCodec.VERSION, "m", "m-0000000000000001-00", 0, List.of(),
                    List.of(bad), Map.of(), Map.of());
            assertEquals("task manifest 0 lists an invalid segment reference", refused(header, CHUNK));
        }
    }

    @Test
    void anInlinedFileMustHoldItsStatedSizeAndNoChunks() {
        String data = Base64.getEncoder().encodeToString(new byte[] {1, 2, 3});
        assertEquals("task manifest 0: inlined file i does not have its stated size", refused(task(
                new FileEntry("i", FileKind.MUTABLE, 4, 0, SHA, List.of(), data)), CHUNK));
        assertEquals("task manifest 0: inlined file i does not have its stated size", refused(task(
                new FileEntry("i", FileKind.MUTABLE, 3, 0, SHA, List.of(SHA), data)), CHUNK));
        assertEquals("task manifest 0: inlined file i is not valid base64", refused(task(
                new FileEntry("i", FileKind.MUTABLE, 3, 0, SHA, List.of(), "not base64!")), CHUNK));
    }

    @Test
    void everyHashMustBeLowerCaseHexOfSha256LengthAndAChunkEqualToItsFilesHashIsValid() {
        String other = Hashing.sha256Hex(new byte[] {2});
        TaskManifest valid = task(new FileEntry("one", FileKind.IMMUTABLE, 10, 0, SHA, List.of(SHA), null),
                new FileEntry("two", FileKind.IMMUTABLE, CHUNK + 1, 0, SHA, List.of(SHA, other), null));
        assertEquals(valid, roundTrip(valid, CHUNK));
        for (String bad : List.of(SHA.toUpperCase(java.util.Locale.ROOT), SHA.substring(1), SHA + "0",
                SHA.substring(1) + "g", SHA.substring(1) + "/", SHA.substring(1) + ":", SHA.substring(1) + "`")) {
            assertEquals("task manifest 0: file f has no valid SHA-256",
                    refused(task(new FileEntry("f", FileKind.IMMUTABLE, 10, 0, bad, List.of(SHA), null)), CHUNK), bad);
            assertEquals("task manifest 0: file f lists an invalid chunk hash",
                    refused(task(new FileEntry("f", FileKind.IMMUTABLE, 10, 0, SHA, List.of(bad), null)), CHUNK), bad);
        }
    }

    @Test
    void aChunkSizeOfZeroIsRefusedRatherThanDividedBy() {
        assertEquals("task manifest 0: chunk size 0 is invalid", refused(task(chunked("a", 10, 1)), 0));
    }

    @Test
    void pathsMayHoldSpacesButNoControlCharacters() {
        TaskManifest spaced = task(chunked("pstates/my state/000001.sst", 10, 1));
        assertEquals(spaced, roundTrip(spaced, CHUNK));
        for (String control : new String[] {"a\u001fb", "a\u007fb", "a\nb"}) {
            assertEquals("task manifest 0 has a file path with control characters",
                    refused(task(chunked(control, 10, 1)), CHUNK), control);
        }
    }

    @Test
    void bytesThatAreNotAManifestAreNamedAsSuch() {
        for (String text : new String[] {"null", "{", "[]", "{\"version\":1}"}) {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            CorruptBackupException e = assertThrows(CorruptBackupException.class,
                    () -> codec.decodeTask(bytes, Hashing.sha256Hex(bytes), CHUNK, "task manifest 0"), text);
            assertTrue(e.getMessage().startsWith("task manifest 0 is "), text + ": " + e.getMessage());
        }
        byte[] nothing = "null".getBytes(StandardCharsets.UTF_8);
        assertEquals("task manifest 0 is empty", assertThrows(CorruptBackupException.class,
                () -> codec.decodeTask(nothing, Hashing.sha256Hex(nothing), CHUNK, "task manifest 0")).getMessage());
        byte[] cut = "{\"version\":".getBytes(StandardCharsets.UTF_8);
        String message = assertThrows(CorruptBackupException.class,
                () -> codec.decodeTask(cut, Hashing.sha256Hex(cut), CHUNK, "task manifest 0")).getMessage();
        assertTrue(message.startsWith("task manifest 0 is not a valid manifest: "), message);
        assertTrue(!message.contains("Source:") && !message.contains("\n"), "one line, no parser location: " + message);
    }
}
