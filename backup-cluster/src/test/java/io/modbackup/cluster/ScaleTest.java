package io.modbackup.cluster;

import static io.modbackup.sim.SampleModules.MODULE_A;
import static io.modbackup.sim.SampleModules.MODULE_B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.runtime.DepotRef;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.cluster.launch.ClusterProcesses;
import io.modbackup.cluster.launch.ClusterSpec;
import io.modbackup.cluster.node.ClusterAdmin;
import io.modbackup.sim.CutTiming;
import io.modbackup.sim.ConsistencyOracle;
import io.modbackup.sim.Workload;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * A module of many tasks on many Supervisor processes, with a second module of a quarter as many tasks
 * subscribing to it: cuts under load (20, or 12 in the long form), each checked by the oracle; a full and an incremental backup; a
 * restore on fewer workers, so tasks land on other Supervisors and their files travel through the store.
 * The README's test command runs 16 tasks on 4 Supervisors; the long form, 64 tasks on 8, runs with
 * {@code -Plong} (as {@code .ci/run} does).
 */
@EnabledOnOs(OS.LINUX)
class ScaleTest {

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void sixteenTasksOnFourSupervisorsStayConsistentThroughCutsBackupsAndARestoreOnFewerWorkers() throws Exception {
        run(16, 4, 3, 20);
    }

    @Test
    @Tag("long")
    @Timeout(value = 20, unit = TimeUnit.MINUTES)
    void sixtyFourTasksOnEightSupervisorsStayConsistentThroughCutsBackupsAndARestoreOnFewerWorkers() throws Exception {
        // 12 cuts rather than the short form's 20: with CI's 30 minutes, the long form's cost is its scale.
        run(64, 8, 5, 12);
    }

    private void run(int tasks, int supervisors, int restoreWorkers, int captures) throws Exception {
        ClusterSpec spec = ClusterSpec.of(dir.resolve("cluster"), supervisors,
                ClusterFixture.LOCAL_PROVIDER + " " + dir.resolve("store")).withCatalog("scale-" + tasks)
                // Many tasks' cut prepares queue behind each other on Supervisors sharing 2 cores: one call
                // may wait longer than the shipped 10 s; failure detection (the heartbeat) stays as shipped.
                .withCallDeadline(Duration.ofSeconds(20));
        try (ClusterFixture cluster = new ClusterFixture(spec, dir.resolve("scratch"))) {
            ClusterAdmin admin = cluster.admin;
            admin.deploy(MODULE_A, new Parallelism(1, supervisors, 1));
            admin.deploy(MODULE_B, new Parallelism(1, supervisors, 1));
            assertEquals(supervisors, new HashSet<>(admin.placement(MODULE_A).values()).size());

            List<CutTiming> timings = new ArrayList<>();
            long replayed = 0;
            try (Workload workload = cluster.workload(64)) {
                workload.start(List.of(new DepotRef(MODULE_A, "*events"), new DepotRef(MODULE_B, "*clicks")), tasks,
                        Duration.ofMillis(20));
                for (int i = 0; i < captures; i++) {
                    ConsistencyOracle.Report report = cluster.checkLive(i % 5 == 4 ? MODULE_B : MODULE_A);
                    replayed += report.entriesReplayed();
                    if (i % 5 != 4) {
                        timings.add(admin.lastCutTiming(MODULE_A));
                    }
                }
                assertTrue(workload.appended() > 0);
            }
            assertTrue(replayed > 0, "the captures saw entries");
            cluster.awaitCaughtUp(MODULE_A);

            ClusterAdmin.BackupDone full = admin.backup(MODULE_A);
            Map<Integer, Long> backedUp = admin.depotEndOffsets(MODULE_A, "*events");
            cluster.workload(65).appendBatch(MODULE_A, "*events", 10 * tasks);
            cluster.awaitCaughtUp(MODULE_A);
            ClusterAdmin.BackupDone incremental = admin.backup(MODULE_A);
            assertTrue(incremental.newBytes() < full.newBytes(), incremental + " after " + full);

            Map<Integer, String> before = admin.placement(MODULE_A);
            admin.stop(MODULE_A); // a restore applies a parallelism only to a module that is not running
            admin.restore(full.backupId(), new Parallelism(1, restoreWorkers, 1));
            Map<Integer, String> after = admin.placement(MODULE_A);
            assertEquals(restoreWorkers, new HashSet<>(after.values()).size());
            assertEquals(tasks, after.size());
            long moved = before.keySet().stream().filter(t -> !before.get(t).equals(after.get(t))).count();
            assertTrue(moved > 0, "tasks moved to other Supervisors");
            assertEquals(backedUp, admin.depotEndOffsets(MODULE_A, "*events"));
            cluster.checkLive(MODULE_A);
            cluster.awaitCaughtUp(MODULE_B);
            cluster.awaitNoLeftovers();

            Map<String, Object> summary = new HashMap<>();
            summary.put("captures", captures);
            summary.put("entriesReplayed", replayed);
            summary.put("tasksMoved", moved);
            summary.put("full", full);
            summary.put("incremental", incremental);
            summary.put("cutPauseMillis(A, " + tasks + " tasks, " + supervisors + " Supervisors)",
                    timings.stream().map(CutTiming::pauseMillis).sorted().toList());
            System.out.println("scale: " + summary);
        }
    }
}
