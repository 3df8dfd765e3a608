package io.modbackup.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.runtime.Parallelism;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
import io.modbackup.sim.SampleModules;
import io.modbackup.sim.SimulatedCluster;
import io.modbackup.sim.Workload;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chunk index: a backup knows which chunks the store holds from the committed backup it builds on
 * (after a restore, the backup restored), so it sends no lookup per chunk, and every chunk it sends is
 * one the store lacked. Only the jar, which no task manifest lists, is looked up.
 */
class ChunkIndexTest {
    private static final String A = SampleModules.MODULE_A;

    @TempDir
    Path dir;
    private SimulatedCluster cluster;
    private ChunkRequests provider;
    private BackupEngine engine;
    private Workload workload;

    @BeforeEach
    void setUp() throws Exception {
        cluster = new SimulatedCluster("index", dir.resolve("cluster"), 2, 64 * 1024, List.of(SampleModules.moduleA()));
        cluster.deploy(SampleModules.moduleA(), new Parallelism(4, 2, 1));
        workload = new Workload(cluster, 3, 2000, 100);
        append(3000);
        provider = new ChunkRequests(new LocalDirectoryProvider(dir.resolve("store").toString()));
        engine = new BackupEngine(cluster, provider, BackupOptions.defaults().withChunkSize(4 * 1024));
    }

    @AfterEach
    void tearDown() {
        engine.close();
        cluster.close();
    }

    private void append(int entries) throws InterruptedException {
        workload.appendBatch(A, "*events", entries);
        assertTrue(cluster.awaitCaughtUp(A, 60_000));
    }

    /** Runs a backup and returns the requests it made: [chunk lookups, chunk puts, chunks the store gained]. */
    private long[] backUp(String what) {
        Set<String> before = provider.chunkKeys();
        provider.reset();
        ModuleManifest manifest = engine.backup(A);
        long gained = provider.chunkKeys().stream().filter(k -> !before.contains(k)).count();
        long[] counts = {provider.chunkLookups.get(), provider.chunkPuts.get(), gained};
        System.out.printf("chunk index, %s backup: %d chunk lookups, %d chunk puts (%d distinct), %d chunks new to the"
                + " store, %d chunks uploaded, %d reused%n", what, counts[0], counts[1], provider.chunksPut.size(), counts[2],
                manifest.totals().chunksUploaded(), manifest.totals().chunksReused());
        // Every chunk sent was one the store lacked (the same new chunk may be sent by both Supervisors:
        // they do not share an index), and each send was counted as an upload.
        assertEquals(Set.of(), provider.chunksPut.stream().filter(before::contains).collect(Collectors.toSet()),
                what + ": chunks the store held were sent again");
        assertEquals(gained, provider.chunksPut.size(), what);
        assertEquals(counts[1], manifest.totals().chunksUploaded(), what);
        return counts;
    }

    @Test
    void fullNoChangeIncrementalAndAfterRestoreBackupsLookUpOnlyTheJar() throws Exception {
        long[] full = backUp("full");
        assertTrue(full[0] <= 1, "the full backup looks up at most the jar (inlined here): " + full[0]);
        assertTrue(full[1] > 50, "the full backup sends every chunk: " + full[1]);

        long[] noChange = backUp("no-change");
        assertTrue(noChange[0] <= 1, "no-change: " + noChange[0]);
        append(600);
        long[] incremental = backUp("incremental");
        assertTrue(incremental[0] <= 1, "new chunks are sent without a lookup each: " + incremental[0]);
        assertTrue(incremental[1] > 0 && incremental[1] < full[1], "only what changed is sent: " + incremental[1]);

        // After a restore the epoch changed: no file is reused unread, but the restored backup's chunks
        // are known, so the next backup sends nothing the store has.
        ModuleManifest first = engine.list(A, null, 100).backups().stream()
                .map(s -> engine.info(s.backupId())).min(java.util.Comparator.comparingLong(ModuleManifest::createdMillis))
                .orElseThrow();
        engine.restore(first.backupId());
        long[] afterRestore = backUp("after-restore");
        assertTrue(afterRestore[0] <= 1, "the restored backup is the chunk index: " + afterRestore[0]);
        assertTrue(afterRestore[2] < incremental[2], "only chunks written since the restore are new: " + afterRestore[2]);
    }

    @Test
    void aBackupWhoseModuleHasBackupsButNoneToBuildOnLooksChunksUp() throws Exception {
        engine.backup(A);
        // The module redeployed with another task count: no task of the old backups is this one's, so
        // the store may hold any chunk (a chunk size change alone still builds on: ChunkSizeChangeTest).
        cluster.destroy(A);
        cluster.deploy(SampleModules.moduleA(8), new Parallelism(4, 2, 1));
        append(3000);
        provider.reset();
        ModuleManifest manifest = engine.backup(A);
        assertEquals(8, manifest.tasks().size());
        assertTrue(provider.chunkLookups.get() > 50, "chunks are looked up: " + provider.chunkLookups.get());
        assertEquals(provider.chunkPuts.get(), manifest.totals().chunksUploaded());
    }
}
