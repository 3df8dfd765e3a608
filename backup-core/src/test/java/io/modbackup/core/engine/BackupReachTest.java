package io.modbackup.core.engine;

import static io.modbackup.core.engine.EngineFixture.A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.runtime.FileKind;
import io.modbackup.core.hash.Hashing;
import io.modbackup.core.manifest.FileEntry;
import io.modbackup.core.manifest.ManifestCodec;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.manifest.TaskManifest;
import io.modbackup.core.manifest.TaskRef;
import io.modbackup.core.store.BackupStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a committed backup reaches: the one walk behind verify and GC. Every chunk of every file and of
 * the jar, each with its size, every file told to the caller jar first, and unreadable task manifests named.
 */
class BackupReachTest {
    @TempDir
    Path dir;
    EngineFixture f;
    BackupStore store;
    ModuleManifest backup;

    @BeforeEach
    void setUp() throws Exception {
        f = new EngineFixture(dir);
        f.write(1500);
        backup = f.engine.backup(A);
        store = new BackupStore(io.modbackup.core.store.SealingProvider.reader(f.store(), Runnable::run), new ManifestCodec(), Runnable::run);
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    private static void expectChunks(FileEntry file, int chunkSize, Map<String, Long> into) {
        if (file.pack() != null) {
            into.put(file.chunks().get(0), file.pack().packSize()); // a pack of small files: its whole length
            return;
        }
        long left = file.size();
        for (String chunk : file.chunks()) {
            into.put(chunk, Math.min(left, chunkSize));
            left -= chunkSize;
        }
    }

    @Test
    void itReachesEveryChunkOfEveryFileAndOfTheJarWithItsSize() {
        // A jar of two and a half chunks, as a real module's jar of several MB would be.
        int chunk = backup.chunkSize();
        List<String> jarChunks = List.of(Hashing.sha256Hex(new byte[] {1}), Hashing.sha256Hex(new byte[] {2}),
                Hashing.sha256Hex(new byte[] {3}));
        FileEntry jar = new FileEntry("module.jar", FileKind.IMMUTABLE, 2L * chunk + chunk / 2, 0,
                Hashing.sha256Hex(new byte[] {4}), jarChunks, null);
        ModuleManifest withJar = new ModuleManifest(backup.version(), backup.backupId(), backup.module(), backup.clusterId(),
                backup.createdMillis(), backup.completedMillis(), backup.restoreEpoch(), chunk, backup.descriptor(),
                backup.commitIds(), jar, backup.tasks(), backup.totals(), null);

        List<FileEntry> told = new ArrayList<>();
        BackupStore.Reach reach = store.reach(withJar, told::add);

        Map<String, Long> expected = new HashMap<>();
        List<FileEntry> files = new ArrayList<>(List.of(jar));
        expectChunks(jar, chunk, expected);
        for (TaskRef ref : backup.tasks()) {
            TaskManifest task = store.taskManifest(backup, ref);
            files.addAll(task.files());
            task.files().forEach(file -> expectChunks(file, chunk, expected));
        }
        assertEquals(chunk, expected.get(jarChunks.get(0)));
        assertEquals(chunk / 2, expected.get(jarChunks.get(2)), "the jar's last chunk is half a chunk");
        assertTrue(files.stream().anyMatch(file -> file.chunks().size() > 1), "some task file spans several chunks");
        assertTrue(files.stream().anyMatch(file -> file.pack() != null), "some task file is packed");
        assertEquals(expected, reach.chunks());
        assertEquals(files, told, "every file told, the jar first");
        assertEquals(files.size(), reach.files());
        assertEquals(backup.tasks().size(), reach.taskManifests());
        assertEquals(List.of(), reach.unreadable());
    }

    @Test
    void anUnreadableTaskManifestIsNamedAndTheOthersAreStillWalked() throws Exception {
        TaskRef lost = backup.tasks().get(2);
        f.store().deleteObject(lost.key()).get();
        BackupStore.Reach reach = store.reach(backup, file -> { });
        assertEquals(backup.tasks().size() - 1, reach.taskManifests());
        assertEquals(List.of("task manifest 2 of backup " + backup.backupId() + " is missing (" + lost.key() + ")"),
                reach.unreadable());
        long files = 1 + backup.tasks().stream().filter(ref -> ref != lost).mapToLong(TaskRef::files).sum();
        assertEquals(files, reach.files());
    }
}
