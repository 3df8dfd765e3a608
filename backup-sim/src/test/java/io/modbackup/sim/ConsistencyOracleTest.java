package io.modbackup.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.fs.FileTrees;
import io.modbackup.api.runtime.CutDescriptor;
import io.modbackup.api.runtime.Parallelism;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The oracle passes real cuts and fails hand-broken ones, each with a message naming the break. */
class ConsistencyOracleTest {
    private static final String A = SampleModules.MODULE_A;

    @TempDir
    Path dir;
    private SimulatedCluster cluster;
    private Workload workload;
    private ConsistencyOracle oracle;

    @BeforeEach
    void startCluster() {
        cluster = SimulatedCluster.withSampleModules(dir.resolve("cluster"));
        cluster.deploy(SampleModules.moduleA(), new Parallelism(4, 2, 1));
        workload = new Workload(cluster, 7, 500, 50);
        oracle = new ConsistencyOracle(cluster::definition, cluster.liveDepots());
    }

    @AfterEach
    void stopCluster() {
        cluster.close();
    }

    /** Two cuts with processing in between: the second is ahead of the first on every partition. */
    private Map<Integer, Path>[] twoCuts() throws InterruptedException {
        workload.appendBatch(A, "*events", 400);
        assertTrue(cluster.awaitCaughtUp(A, 30_000));
        CutDescriptor first = cluster.captureCut(A);
        workload.appendBatch(A, "*events", 400);
        assertTrue(cluster.awaitCaughtUp(A, 30_000));
        CutDescriptor second = cluster.captureCut(A);
        @SuppressWarnings("unchecked")
        Map<Integer, Path>[] dirs = new Map[] {
                CutFiles.materialize(cluster, first, dir.resolve("first")),
                CutFiles.materialize(cluster, second, dir.resolve("second"))};
        assertTrue(second.microbatchCommitIds().get("counts") > first.microbatchCommitIds().get("counts"));
        return dirs;
    }

    @Test
    void realCutsPass() throws Exception {
        Map<Integer, Path>[] cuts = twoCuts();
        ConsistencyOracle.Report report = oracle.check(A, cuts[1]);
        assertEquals(4, report.tasks());
        assertTrue(report.entriesReplayed() >= 1600, "replayed " + report.entriesReplayed());
        oracle.check(A, cuts[0]);
    }

    @Test
    void aPartitionOneCommitBehindIsCaught() throws Exception {
        Map<Integer, Path>[] cuts = twoCuts();
        Path behind = cuts[1].get(1).resolve("pstates/counts");
        FileTrees.deleteTree(behind);
        copyTree(cuts[0].get(1).resolve("pstates/counts"), behind);
        ConsistencyViolation e = assertThrows(ConsistencyViolation.class, () -> oracle.check(A, cuts[1]));
        assertTrue(e.getMessage().contains("microbatch topology counts is not at one commit ID"), e.getMessage());
        assertTrue(e.getMessage().contains("task 1"), e.getMessage());
    }

    @Test
    void aDepotShorterThanAProcessedOffsetIsCaught() throws Exception {
        Map<Integer, Path>[] cuts = twoCuts();
        Path depot = cuts[1].get(2).resolve("depots/*events");
        FileTrees.deleteTree(depot);
        copyTree(cuts[0].get(2).resolve("depots/*events"), depot);
        ConsistencyViolation e = assertThrows(ConsistencyViolation.class, () -> oracle.check(A, cuts[1]));
        assertTrue(e.getMessage().contains("task 2"), e.getMessage());
        assertTrue(e.getMessage().contains("but the depot ends at"), e.getMessage());
    }

    @Test
    void aTornDepotTailIsCaughtAsAShorterDepot() throws Exception {
        Map<Integer, Path>[] cuts = twoCuts();
        Path depot = cuts[1].get(0).resolve("depots/*events");
        Path last;
        try (Stream<Path> segments = Files.list(depot)) {
            last = segments.sorted().reduce((a, b) -> b).orElseThrow();
        }
        try (FileChannel channel = FileChannel.open(last, StandardOpenOption.WRITE)) {
            channel.truncate(channel.size() - 10);
        }
        ConsistencyViolation e = assertThrows(ConsistencyViolation.class, () -> oracle.check(A, cuts[1]));
        assertTrue(e.getMessage().contains("but the depot ends at"), e.getMessage());
    }

    @Test
    void aPStateThatDisagreesWithItsDepotIsCaught() throws Exception {
        Map<Integer, Path>[] cuts = twoCuts();
        Path storeDir = cuts[1].get(3).resolve("pstates/counts");
        try (PStateStore store = PStateStore.open(storeDir, List.of("$$latest", "$$totals"))) {
            String key = store.content("$$totals").firstKey();
            store.commit(Map.of("$$totals", Map.of(key, "-1")), Map.of(), Map.of(), null);
        }
        ConsistencyViolation e = assertThrows(ConsistencyViolation.class, () -> oracle.check(A, cuts[1]));
        assertTrue(e.getMessage().contains("PState $$totals of topology counts has -1 for key"), e.getMessage());
    }

    @Test
    void aMissingTaskIsCaught() throws Exception {
        Map<Integer, Path>[] cuts = twoCuts();
        Map<Integer, Path> three = new java.util.TreeMap<>(cuts[1]);
        three.remove(3);
        ConsistencyViolation e = assertThrows(ConsistencyViolation.class, () -> oracle.check(A, three));
        assertTrue(e.getMessage().contains("has 4 tasks but 3 task directories"), e.getMessage());
    }

    private static void copyTree(Path from, Path to) throws Exception {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path source : files.toList()) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target);
                }
            }
        }
    }
}
