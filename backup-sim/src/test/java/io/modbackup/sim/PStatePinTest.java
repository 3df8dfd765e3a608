package io.modbackup.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.runtime.CapturedFile;
import io.modbackup.api.runtime.FileKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A PState store pinned for a cut ({@link PStateStore#pin}): its SSTs are read in place and held against
 * RocksDB's deletion of obsolete files until the pin is released, so what a cut read is byte for byte what
 * it pinned while the store flushes and compacts on, and the pinned files open as the store was at the pin.
 */
class PStatePinTest {
    @TempDir
    Path dir;

    /** Commits {@code batches} batches of 200 keys each, flushing after each: every flush makes an SST. */
    private static void write(PStateStore store, int from, int batches) {
        for (int b = from; b < from + batches; b++) {
            Map<String, String> updates = new HashMap<>();
            for (int k = 0; k < 200; k++) {
                updates.put("key-" + (k * 7 + b) % 1000, "value-" + b + "-" + "x".repeat(100));
            }
            store.commit(Map.of("counts", updates), Map.of("m/d/0", (long) b), Map.of(), (long) b);
            store.flush();
        }
        store.settle();
    }

    private static Map<String, String> hashes(List<CapturedFile> files) throws Exception {
        Map<String, String> hashes = new HashMap<>();
        for (CapturedFile file : files) {
            byte[] bytes = Files.readAllBytes(file.source());
            assertEquals(file.size(), bytes.length, file.path());
            hashes.put(file.path(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
        }
        return hashes;
    }

    /** Copies the pinned files to {@code target} at their names, as a restore would. */
    private static void materialize(List<CapturedFile> files, String prefix, Path target) throws IOException {
        Files.createDirectories(target);
        for (CapturedFile file : files) {
            assertTrue(file.path().startsWith(prefix + "/"), file.path());
            Files.copy(file.source(), target.resolve(file.path().substring(prefix.length() + 1)));
        }
    }

    @Test
    void pinnedSstsOutliveCompactionUnchangedAndGoOnceReleased() throws Exception {
        try (PStateStore store = PStateStore.open(dir.resolve("store"), List.of("counts"))) {
            write(store, 0, 6);
            SortedMap<String, String> atPin = store.content("counts");
            PStatePins.Pin pin = store.pin(dir.resolve("cut/pstates/t"), "pstates/t");
            List<CapturedFile> files = pin.files();
            List<String> ssts = files.stream().filter(f -> f.kind() == FileKind.IMMUTABLE)
                    .map(f -> f.path().substring("pstates/t/".length())).toList();
            assertEquals(store.liveSstFiles(), ssts);
            assertEquals(List.of("CURRENT", "MANIFEST", "OPTIONS"), files.stream().filter(f -> f.kind() == FileKind.MUTABLE)
                    .map(f -> f.path().substring("pstates/t/".length()).replaceFirst("-\\d+$", "")).toList());
            assertEquals(files.stream().map(CapturedFile::path).sorted().toList(), files.stream().map(CapturedFile::path).toList());
            Map<String, String> before = hashes(files);

            write(store, 6, 12);
            List<String> compactedAway = ssts.stream().filter(s -> !store.liveSstFiles().contains(s)).toList();
            assertFalse(compactedAway.isEmpty(), "no pinned SST was compacted away; the test proves nothing");
            for (String sst : compactedAway) {
                assertTrue(Files.exists(dir.resolve("store").resolve(sst)), sst + " was deleted while pinned");
            }
            assertEquals(before, hashes(files));
            materialize(files, "pstates/t", dir.resolve("restored"));
            try (PStateStore restored = PStateStore.openReadOnly(dir.resolve("restored"))) {
                assertEquals(atPin, restored.content("counts"));
                assertEquals(5, restored.progress().commitId());
            }

            pin.release();
            pin.release(); // idempotent: a second release must not unpin another cut's hold
            write(store, 18, 1);
            for (String sst : compactedAway) {
                assertFalse(Files.exists(dir.resolve("store").resolve(sst)), sst + " outlived its pin's release");
            }
        }
    }

    @Test
    void twoPinsHoldUntilBothAreReleased() throws Exception {
        try (PStateStore store = PStateStore.open(dir.resolve("store"), List.of("counts"))) {
            write(store, 0, 6);
            PStatePins.Pin first = store.pin(dir.resolve("cut-1"), "p");
            PStatePins.Pin second = store.pin(dir.resolve("cut-2"), "p");
            List<String> pinned = store.liveSstFiles();
            Map<String, String> before = hashes(second.files());
            first.release();
            write(store, 6, 12);
            List<String> compactedAway = pinned.stream().filter(s -> !store.liveSstFiles().contains(s)).toList();
            assertFalse(compactedAway.isEmpty());
            for (String sst : compactedAway) {
                assertTrue(Files.exists(dir.resolve("store").resolve(sst)), sst + " was deleted while the second pin held it");
            }
            assertEquals(before, hashes(second.files()));
            second.release();
            write(store, 18, 1);
            for (String sst : compactedAway) {
                assertFalse(Files.exists(dir.resolve("store").resolve(sst)), sst);
            }
        }
    }

    @Test
    void aStoreClosedWhilePinnedKeepsThePinnedSstsThroughItsReopening() throws Exception {
        PStateStore store = PStateStore.open(dir.resolve("store"), List.of("counts"));
        write(store, 0, 6);
        SortedMap<String, String> atPin = store.content("counts");
        PStatePins.Pin pin = store.pin(dir.resolve("cut/pstates/t"), "pstates/t");
        Map<String, String> before = hashes(pin.files());
        write(store, 6, 12);
        store.close();
        try (PStateStore reopened = PStateStore.open(dir.resolve("store"), List.of("counts"))) {
            // RocksDB deleted what it no longer needs as it opened; the cut reads its own hard links.
            write(reopened, 18, 6);
            assertEquals(before, hashes(pin.files()));
            assertTrue(Files.isSymbolicLink(dir.resolve("cut/pstates/t").resolve(PStatePins.LIVE_LINK)));
            assertEquals(dir.resolve("cut/pstates/t").resolve(PStatePins.KEPT).toAbsolutePath(),
                    Files.readSymbolicLink(dir.resolve("cut/pstates/t").resolve(PStatePins.LIVE_LINK)));
            materialize(pin.files(), "pstates/t", dir.resolve("restored"));
            pin.release(); // the store that took it is closed: nothing to do
        }
        try (PStateStore restored = PStateStore.openReadOnly(dir.resolve("restored"))) {
            assertEquals(atPin, restored.content("counts"));
        }
    }
}
