package io.modbackup.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.runtime.ClusterRuntime.RestoreRequest;
import io.modbackup.api.runtime.CutDescriptor;
import io.modbackup.api.runtime.ModuleDescriptor;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.api.runtime.RestoreMarker;
import io.modbackup.api.runtime.TaskCut;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Installing staged state: stop, swap, start; restore markers; recalibration of subscribers. */
class ClusterRestoreInstallTest {
    private static final String A = SampleModules.MODULE_A;
    private static final String B = SampleModules.MODULE_B;

    @TempDir
    Path dir;

    /** Stages a cut as the engine would after downloading and verifying it. */
    private static RestoreRequest stage(SimulatedCluster cluster, CutDescriptor cut, String restoreId, Parallelism parallelism,
                                        Path jarCopy) throws Exception {
        ModuleDescriptor descriptor = cut.descriptor();
        Map<Integer, String> placement = cluster.placeRestore(descriptor, parallelism);
        for (TaskCut task : cut.tasks()) {
            Path staging = cluster.supervisor(placement.get(task.task())).stagingDirectory(cut.module(), restoreId, task.task());
            CutFiles.materialize(cluster.supervisor(task.supervisorId()).cutFiles(cut.module(), cut.cutId(), task.task()), staging);
        }
        Files.copy(cluster.moduleJar(cut.module()), jarCopy);
        return new RestoreRequest(restoreId, "backup-of-" + cut.cutId(), descriptor, parallelism, placement, jarCopy);
    }

    @Test
    void aRunningModuleRestoredToACutContinuesFromItAndStaysConsistent() throws Exception {
        try (SimulatedCluster cluster = SimulatedCluster.withSampleModules(dir.resolve("cluster"))) {
            cluster.deploy(SampleModules.moduleA(), new Parallelism(4, 2, 1));
            Workload workload = new Workload(cluster, 3, 300, 40);
            workload.appendBatch(A, "*events", 500);
            assertTrue(cluster.awaitCaughtUp(A, 30_000));
            CutDescriptor cut = cluster.captureCut(A);
            RestoreRequest request = stage(cluster, cut, "r1", null, dir.resolve("jar"));
            cluster.releaseCut(A, cut.cutId());
            workload.appendBatch(A, "*events", 500);
            assertTrue(cluster.awaitCaughtUp(A, 30_000));

            RestoreMarker marker = cluster.installRestore(request);
            assertEquals(1, marker.epoch());
            assertEquals(cut.tasks().stream().map(t -> t.depotEndOffsets().get("*events")).toList(),
                    marker.depotEndOffsets().get("*events"), "the depots are back at the cut's end offsets");
            assertEquals(500, marker.depotEndOffsets().get("*events").stream().mapToLong(Long::longValue).sum());

            workload.appendBatch(A, "*events", 200);
            assertTrue(cluster.awaitCaughtUp(A, 30_000));
            cluster.stop(A);
            ConsistencyOracle.Report report = new ConsistencyOracle(cluster::definition, cluster.liveDepots())
                    .check(A, cluster.taskDirectories(A));
            assertEquals(700, report.entriesReplayed() / 2, "both topologies replay the 500 restored and 200 new entries");
            assertFalse(Files.exists(cluster.supervisors().get(0).root().resolve("staging/" + A + "/r1")));
        }
    }

    @Test
    void aDestroyedModuleIsRestoredWithNewParallelismOntoNewSupervisors() throws Exception {
        try (SimulatedCluster cluster = SimulatedCluster.withSampleModules(dir.resolve("cluster"))) {
            cluster.deploy(SampleModules.moduleA(), new Parallelism(4, 1, 1));
            new Workload(cluster, 5, 100, 10).appendBatch(A, "*events", 300);
            assertTrue(cluster.awaitCaughtUp(A, 30_000));
            CutDescriptor cut = cluster.captureCut(A);
            RestoreRequest noParallelism = stage(cluster, cut, "r0", new Parallelism(8, 2, 2), dir.resolve("jar"));
            cluster.releaseCut(A, cut.cutId());
            cluster.destroy(A);
            assertTrue(cluster.describe(A).isEmpty());
            assertThrows(IllegalArgumentException.class, () -> cluster.placeRestore(cut.descriptor(), null),
                    "a module that is not deployed needs its parallelism");

            cluster.installRestore(noParallelism);
            ModuleDescriptor restored = cluster.describe(A).orElseThrow();
            assertTrue(restored.running());
            assertEquals(new Parallelism(8, 2, 2), restored.parallelism());
            assertEquals(2, Map.copyOf(noParallelism.placement()).values().stream().distinct().count(),
                    "tasks spread over two workers");
            cluster.stop(A);
            new ConsistencyOracle(cluster::definition, cluster.liveDepots()).check(A, cluster.taskDirectories(A));
        }
    }

    @Test
    void aSubscriberRecalibratesWhenTheDepotsModuleIsRestoredToAnEarlierEnd() throws Exception {
        try (SimulatedCluster cluster = SimulatedCluster.withSampleModules(dir.resolve("cluster"))) {
            cluster.deploy(SampleModules.moduleA(), new Parallelism(4, 2, 1));
            cluster.deploy(SampleModules.moduleB(), new Parallelism(2, 2, 1));
            Workload workload = new Workload(cluster, 9, 200, 10);
            workload.appendBatch(A, "*events", 400);
            assertTrue(cluster.awaitCaughtUp(A, 30_000) && cluster.awaitCaughtUp(B, 30_000));
            CutDescriptor earlier = cluster.captureCut(A);
            RestoreRequest request = stage(cluster, earlier, "r1", null, dir.resolve("jar"));
            cluster.releaseCut(A, earlier.cutId());
            workload.appendBatch(A, "*events", 400);
            assertTrue(cluster.awaitCaughtUp(B, 30_000));
            CutDescriptor before = cluster.captureCut(B);
            cluster.releaseCut(B, before.cutId());

            RestoreMarker marker = cluster.installRestore(request);
            // B's core had processed past A's restored end: it must come back to it, then follow new entries.
            // Caught up holds at once (B is past A's restored end): wait for B's steps to see the marker.
            CutDescriptor after;
            long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
            do {
                Thread.sleep(20);
                after = cluster.captureCut(B);
                cluster.releaseCut(B, after.cutId());
            } while (!atRestoredEnds(after, marker) && System.nanoTime() < until);
            for (int partition = 0; partition < 4; partition++) {
                String key = A + "/*events/" + partition;
                int task = partition % 2;
                long beforeOffset = before.tasks().get(task).processedOffsets().get("core").get(key);
                long afterOffset = after.tasks().get(task).processedOffsets().get("core").get(key);
                long restoredEnd = marker.depotEndOffsets().get("*events").get(partition);
                assertTrue(beforeOffset > restoredEnd, "B was ahead of the restored depot on partition " + partition);
                assertEquals(restoredEnd, afterOffset, "B recalibrated to the restored end on partition " + partition);
            }
            workload.appendBatch(A, "*events", 100);
            assertTrue(cluster.awaitCaughtUp(B, 30_000), "B follows entries appended after the restore");
        }
    }

    @Test
    void aReopenedClusterFindsItsModulesAndMarkers() throws Exception {
        Path root = dir.resolve("cluster");
        long entries;
        try (SimulatedCluster cluster = SimulatedCluster.withSampleModules(root)) {
            cluster.deploy(SampleModules.moduleA(), new Parallelism(4, 2, 1));
            new Workload(cluster, 1, 50, 5).appendBatch(A, "*events", 100);
            assertTrue(cluster.awaitCaughtUp(A, 30_000));
            cluster.setDynamicOption(A, "backup.period.seconds", "60");
            entries = cluster.stats(A).depotEntries();
        }
        try (SimulatedCluster reopened = SimulatedCluster.withSampleModules(root)) {
            assertEquals(List.of(A), reopened.moduleNames());
            ModuleDescriptor descriptor = reopened.describe(A).orElseThrow();
            assertTrue(descriptor.running());
            assertEquals("60", descriptor.dynamicOptions().get("backup.period.seconds"));
            assertEquals(entries, reopened.stats(A).depotEntries());
            assertTrue(Files.exists(reopened.moduleJar(A)));
        }
    }

    /** Whether B's core stands at A's restored end on every partition of A's depot. */
    private static boolean atRestoredEnds(CutDescriptor cut, RestoreMarker marker) {
        for (int partition = 0; partition < 4; partition++) {
            Long offset = cut.tasks().get(partition % 2).processedOffsets().get("core").get(A + "/*events/" + partition);
            if (offset == null || offset.longValue() != marker.depotEndOffsets().get("*events").get(partition).longValue()) {
                return false;
            }
        }
        return true;
    }
}
