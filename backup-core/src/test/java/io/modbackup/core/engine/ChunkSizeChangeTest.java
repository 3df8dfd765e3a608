package io.modbackup.core.engine;

import static io.modbackup.core.engine.EngineFixture.A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.runtime.CapturedFile;
import io.modbackup.api.runtime.CutDescriptor;
import io.modbackup.api.runtime.TaskCut;
import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.hash.Hashing;
import io.modbackup.core.manifest.FileEntry;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.manifest.TaskRef;
import io.modbackup.core.store.BackupStore;
import io.modbackup.core.store.StoreLayout;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backup is read by the chunk size it records, never by the reading engine's setting: backed up at
 * 4 KiB and restored by an engine at 8 KiB, and the other way round, on files of many chunks, the
 * restored files are the bytes the backup's cut captured, and the next backup (at the new size) builds
 * on the old one and restores too. Deep verify and restore agree on a backup's health whatever the
 * reading engine's chunk size.
 */
class ChunkSizeChangeTest {
    private static final int SMALL = 4 * 1024;
    private static final int LARGE = 8 * 1024;

    @TempDir
    Path dir;
    private EngineFixture f;
    private ChunkRequests counting;

    @BeforeEach
    void setUp() throws Exception {
        f = new EngineFixture(dir, BackupOptions.defaults().withChunkSize(SMALL));
        counting = new ChunkRequests(f.provider);
        f.write(3000);
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    private BackupEngine engineAt(int chunkSize) {
        return new BackupEngine(f.cluster, counting, BackupOptions.defaults().withChunkSize(chunkSize));
    }

    @Test
    void aBackupAtASmallerChunkSizeIsRestoredByAnEngineAtALargerOne() throws Exception {
        changeChunkSize(SMALL, LARGE);
    }

    @Test
    void aBackupAtALargerChunkSizeIsRestoredByAnEngineAtASmallerOne() throws Exception {
        changeChunkSize(LARGE, SMALL);
    }

    private void changeChunkSize(int from, int to) throws Exception {
        try (BackupEngine before = engineAt(from); BackupEngine after = engineAt(to)) {
            settle();
            ModuleManifest old = before.backup(A);
            assertEquals(from, old.chunkSize());
            Map<String, String> captured = cutContent();
            assertEquals(captured, manifestContent(old), "the backup holds exactly the files and bytes of a cut of"
                    + " the quiet module");
            assertTrue(filesOfSeveralChunks(old) >= 4, "files span several chunks: " + filesOfSeveralChunks(old));

            f.write(500); // live state moves on, so the restore has something to undo
            VerifyReport report = after.verify(old.backupId(), true);
            assertEquals(java.util.List.of(), report.problems());
            restore(after, old.backupId(), captured);

            // The next backup is at the new chunk size and builds on the restored one's chunks.
            f.write(300);
            settle();
            counting.reset();
            ModuleManifest next = after.backup(A);
            assertEquals(to, next.chunkSize());
            assertEquals(0, counting.chunkLookups.get() - (next.jar().inline() == null ? 1 : 0),
                    "a source of another chunk size is still the chunk index: no chunk of the tasks is looked up");
            assertEquals(counting.chunkPuts.get(), next.totals().chunksUploaded());
            System.out.printf("chunk size %d -> %d: the first backup at the new size sent %d of %d chunks (%d reused),"
                    + " looked up none; the full backup at the old size sent %d%n", from, to, next.totals().chunksUploaded(),
                    next.totals().chunksUploaded() + next.totals().chunksReused(), next.totals().chunksReused(),
                    old.totals().chunksUploaded());
            Map<String, String> capturedNext = cutContent();
            assertEquals(capturedNext, manifestContent(next));
            assertTrue(after.verify(next.backupId(), true).ok());
            assertTrue(before.verify(next.backupId(), true).ok(), "an engine of the old chunk size verifies it too");

            f.write(200);
            restore(before, next.backupId(), capturedNext); // by an engine of the old chunk size
            // And both backups stay restorable by either engine.
            restore(after, old.backupId(), captured);
            restore(before, old.backupId(), captured);
        }
    }

    /**
     * Restores {@code backupId} with {@code engine}, checking every staged file against the backup's
     * manifest before the install (so against the bytes of the cut, which {@code captured} equals), then
     * that the live depot segments are the captured bytes (RocksDB rewrites its own metadata files on
     * reopening, so PStates are checked by the oracle) and the depots end where the backup's did.
     */
    private void restore(BackupEngine engine, String backupId, Map<String, String> captured) throws Exception {
        f.restoreChecked(engine, backupId, "*events");
        assertEquals(depots(captured), depots(cutContent()), "the restored depots hold the backup's bytes");
        f.checkLive(A, "after-" + backupId);
    }

    private static Map<String, String> depots(Map<String, String> content) {
        Map<String, String> depots = new TreeMap<>(content);
        depots.keySet().removeIf(path -> !path.contains("/depots/"));
        assertFalse(depots.isEmpty());
        return depots;
    }

    @Test
    void supervisorWorkersSplitFilesByTheCoordinatorsChunkSizeNotTheirOwn() throws Exception {
        // Every node takes --chunk-size: Supervisors started with another value than the Conductor's.
        Map<String, SupervisorWorker> workers = new java.util.concurrent.ConcurrentHashMap<>();
        try (BackupEngine coordinator = new BackupEngine(f.cluster, counting, BackupOptions.defaults().withChunkSize(SMALL),
                id -> workers.computeIfAbsent(id, s -> new SupervisorWorker(f.cluster.supervisor(s), counting,
                        BackupOptions.defaults().withChunkSize(LARGE))))) {
            settle();
            ModuleManifest backup = coordinator.backup(A);
            assertEquals(SMALL, backup.chunkSize());
            Map<String, String> captured = cutContent();
            assertEquals(captured, manifestContent(backup));
            assertTrue(filesOfSeveralChunks(backup) >= 4);
            assertEquals(java.util.List.of(), coordinator.verify(backup.backupId(), true).problems());
            f.write(500);
            restore(coordinator, backup.backupId(), captured);
        } finally {
            workers.values().forEach(SupervisorWorker::close);
        }
    }

    @Test
    void deepVerifyAndRestoreAgreeOnABackupsHealthAtEveryChunkSize() throws Exception {
        ModuleManifest backup;
        try (BackupEngine writer = engineAt(SMALL)) {
            backup = writer.backup(A);
        }
        for (int chunkSize : new int[] {SMALL, LARGE, 2 * 1024}) {
            try (BackupEngine reader = engineAt(chunkSize)) {
                assertTrue(reader.verify(backup.backupId(), true).ok(), chunkSize + ": healthy");
                f.restoreChecked(reader, backup.backupId(), "*events");
            }
        }
        // One flipped byte in the second chunk of a multi-chunk file: both refuse it, at every chunk size.
        FileEntry file = aFileOfSeveralChunks(backup);
        String chunk = file.chunks().get(1);
        flipByte(dir.resolve("store").resolve(StoreLayout.chunkKey(chunk)));
        Map<Integer, Long> ends = f.depotEnds();
        var marker = f.cluster.restoreMarker(A);
        for (int chunkSize : new int[] {SMALL, LARGE, 2 * 1024}) {
            try (BackupEngine reader = engineAt(chunkSize)) {
                VerifyReport report = reader.verify(backup.backupId(), true);
                assertFalse(report.ok(), chunkSize + ": deep verify finds the flipped byte");
                assertTrue(report.problems().stream().anyMatch(p -> p.contains(chunk)), report.problems().toString());
                CorruptBackupException refused = assertThrows(CorruptBackupException.class,
                        () -> reader.restore(backup.backupId()));
                assertTrue(refused.getMessage().contains(chunk) && refused.getMessage().contains("is corrupt"),
                        refused.getMessage());
                assertEquals(marker, f.cluster.restoreMarker(A), "nothing was installed");
                assertEquals(ends, f.depotEnds(), "live depots are as they were");
            }
        }
    }

    // ------------------------------------------------------------------ oracles

    /** Nothing changes on disk until the next append: a cut taken next captures what a backup did. */
    private void settle() throws InterruptedException {
        assertTrue(f.cluster.awaitSettled(A, 60_000));
    }

    /** Task and path of every file of a fresh cut of module A, to the SHA-256 of its captured bytes. */
    private Map<String, String> cutContent() throws Exception {
        assertTrue(f.cluster.awaitCaughtUp(A, 60_000));
        CutDescriptor cut = f.cluster.captureCut(A);
        try {
            Map<String, String> content = new TreeMap<>();
            for (TaskCut task : cut.tasks()) {
                for (CapturedFile file : f.cluster.supervisor(task.supervisorId()).cutFiles(A, cut.cutId(), task.task())) {
                    content.put(task.task() + "/" + file.path(), sha256(file.source(), file.size()));
                }
            }
            return content;
        } finally {
            f.cluster.releaseCut(A, cut.cutId());
        }
    }

    /** The same map, from a backup's task manifests. */
    private Map<String, String> manifestContent(ModuleManifest manifest) {
        BackupStore store = f.reader();
        Map<String, String> content = new TreeMap<>();
        for (TaskRef ref : manifest.tasks()) {
            for (FileEntry file : store.taskManifest(manifest, ref).files()) {
                content.put(ref.task() + "/" + file.path(), file.sha256());
            }
        }
        return content;
    }

    private long filesOfSeveralChunks(ModuleManifest manifest) {
        BackupStore store = f.reader();
        return manifest.tasks().stream().flatMap(ref -> store.taskManifest(manifest, ref).files().stream())
                .filter(file -> file.chunks().size() > 1).count();
    }

    private FileEntry aFileOfSeveralChunks(ModuleManifest manifest) {
        BackupStore store = f.reader();
        return manifest.tasks().stream().flatMap(ref -> store.taskManifest(manifest, ref).files().stream())
                .filter(file -> file.chunks().size() > 2).findFirst().orElseThrow();
    }

    private static String sha256(Path file, long size) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[64 * 1024];
            long left = size;
            for (int n; left > 0 && (n = in.read(buffer, 0, (int) Math.min(buffer.length, left))) > 0; left -= n) {
                digest.update(buffer, 0, n);
            }
            assertEquals(0, left, file + " is shorter than its captured size");
        }
        return Hashing.hex(digest);
    }

    private static void flipByte(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer one = java.nio.ByteBuffer.allocate(1);
            long at = channel.size() / 2;
            channel.read(one, at);
            one.put(0, (byte) (one.get(0) ^ 0x5a)).rewind();
            channel.write(one, at);
        }
    }
}
