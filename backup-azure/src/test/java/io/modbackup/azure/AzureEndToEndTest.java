package io.modbackup.azure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.runtime.CutDescriptor;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.core.crypto.LocalMasterKey;
import io.modbackup.core.engine.BackupEngine;
import io.modbackup.core.engine.BackupOptions;
import io.modbackup.core.engine.RestoreResult;
import io.modbackup.core.gc.GcReport;
import io.modbackup.core.seal.Compression;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.sim.ConsistencyOracle;
import io.modbackup.sim.CutFiles;
import io.modbackup.sim.SampleModules;
import io.modbackup.sim.SimulatedCluster;
import io.modbackup.sim.Workload;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine through Azurite: a full and an incremental backup, the listing, a deep verify, a restore
 * the oracle accepts, a GC that keeps one backup, and an encrypted store whose blobs carry none of the
 * module's bytes in the clear.
 */
class AzureEndToEndTest {
    private static final String A = SampleModules.MODULE_A;

    @RegisterExtension
    static final AzuriteExtension AZURITE = new AzuriteExtension();

    @TempDir
    Path dir;

    @Test
    void backupIncrementalListVerifyRestoreAndGcThroughAzurePassTheOracle() throws Exception {
        try (SimulatedCluster cluster = SimulatedCluster.withSampleModules(dir.resolve("cluster"));
             AzureBlobBackupProvider azure = AZURITE.server().newProvider("clusters/test");
             BackupEngine engine = new BackupEngine(cluster, azure, BackupOptions.defaults().withChunkSize(1024 * 1024))) {
            cluster.deploy(SampleModules.moduleA(), new Parallelism(4, 2, 1));
            cluster.deploy(SampleModules.moduleB(), new Parallelism(2, 2, 1));
            Workload workload = new Workload(cluster, 3, 3000, 200);
            workload.appendBatch(A, "*events", 6000);
            assertTrue(cluster.awaitSettled(A, 60_000));

            ModuleManifest full = engine.backup(A);
            ModuleManifest noChange = engine.backup(A);
            assertEquals(0, noChange.totals().chunksUploaded(), "a backup of unchanged state uploads no chunk: " + noChange.totals());
            workload.appendBatch(A, "*events", 1000);
            assertTrue(cluster.awaitSettled(A, 60_000));
            ModuleManifest incremental = engine.backup(A);
            assertTrue(incremental.totals().chunksReused() > 0, "the incremental backup reuses chunks: " + incremental.totals());
            assertEquals(List.of(incremental.backupId(), noChange.backupId(), full.backupId()), listed(engine));
            assertTrue(engine.verify(full.backupId(), true).ok());
            assertTrue(engine.verify(incremental.backupId(), true).ok());

            workload.appendBatch(A, "*events", 500);
            assertTrue(cluster.awaitCaughtUp(A, 60_000));
            RestoreResult restored = engine.restore(full.backupId());
            assertEquals(1, restored.marker().epoch());
            CutDescriptor cut = cluster.captureCut(A);
            try {
                ConsistencyOracle.Report report = new ConsistencyOracle(cluster::definition, cluster.liveDepots())
                        .check(A, CutFiles.materialize(cluster, cut, dir.resolve("check")));
                assertEquals(6000 * 2, report.entriesReplayed(), "both topologies replay the 6000 backed-up entries");
            } finally {
                cluster.releaseCut(A, cut.cutId());
            }

            // Keep only the newest: any age is past the maximum of 0 hours.
            cluster.setDynamicOption(A, "backup.max.age.hours", "0");
            cluster.setDynamicOption(A, "backup.min.backups.to.keep", "1");
            GcReport gc = engine.gc(false);
            assertEquals(List.of(full.backupId(), noChange.backupId()), gc.deletedBackups().stream().sorted().toList());
            assertTrue(gc.deletedChunks() > 0, gc.toString());
            assertEquals(List.of(incremental.backupId()), listed(engine));
            assertTrue(engine.verify(incremental.backupId(), true).ok(), "what the GC kept is whole");
        }
    }

    /**
     * With compression off, so that only the encryption can hide them: an unencrypted store on one Azurite
     * holds the workload's padding in its blob files (the check can see it), an encrypted one on another
     * holds none of it, and still verifies and restores.
     */
    @Test
    void anEncryptedStoreOnAzureHidesTheModulesBytesAndRestores() throws Exception {
        byte[] material = new byte[32];
        java.util.Arrays.fill(material, (byte) 7);
        BackupOptions plain = BackupOptions.defaults().withChunkSize(256 * 1024).withCompression(Compression.NONE);
        try (SimulatedCluster cluster = SimulatedCluster.withSampleModules(dir.resolve("cluster"));
             AzuriteServer clear = new AzuriteServer(dir.resolve("azurite-clear"));
             AzuriteServer sealed = new AzuriteServer(dir.resolve("azurite-sealed"))) {
            cluster.deploy(SampleModules.moduleA(), new Parallelism(2, 2, 1));
            new Workload(cluster, 5, 300, PADDING).appendBatch(A, "*events", 2000);
            assertTrue(cluster.awaitSettled(A, 60_000));
            try (AzureBlobBackupProvider azure = clear.newProvider("plain");
                 BackupEngine engine = new BackupEngine(cluster, azure, plain)) {
                engine.backup(A);
            }
            assertTrue(paddingRuns(clear.directory()) > 0, "an unencrypted store shows the padding");
            try (AzureBlobBackupProvider azure = sealed.newProvider("encrypted");
                 BackupEngine engine = new BackupEngine(cluster, azure, plain.withMasterKey(new LocalMasterKey(material)))) {
                ModuleManifest backup = engine.backup(A);
                assertEquals(0, paddingRuns(sealed.directory()), "an encrypted store shows none of the module's bytes");
                assertTrue(engine.verify(backup.backupId(), true).ok());
                assertEquals(1, engine.restore(backup.backupId()).marker().epoch());
            }
        }
    }

    private static final int PADDING = 64;

    /** Files under {@code dir} holding a workload entry's padding: one letter {@link #PADDING} times. */
    private static long paddingRuns(Path dir) throws java.io.IOException {
        java.util.regex.Pattern run = java.util.regex.Pattern.compile("([a-z])\\1{" + (PADDING - 1) + "}");
        try (Stream<Path> stored = Files.walk(dir)) {
            long found = 0;
            for (Path file : stored.filter(Files::isRegularFile).toList()) {
                if (run.matcher(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1)).find()) {
                    found++;
                }
            }
            return found;
        }
    }

    private static List<String> listed(BackupEngine engine) {
        return engine.list(A, null, 100).backups().stream().map(b -> b.backupId()).toList();
    }
}
