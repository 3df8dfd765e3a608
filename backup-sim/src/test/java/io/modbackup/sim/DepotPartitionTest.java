package io.modbackup.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.runtime.CapturedFile;
import io.modbackup.api.runtime.FileKind;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DepotPartitionTest {
    @TempDir
    Path dir;

    private static byte[] payload(int i) {
        return ("entry-" + i + "-" + "x".repeat(i % 50)).getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void entriesGetConsecutiveOffsetsAndReadBackAcrossRolledSegments() {
        try (DepotPartition depot = DepotPartition.open(dir, 1024)) {
            for (int i = 0; i < 500; i++) {
                assertEquals(i, depot.append(payload(i)));
            }
            assertTrue(depot.segmentCount() > 10, "segments rolled: " + depot.segmentCount());
            List<DepotEntry> entries = depot.read(95, 300);
            assertEquals(300, entries.size());
            for (int i = 0; i < 300; i++) {
                assertEquals(95 + i, entries.get(i).offset());
                assertArrayEquals(payload(95 + i), entries.get(i).payload());
            }
            assertEquals(List.of(), depot.read(500, 10));
        }
    }

    @Test
    void everyOffsetOfALargeSegmentReadsBackBeforeAndAfterReopening() {
        // One segment of 1,000 entries: positions are kept for every 64th, the rest found by skipping frames.
        try (DepotPartition depot = DepotPartition.open(dir, 1 << 20)) {
            for (int i = 0; i < 1000; i++) {
                depot.append(payload(i));
            }
            assertEquals(1, depot.segmentCount());
            for (int from : new int[] {0, 1, 63, 64, 65, 127, 500, 998, 999}) {
                assertEquals(from, depot.read(from, 1).get(0).offset());
                assertArrayEquals(payload(from), depot.read(from, 1).get(0).payload());
            }
        }
        try (DepotPartition reopened = DepotPartition.open(dir, 1 << 20)) {
            List<DepotEntry> tail = reopened.read(130, 1000);
            assertEquals(870, tail.size());
            for (int i = 0; i < tail.size(); i++) {
                assertArrayEquals(payload(130 + i), tail.get(i).payload());
            }
        }
    }

    @Test
    void sealedSegmentsNeverChangeAndTheCaptureMarksThem() throws Exception {
        try (DepotPartition depot = DepotPartition.open(dir.resolve("p"), 1024)) {
            for (int i = 0; i < 100; i++) {
                depot.append(payload(i));
            }
            DepotPartition.Capture capture = depot.capture(dir.resolve("p"), "depots/d/");
            assertEquals(100, capture.endOffset());
            List<CapturedFile> files = capture.files();
            assertEquals(FileKind.APPEND_ONLY, files.get(files.size() - 1).kind());
            assertTrue(files.subList(0, files.size() - 1).stream().allMatch(f -> f.kind() == FileKind.IMMUTABLE));
            long onDisk = 0;
            for (CapturedFile file : files) {
                onDisk += Files.size(file.source());
            }
            assertEquals(onDisk, capture.bytes(), "the capture's total is the captured files' bytes");
            long sealedBytes = Files.size(files.get(0).source());
            for (int i = 100; i < 300; i++) {
                depot.append(payload(i));
            }
            assertEquals(sealedBytes, Files.size(files.get(0).source()), "a sealed segment never grows");
            assertTrue(files.stream().allMatch(f -> f.path().startsWith("depots/d/")));

            // A later capture (which copies what the earlier one read of the sealed segments) lists the
            // partition as it is on disk now: every segment file, its size and time, the new ones included.
            DepotPartition.Capture later = depot.capture(dir.resolve("p"), "depots/d/");
            List<Path> onDiskNow;
            try (var listing = Files.list(dir.resolve("p"))) {
                onDiskNow = listing.sorted().toList();
            }
            assertTrue(onDiskNow.size() > files.size(), "the appends rolled new segments");
            assertEquals(onDiskNow.size(), later.files().size());
            long total = 0;
            for (int i = 0; i < onDiskNow.size(); i++) {
                CapturedFile file = later.files().get(i);
                assertEquals("depots/d/" + onDiskNow.get(i).getFileName(), file.path());
                assertEquals(Files.size(onDiskNow.get(i)), file.size(), file.path());
                assertEquals(Files.getLastModifiedTime(onDiskNow.get(i)).toMillis(), file.modifiedMillis(), file.path());
                assertEquals(i < onDiskNow.size() - 1 ? FileKind.IMMUTABLE : FileKind.APPEND_ONLY, file.kind(), file.path());
                total += file.size();
            }
            assertEquals(300, later.endOffset());
            assertEquals(total, later.bytes());
        }
    }

    @Test
    void aTornTailIsCutOffOnOpenAndAppendsContinueAfterTheLastWholeEntry() throws Exception {
        try (DepotPartition depot = DepotPartition.open(dir, 1 << 20)) {
            for (int i = 0; i < 10; i++) {
                depot.append(payload(i));
            }
        }
        Path segment;
        try (Stream<Path> files = Files.list(dir)) {
            segment = files.findFirst().orElseThrow();
        }
        try (FileChannel channel = FileChannel.open(segment, StandardOpenOption.WRITE)) {
            channel.truncate(channel.size() - 3);
        }
        try (DepotPartition readOnly = DepotPartition.openReadOnly(dir)) {
            assertEquals(9, readOnly.endOffset());
            assertThrows(IllegalStateException.class, () -> readOnly.append(payload(0)));
        }
        try (DepotPartition depot = DepotPartition.open(dir, 1 << 20)) {
            assertEquals(9, depot.endOffset());
            assertEquals(9, depot.append(payload(9)));
            assertArrayEquals(payload(9), depot.read(9, 1).get(0).payload());
        }
    }

    @Test
    void aCorruptSealedSegmentIsRefusedWhenFirstRead() throws Exception {
        try (DepotPartition depot = DepotPartition.open(dir, 256)) {
            for (int i = 0; i < 50; i++) {
                depot.append(payload(i));
            }
        }
        Path first;
        try (Stream<Path> files = Files.list(dir)) {
            first = files.sorted().findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(first);
        bytes[bytes.length - 1] ^= 0x55;
        Files.write(first, bytes);
        // Opening reads only the active segment; the sealed one is verified when first read.
        try (DepotPartition depot = DepotPartition.open(dir, 256)) {
            assertEquals(50, depot.endOffset());
            var e = assertThrows(java.io.UncheckedIOException.class, () -> depot.read(0, 50));
            assertTrue(e.getMessage().contains("is corrupt"), e.getMessage());
        }
    }
}
