package io.modbackup.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.fs.FileTrees;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
import io.modbackup.sim.SampleModules;
import io.modbackup.sim.SimulatedCluster;
import io.modbackup.sim.Workload;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local provider syncs a backup's chunks once, at the barrier before anything refers to them, not one
 * object at a time; these tests prove that a crash before that barrier never lets a torn chunk into a later
 * backup. A real backup runs in a child process ({@link UnsyncedBackupChild}) that is killed with SIGKILL once
 * its chunks are stored and none synced. What a power loss at that moment could leave is then made on disk:
 * every unsynced chunk cut to half its bytes, and the journal of unsynced writes dated to an earlier boot
 * (which is what the next boot would find). A backup of the same module must then write those chunks again
 * and verify whole; the same backup into a copy of the store without the journal (a provider that kept
 * none) takes the torn chunks as stored, which deep verify catches, so the first assertion can fail.
 */
class UnsyncedCrashTest {
    private static final String A = SampleModules.MODULE_A;
    /** A boot ID that is not this machine's: the journal then looks as it would after a restart. */
    private static final String EARLIER_BOOT = "00000000-0000-0000-0000-000000000000";

    @TempDir
    Path dir;

    @Test
    void aPowerLossBeforeTheBarrierTearsChunksThatTheNextBackupWritesAgain() throws Exception {
        Path cluster = prepareCluster();
        Path store = dir.resolve("store");
        killAtFirstBarrier(cluster, store);
        Path journal = onlyJournal(store);
        Map<Path, Long> torn = new LinkedHashMap<>();
        for (Path object : journaledChunks(store, journal)) {
            long size = Files.size(object);
            try (FileChannel channel = FileChannel.open(object, StandardOpenOption.WRITE)) {
                channel.truncate(size / 2);
            }
            torn.put(object, size);
        }
        assertFalse(torn.isEmpty(), "the killed backup stored chunks before its first barrier");
        Files.move(journal, journal.resolveSibling(EARLIER_BOOT + journal.getFileName().toString()
                .substring(journal.getFileName().toString().indexOf('_'))));
        Path control = dir.resolve("store-without-journal");
        copyTree(store, control);
        FileTrees.deleteTree(control.resolve(".modbackup-tmp/unsynced"));

        try (SimulatedCluster reopened = reopen(cluster)) {
            try (LocalDirectoryProvider provider = new LocalDirectoryProvider(store.toString());
                 BackupEngine engine = new BackupEngine(reopened, provider, options())) {
                ModuleManifest backup = engine.backup(A);
                VerifyReport report = engine.verify(backup.backupId(), true);
                assertTrue(report.ok(), "the backup after the crash verifies: " + report.problems());
                // A pack of small files is formed anew by each backup: the torn chunks this one refers to are
                // the files' own chunks and the packs that came out the same.
                List<Path> met = torn.keySet().stream().filter(referencedBy(provider, backup, store)::contains).toList();
                assertFalse(met.isEmpty(), "the new backup refers to chunks the crashed one tore");
                assertEquals(met, met.stream().filter(object -> size(object) == torn.get(object)).toList(),
                        "every torn chunk the new backup met was written whole again");
            }
            assertFalse(Files.exists(journal.getParent()) && list(journal.getParent()).stream()
                    .anyMatch(Files::isDirectory), "the crashed writer's journal is settled");

            try (LocalDirectoryProvider provider = new LocalDirectoryProvider(control.toString());
                 BackupEngine engine = new BackupEngine(reopened, provider, options())) {
                ModuleManifest backup = engine.backup(A);
                VerifyReport report = engine.verify(backup.backupId(), true);
                assertFalse(report.ok(), "without the journal the torn chunks pass for stored, and verify finds them");
            }
        }
    }

    @Test
    void aWriterKilledWithoutARestartLeavesWholeChunksThatAreSyncedAndReused() throws Exception {
        Path cluster = prepareCluster();
        Path store = dir.resolve("store");
        killAtFirstBarrier(cluster, store);
        Path journal = onlyJournal(store);
        Map<Path, FileTime> stored = new LinkedHashMap<>();
        for (Path object : journaledChunks(store, journal)) {
            stored.put(object, Files.getLastModifiedTime(object));
        }
        assertFalse(stored.isEmpty());
        try (SimulatedCluster reopened = reopen(cluster);
             LocalDirectoryProvider provider = new LocalDirectoryProvider(store.toString());
             BackupEngine engine = new BackupEngine(reopened, provider, options())) {
            assertFalse(Files.exists(journal), "the dead writer's journal is settled when the store is opened");
            ModuleManifest backup = engine.backup(A);
            assertTrue(engine.verify(backup.backupId(), true).ok());
            List<Path> met = stored.keySet().stream().filter(referencedBy(provider, backup, store)::contains).toList();
            assertFalse(met.isEmpty(), "the new backup refers to chunks the killed one stored");
            assertTrue(backup.totals().chunksReused() >= met.size(), "the whole chunks are reused: "
                    + backup.totals().chunksReused() + " of " + met.size());
            for (Path object : met) {
                assertEquals(stored.get(object), Files.getLastModifiedTime(object), "not written again: " + object);
            }
        }
    }

    private static BackupOptions options() {
        return BackupOptions.defaults().withChunkSize(EngineFixture.CHUNK);
    }

    private Path prepareCluster() throws InterruptedException {
        Path root = dir.resolve("cluster");
        try (SimulatedCluster cluster = reopen(root)) {
            cluster.deploy(SampleModules.moduleA(), new Parallelism(4, 2, 1));
            new Workload(cluster, 11, 2000, 100).appendBatch(A, "*events", 3000);
            assertTrue(cluster.awaitSettled(A, 120_000), "topologies caught up");
        }
        return root;
    }

    private static SimulatedCluster reopen(Path root) {
        return new SimulatedCluster("test-cluster", root, 2, 256 * 1024, List.of(SampleModules.moduleA()));
    }

    /** Runs {@link UnsyncedBackupChild} until it reports its first barrier, then kills it with SIGKILL. */
    private static void killAtFirstBarrier(Path cluster, Path store) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                UnsyncedBackupChild.class.getName(), cluster.toString(), store.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            CompletableFuture<Boolean> reached = CompletableFuture.supplyAsync(() -> {
                try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = out.readLine()) != null; ) {
                        if (line.equals(UnsyncedBackupChild.AT_BARRIER)) {
                            return true;
                        }
                    }
                    return false;
                } catch (IOException e) {
                    return false;
                }
            });
            assertTrue(reached.get(5, TimeUnit.MINUTES), "the child backup reached its first barrier");
        } finally {
            child.destroyForcibly();
            child.waitFor();
        }
    }

    /** The chunk files under {@code store} that {@code backup} reaches. */
    private static java.util.Set<Path> referencedBy(LocalDirectoryProvider provider, ModuleManifest backup, Path store) {
        io.modbackup.core.store.BackupStore reader = new io.modbackup.core.store.BackupStore(
                io.modbackup.core.store.SealingProvider.reader(provider, Runnable::run),
                new io.modbackup.core.manifest.ManifestCodec(), Runnable::run);
        java.util.Set<Path> objects = new java.util.HashSet<>();
        reader.reach(backup, file -> { }).chunks().keySet()
                .forEach(sha -> objects.add(store.resolve(io.modbackup.core.store.StoreLayout.chunkKey(sha))));
        return objects;
    }

    private static Path onlyJournal(Path store) throws IOException {
        List<Path> journals = list(store.resolve(".modbackup-tmp/unsynced")).stream()
                .filter(Files::isDirectory).filter(p -> !p.getFileName().toString().startsWith(".")).toList();
        assertEquals(1, journals.size(), "the killed writer left one journal: " + journals);
        return journals.get(0);
    }

    /** The chunk files the journal names: stored by the killed backup, never synced. */
    private static List<Path> journaledChunks(Path store, Path journal) throws IOException {
        List<Path> entries = new java.util.ArrayList<>();
        for (Path shard : list(journal)) {
            if (Files.isDirectory(shard)) {
                entries.addAll(list(shard));
            }
        }
        return entries.stream().map(p -> p.getFileName().toString())
                .filter(name -> name.contains("_blobs%2F"))
                .map(name -> store.resolve(name.substring(name.indexOf('_') + 1).replace("%2F", "/")))
                .filter(Files::exists).toList();
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : paths.toList()) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(path, target);
                }
            }
        }
    }

    private static List<Path> list(Path directory) throws IOException {
        try (Stream<Path> entries = Files.list(directory)) {
            return entries.toList();
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return -1;
        }
    }
}
