package io.modbackup.cluster;

import static io.modbackup.sim.SampleModules.MODULE_A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.runtime.Parallelism;
import io.modbackup.cluster.launch.ClusterProcesses;
import io.modbackup.cluster.launch.ClusterSpec;
import io.modbackup.cluster.node.ClusterAdmin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * Supervisors and the Conductor die ({@code SIGKILL}) or hang ({@code SIGSTOP}) in the middle of
 * backups and restores, as real processes. Each case checks the documented outcome: the operation
 * fails within its deadline and commits nothing, live state is intact (or wholly restored), the next
 * operation succeeds, and once the processes are back no pin, staging directory or install journal is
 * left.
 */
@EnabledOnOs(OS.LINUX)
class SupervisorFailureTest {
    private static final String EVENTS = "*events";
    /** supervisor-1 hosts task 1 of module A's 4 tasks on 3 workers. */
    private static final String VICTIM = "supervisor-1";

    @TempDir
    Path dir;

    /**
     * A cluster on a store whose chunk transfers wait while {@link #hold} holds them: a kill lands while a
     * backup or restore moves chunks, and every other transfer runs at full speed.
     */
    private ClusterFixture start() {
        String provider = HeldLocalProvider.class.getName() + " " + store();
        // The test build's nodes: the shipped ones, plus a Supervisor that can halt mid-swap when a test restarts it so.
        ClusterFixture cluster = new ClusterFixture(ClusterSpec.of(dir.resolve("cluster"), 3, provider)
                .withMainClasses(FaultSwitchNodes.Conductor.class, FaultSwitchNodes.Supervisor.class), dir.resolve("scratch"));
        cluster.admin.deploy(MODULE_A, new Parallelism(1, 3, 1));
        cluster.workload(11).appendBatch(MODULE_A, EVENTS, 2000);
        cluster.awaitCaughtUp(MODULE_A);
       
        return cluster;
    }

    private Path store() {
        return dir.resolve("store");
    }

    /** Holds the store's chunk transfers until the returned hold is closed. */
    private AutoCloseable hold() throws java.io.IOException {
        Path hold = Files.createFile(HeldLocalProvider.holdFile(store()));
        return () -> Files.delete(hold);
    }

    @Test
    void aHungSupervisorFailsTheBackupWithinTheDeadlineAndTheNextBackupSucceedsOnceItResumes() throws Exception {
        try (ClusterFixture cluster = start()) {
            int committed = committedBackups();
            cluster.processes.pause(VICTIM);
            long started = System.nanoTime();
            RuntimeException failure = assertThrows(RuntimeException.class, () -> cluster.admin.backup(MODULE_A));
            long failedAfterMillis = (System.nanoTime() - started) / 1_000_000;
            assertTrue(failure.getMessage().contains(VICTIM), failure.getMessage());
            // The shipped heartbeat timeout (5 s) marks the frozen Supervisor down, failing the calls waiting on it:
            // the failure says so, rather than a call's deadline (how long that takes is OperableAsShippedTest's).
            assertTrue(failure.getMessage().contains("Supervisor " + VICTIM) && failure.getMessage().contains("is down: no heartbeat for"),
                    failure.getMessage());
            assertEquals(committed, committedBackups(), "a failed backup commits nothing");
            assertEquals(0, leases(), "the failed backup's lease is released");

            cluster.processes.resume(VICTIM);
            cluster.awaitCaughtUp(MODULE_A);
            cluster.admin.backup(MODULE_A);
            assertEquals(committed + 1, committedBackups());
            cluster.checkLive(MODULE_A);
            cluster.awaitNoLeftovers();
            System.out.printf("hung Supervisor: backup failed after %d ms (heartbeat timeout %d ms)%n", failedAfterMillis,
                    io.modbackup.cluster.node.ConductorProcess.DEFAULT_HEARTBEAT_TIMEOUT.toMillis());
        }
    }

    @Test
    void aSupervisorKilledMidBackupFailsItCleanlyAndLosesNoLiveState() throws Exception {
        try (ClusterFixture cluster = start()) {
            int committed = committedBackups();
            Map<Integer, Long> ends = cluster.admin.depotEndOffsets(MODULE_A, EVENTS);
            CompletableFuture<ClusterAdmin.BackupDone> backup;
            try (AutoCloseable held = hold()) {
                backup = CompletableFuture.supplyAsync(() -> cluster.admin.backup(MODULE_A));
                awaitPinnedCut(cluster, VICTIM);
                cluster.processes.kill(VICTIM);
            }
            CompletionException failure = assertThrows(CompletionException.class, backup::join);
            assertTrue(failure.getCause().getMessage().contains(VICTIM), failure.getCause().getMessage());
            assertEquals(committed, committedBackups(), "a failed backup commits nothing");
            assertEquals(0, leases(), "the failed backup's lease is released");

            cluster.processes.restart(VICTIM);
            assertEquals(0, temporaryFiles(), "the restarted Supervisor's provider removed its predecessor's partial writes");
            assertEquals(ends, cluster.admin.depotEndOffsets(MODULE_A, EVENTS), "no depot entry was lost");
            cluster.checkLive(MODULE_A);
            cluster.awaitNoLeftovers();
            cluster.admin.backup(MODULE_A);
            assertEquals(committed + 1, committedBackups());
        }
    }

    @Test
    void aSupervisorKilledWhileARestoreStagesLeavesTheModuleAsItWas() throws Exception {
        try (ClusterFixture cluster = start()) {
            String backupId = cluster.admin.backup(MODULE_A).backupId();
            cluster.workload(12).appendBatch(MODULE_A, EVENTS, 300);
            cluster.awaitCaughtUp(MODULE_A);
            Map<Integer, Long> ends = killWhileARestoreStages(cluster, backupId, VICTIM);

            cluster.processes.restart(VICTIM);
            assertEquals(0, cluster.admin.restoreEpoch(MODULE_A), "nothing was installed");
            assertEquals(ends, cluster.admin.depotEndOffsets(MODULE_A, EVENTS), "the module kept its state");
            cluster.checkLive(MODULE_A);
            cluster.awaitNoLeftovers();
        }
    }

    @Test
    void aSupervisorKilledInTheMiddleOfTheInstallFinishesItOnRestartSoTheModuleIsNewEverywhere() throws Exception {
        try (ClusterFixture cluster = start()) {
            String backupId = cluster.admin.backup(MODULE_A).backupId();
            Map<Integer, Long> backedUp = cluster.admin.depotEndOffsets(MODULE_A, EVENTS);
            cluster.workload(13).appendBatch(MODULE_A, EVENTS, 300);
            cluster.awaitCaughtUp(MODULE_A);
            cluster.processes.kill(VICTIM);
            cluster.processes.restart(VICTIM, List.of("-D" + FaultSwitchNodes.HALT_AT_SWAP_STEP + "=task-swapped-1"));
            cluster.processes.awaitSupervisors(Duration.ofSeconds(60));

            RuntimeException failure = assertThrows(RuntimeException.class, () -> cluster.admin.restore(backupId, null));
            assertTrue(failure.getMessage().contains("decided"), failure.getMessage());
            assertTrue(Files.exists(cluster.processes.supervisorRoot(VICTIM).resolve("installs").resolve(MODULE_A + ".json")),
                    "the killed Supervisor left its swap journal");

            cluster.processes.restart(VICTIM);
            awaitEpoch(cluster, 1);
            assertEquals(backedUp, cluster.admin.depotEndOffsets(MODULE_A, EVENTS), "every task is the backup's");
            cluster.checkLive(MODULE_A);
            cluster.awaitNoLeftovers();
        }
    }

    @Test
    void theConductorKilledMidBackupAndMidRestoreLeavesNothingBehindOnceRestarted() throws Exception {
        try (ClusterFixture cluster = start()) {
            int committed = committedBackups();
            CompletableFuture<ClusterAdmin.BackupDone> backup;
            try (AutoCloseable held = hold()) {
                backup = CompletableFuture.supplyAsync(() -> cluster.admin.backup(MODULE_A));
                awaitPinnedCut(cluster, VICTIM);
                cluster.processes.kill("conductor");
            }
            assertThrows(CompletionException.class, backup::join);
            cluster.processes.restart("conductor");
            assertEquals(committed, committedBackups(), "the killed backup committed nothing");
            assertEquals(0, temporaryFiles(), "no partial write of the killed Conductor is left");
            cluster.awaitNoLeftovers();
            String backupId = cluster.admin.backup(MODULE_A).backupId();

            Map<Integer, Long> ends = killWhileARestoreStages(cluster, backupId, "conductor");
            cluster.processes.restart("conductor");
            assertEquals(0, cluster.admin.restoreEpoch(MODULE_A));
            cluster.awaitCaughtUp(MODULE_A);
            assertEquals(ends, cluster.admin.depotEndOffsets(MODULE_A, EVENTS), "the module kept its state");
            cluster.checkLive(MODULE_A);
            cluster.awaitNoLeftovers();
        }
    }

    /**
     * Starts a restore of {@code backupId}, kills {@code node} once {@link #VICTIM} has a staging directory,
     * and checks the restore failed; returns module A's depot ends from before the restore.
     */
    private Map<Integer, Long> killWhileARestoreStages(ClusterFixture cluster, String backupId, String node)
            throws Exception {
        Map<Integer, Long> ends = cluster.admin.depotEndOffsets(MODULE_A, EVENTS);
        CompletableFuture<ClusterAdmin.RestoreDone> restore;
        try (AutoCloseable held = hold()) {
            restore = CompletableFuture.supplyAsync(() -> cluster.admin.restore(backupId, null));
            awaitStaging(cluster, VICTIM);
            cluster.processes.kill(node);
        }
        assertThrows(CompletionException.class, restore::join);
        return ends;
    }

    /** Waits until the Supervisor pinned its part of a cut: the backup is about to upload its chunks. */
    private static void awaitPinnedCut(ClusterFixture cluster, String supervisor) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (cluster.processes.supervisor(supervisor).leftovers().cuts() == 0) {
            assertTrue(System.nanoTime() < until, supervisor + " pinned no cut within 30 s");
            Thread.sleep(5);
        }
    }

    private static void awaitStaging(ClusterFixture cluster, String supervisor) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (cluster.processes.supervisor(supervisor).leftovers().stagings() == 0) {
            assertTrue(System.nanoTime() < until, supervisor + " staged nothing within 30 s");
            Thread.sleep(20);
        }
    }

    private static void awaitEpoch(ClusterFixture cluster, long epoch) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (cluster.admin.restoreEpoch(MODULE_A) != epoch) {
            assertTrue(System.nanoTime() < until, "the install did not finish within 60 s");
            Thread.sleep(100);
        }
    }

    private int committedBackups() {
        return (int) ClusterFixture.filesUnder(store().resolve("backups")).stream().filter(f -> f.getFileName().toString().equals("backup.json")).count();
    }

    /** In-flight writes of the local provider (in {@code .modbackup-tmp}). */
    private int temporaryFiles() {
        return (int) ClusterFixture.writesInFlight(store()).size();
    }

    private int leases() {
        return (int) ClusterFixture.filesUnder(store().resolve("locks")).size();
    }
}
