package io.modbackup.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.runtime.CutDescriptor;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.core.engine.BackupEngine;
import io.modbackup.core.engine.BackupOptions;
import io.modbackup.core.engine.RestoreResult;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.sim.ConsistencyOracle;
import io.modbackup.sim.CutFiles;
import io.modbackup.sim.SampleModules;
import io.modbackup.sim.SimulatedCluster;
import io.modbackup.sim.Workload;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine backs up and restores the simulated cluster through S3; the oracle checks the result.
 * Each S3-speaking server the tests start extends it.
 */
abstract class EndToEndThroughS3 {
    private static final String A = SampleModules.MODULE_A;
    /** A provider argument for a new, empty bucket on the server under test. */
    protected abstract String newBucketArgument(String prefix);

    @TempDir
    Path dir;

    @Test
    void backupAndRestoreThroughS3PassTheOracle() throws Exception {
        try (SimulatedCluster cluster = SimulatedCluster.withSampleModules(dir.resolve("cluster"));
             S3BackupProvider s3 = new S3BackupProvider(newBucketArgument("clusters/test"));
             BackupEngine engine = new BackupEngine(cluster, s3, BackupOptions.defaults().withChunkSize(1024 * 1024))) {
            cluster.deploy(SampleModules.moduleA(), new Parallelism(4, 2, 1));
            cluster.deploy(SampleModules.moduleB(), new Parallelism(2, 2, 1));
            Workload workload = new Workload(cluster, 3, 3000, 200);
            workload.appendBatch(A, "*events", 8000);
            assertTrue(cluster.awaitSettled(A, 60_000));

            Map<String, Long> before = s3.requestCounts();
            ModuleManifest full = engine.backup(A);
            Map<String, Long> afterFull = s3.requestCounts();
            int segmentsBefore = segments(s3);
            ModuleManifest noChange = engine.backup(A);
            Map<String, Long> afterNoChange = s3.requestCounts();
            // Segments of the mutable files (each PState store's CURRENT, MANIFEST and OPTIONS, copied by every cut),
            // which are segments of their own: one a store (module A's tasks hold two), or up to three where the
            // path hash ends a segment after one of its files; the SSTs' and depots' segments are all reused.
            int segmentsWritten = segments(s3) - segmentsBefore;
            int stores = 2 * noChange.tasks().size();
            assertTrue(segmentsWritten >= stores && segmentsWritten <= 3 * stores, segmentsWritten
                    + " file-list segments written for " + stores + " PState stores");
            System.out.printf("S3 full backup: %d files, %d bytes, %d new bytes, requests %s%n", full.totals().files(),
                    full.totals().bytes(), full.totals().newBytes(), diff(before, afterFull));
            System.out.printf("S3 no-change backup: %d new bytes, %d chunks uploaded, requests %s%n",
                    noChange.totals().newBytes(), noChange.totals().chunksUploaded(), diff(afterFull, afterNoChange));
            assertEquals(0, noChange.totals().chunksUploaded());
            assertEquals(noChange.tasks().size() + 1 + 1 + 1 + segmentsWritten,
                    diff(afterFull, afterNoChange).getOrDefault("PutObject", 0L),
                    "a no-change backup puts only its manifests, changed file-list segments, its index object and its lease");

            workload.appendBatch(A, "*events", 2000);
            assertTrue(cluster.awaitCaughtUp(A, 60_000));
            RestoreResult restored = engine.restore(full.backupId());
            assertEquals(1, restored.marker().epoch());
            assertTrue(engine.verify(full.backupId(), true).ok());
            CutDescriptor cut = cluster.captureCut(A);
            try {
                ConsistencyOracle.Report report = new ConsistencyOracle(cluster::definition, cluster.liveDepots())
                        .check(A, CutFiles.materialize(cluster, cut, dir.resolve("check")));
                assertEquals(8000 * 2, report.entriesReplayed(), "both topologies replay the 8000 backed-up entries");
            } finally {
                cluster.releaseCut(A, cut.cutId());
            }
        }
    }

    private static int segments(S3BackupProvider s3) {
        return s3.listKeysRecursive(io.modbackup.core.store.StoreLayout.SEGMENTS, null).join().keys().size();
    }

    private static Map<String, Long> diff(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> d = new java.util.TreeMap<>();
        after.forEach((k, v) -> {
            long n = v - before.getOrDefault(k, 0L);
            if (n > 0) {
                d.put(k, n);
            }
        });
        return d;
    }
}
