package io.modbackup.core.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.core.hash.Hashing;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A region of a file as a resettable, self-hashing stream: what a retried chunk upload reads from. */
class RegionInputStreamTest {
    @TempDir
    Path dir;

    private static byte[] bytes(int size) {
        byte[] data = new byte[size];
        for (int i = 0; i < size; i++) {
            data[i] = (byte) (i * 7 + 200);
        }
        return data;
    }

    @Test
    void itHandsOutExactlyTheRegionAndHashesIt() throws Exception {
        byte[] data = bytes(1000);
        Path file = Files.write(dir.resolve("f"), data);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            RegionInputStream in = new RegionInputStream(channel, 100, 300, io.modbackup.core.hash.ContentHash.SHA256);
            byte[] buffer = new byte[1000];
            int n = in.read(buffer, 10, 1000 - 10);
            assertEquals(300, n, "never past the region's end, however much is asked for");
            assertArrayEquals(Arrays.copyOfRange(data, 100, 400), Arrays.copyOfRange(buffer, 10, 310));
            assertEquals(-1, in.read(buffer, 0, 10), "the region is over");
            in.reset();
            assertEquals(100, in.read(buffer, 0, 100));
            assertEquals(200, in.read(buffer, 100, 900), "the rest of the region, not more, however much is asked for");
            assertArrayEquals(Arrays.copyOfRange(data, 100, 400), Arrays.copyOfRange(buffer, 0, 300));
            assertEquals(-1, in.read());
            assertEquals(Hashing.sha256Hex(Arrays.copyOfRange(data, 100, 400)), in.hex());
        }
    }

    @Test
    void singleByteReadsAreUnsignedAndEndWithMinusOne() throws Exception {
        byte[] data = {(byte) 0xFF, 0x01, (byte) 0x80};
        Path file = Files.write(dir.resolve("f"), data);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            RegionInputStream in = new RegionInputStream(channel, 0, 3, io.modbackup.core.hash.ContentHash.SHA256);
            assertEquals(0xFF, in.read());
            assertEquals(0x01, in.read());
            assertEquals(0x80, in.read());
            assertEquals(-1, in.read());
            assertEquals(Hashing.sha256Hex(data), in.hex());
        }
    }

    @Test
    void resetRewindsToTheRegionsStartAndRestartsTheHash() throws Exception {
        byte[] data = bytes(500);
        Path file = Files.write(dir.resolve("f"), data);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            RegionInputStream in = new RegionInputStream(channel, 50, 200, io.modbackup.core.hash.ContentHash.SHA256);
            assertTrue(in.markSupported(), "a retrying provider resets only streams that support it");
            in.mark(Integer.MAX_VALUE);
            in.readNBytes(120);
            in.reset();
            byte[] again = in.readAllBytes();
            assertArrayEquals(Arrays.copyOfRange(data, 50, 250), again);
            assertEquals(Hashing.sha256Hex(again), in.hex(), "only the bytes read since the reset are hashed");
        }
    }

    @Test
    void aFileThatEndsInsideTheRegionFailsTheRead() throws Exception {
        Path file = Files.write(dir.resolve("f"), bytes(100));
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            RegionInputStream in = new RegionInputStream(channel, 60, 80, io.modbackup.core.hash.ContentHash.SHA256);
            assertEquals(40, in.read(new byte[80], 0, 80));
            IOException e = assertThrows(IOException.class, () -> in.read(new byte[80], 0, 80));
            assertEquals("file ended at byte 100, inside the region being uploaded", e.getMessage());
        }
    }
}
