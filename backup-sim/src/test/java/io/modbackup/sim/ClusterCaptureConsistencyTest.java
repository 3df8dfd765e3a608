package io.modbackup.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.fs.FileTrees;
import io.modbackup.api.runtime.CapturedFile;
import io.modbackup.api.runtime.CutDescriptor;
import io.modbackup.api.runtime.DepotRef;
import io.modbackup.api.runtime.FileKind;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.api.runtime.TaskCut;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs both sample modules under a continuous workload and takes captures while they write, at least
 * 100 and until they have seen segments roll, SSTs compacted away and microbatches commit; every
 * capture, materialized as a restore would, must pass the consistency oracle.
 */
class ClusterCaptureConsistencyTest {
    private static final String A = SampleModules.MODULE_A;
    private static final String B = SampleModules.MODULE_B;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void everyCaptureTakenUnderContinuousWritesPassesTheOracle() throws Exception {
        long started = System.nanoTime();
        try (SimulatedCluster cluster = new SimulatedCluster("test", dir.resolve("cluster"), 3, 64 * 1024,
                List.of(SampleModules.moduleA(), SampleModules.moduleB()));
             Workload workload = new Workload(cluster, 42, 3000, 120)) {
            cluster.deploy(SampleModules.moduleA(), new Parallelism(4, 3, 1));
            cluster.deploy(SampleModules.moduleB(), new Parallelism(2, 2, 1));
            workload.start(List.of(new DepotRef(A, "*events"), new DepotRef(B, "*clicks")), 10, Duration.ofMillis(5));
            ConsistencyOracle oracle = new ConsistencyOracle(cluster::definition, cluster.liveDepots());

            Set<String> sstsSeen = new HashSet<>();
            int captures = 0;
            long filesCaptured = 0;
            long lastCommitId = -1;
            Set<Long> commitIds = new HashSet<>();
            // Captures go on until they have seen the state change every way it can (segments rolled, SSTs
            // compacted away, microbatches committed), however fast this machine writes: coverage, not throughput.
            for (int i = 0; captures < 100 || !changedEveryWay(cluster, sstsSeen, commitIds); i++) {
                assertTrue(i < MAX_CAPTURES, "after " + MAX_CAPTURES + " captures the state had not changed every way: "
                        + cluster.stats(A) + ", " + commitIds.size() + " commit IDs, SSTs seen " + sstsSeen.size());
                String module = i % 3 == 2 ? B : A;
                CutDescriptor cut = cluster.captureCut(module);
                try {
                    Map<Integer, Path> tasks = CutFiles.materialize(cluster, cut, dir.resolve("check-" + i));
                    ConsistencyOracle.Report report = oracle.check(module, tasks);
                    assertEquals(cut.microbatchCommitIds(), report.commitIds(), "the cut reports the commit IDs it holds");
                    for (TaskCut task : cut.tasks()) {
                        List<CapturedFile> files = cluster.supervisor(task.supervisorId()).cutFiles(module, cut.cutId(), task.task());
                        filesCaptured += files.size();
                        assertTrue(files.stream().anyMatch(f -> f.kind() == FileKind.APPEND_ONLY), "active segment captured");
                        for (var processed : task.processedOffsets().values()) {
                            processed.forEach((partitionKey, offset) -> {
                                if (partitionKey.startsWith(module + "/")) {
                                    String depot = partitionKey.split("/")[1];
                                    assertTrue(offset <= task.depotEndOffsets().get(depot), "depot captured after PStates");
                                }
                            });
                        }
                    }
                    if (module.equals(A)) {
                        long commitId = cut.microbatchCommitIds().get("counts");
                        assertTrue(commitId >= lastCommitId, "commit IDs never go back");
                        lastCommitId = commitId;
                        commitIds.add(commitId);
                        sstsSeen.addAll(cluster.liveSstFiles(A));
                    }
                    captures++;
                } finally {
                    cluster.releaseCut(module, cut.cutId());
                    FileTrees.deleteTree(dir.resolve("check-" + i));
                }
            }
            workload.close();
            assertTrue(cluster.topologyError(A).isEmpty(), () -> "topology failed: " + cluster.topologyError(A));
            assertTrue(cluster.topologyError(B).isEmpty(), () -> "topology failed: " + cluster.topologyError(B));

            List<String> liveSsts = cluster.liveSstFiles(A);
            long compactedAway = sstsSeen.stream().filter(f -> !liveSsts.contains(f)).count();
            SimulatedCluster.StateStats stats = cluster.stats(A);
            System.out.printf("captures=%d files-captured=%d entries-appended=%d A: segments=%d live-ssts=%d "
                            + "ssts-seen=%d ssts-compacted-away=%d depot-entries=%d commitId=%d time=%.1fs%n",
                    captures, filesCaptured, workload.appended(), stats.depotSegments(), stats.liveSstFiles(),
                    sstsSeen.size(), compactedAway, stats.depotEntries(), lastCommitId,
                    (System.nanoTime() - started) / 1e9);
        }
    }

    private static final int MAX_CAPTURES = 3000;

    /** Whether the captures so far saw segments roll, SSTs compacted away and more than ten microbatch commits. */
    private static boolean changedEveryWay(SimulatedCluster cluster, Set<String> sstsSeen, Set<Long> commitIds) {
        if (cluster.stats(A).depotSegments() <= 4 || commitIds.size() <= 10) {
            return false;
        }
        List<String> live = cluster.liveSstFiles(A);
        return sstsSeen.stream().anyMatch(sst -> !live.contains(sst));
    }
}
