package io.modbackup.cluster;

import static io.modbackup.sim.SampleModules.MODULE_A;
import static io.modbackup.sim.SampleModules.MODULE_B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.cluster.ShippedCommands.Result;
import io.modbackup.cluster.launch.ClusterProcesses;
import io.modbackup.cluster.node.Endpoint;
import io.modbackup.cluster.launch.LiveCheck;
import io.modbackup.cluster.node.ClusterAdmin;
import io.modbackup.sim.Workload;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * The disaster-recovery drill of docs/operations.md, as its runbook's commands: a cluster backs up both
 * modules and is destroyed (every process killed, its directory removed); a new cluster with a new
 * identity, given only the store, lists the backups, restores A and then B with {@code --threads --workers
 * --replicationFactor}, takes the store over and backs up again. The depots end exactly where they had, the
 * oracle passes for both modules, and B, which subscribes to A's depot, goes on processing A's new entries.
 */
@EnabledOnOs(OS.LINUX)
class DisasterRecoveryDrillTest {
    private static final Pattern COMMITTED = Pattern.compile("backup (\\S+) committed");

    @TempDir
    Path dir;

    private static Result backup(Path home, String... args) {
        List<String> all = new ArrayList<>(List.of("--config", home.resolve("modbackup.yaml").toString()));
        all.addAll(List.of(args));
        return ShippedCommands.backup(all);
    }

    private static String committed(Result backup) {
        assertEquals(0, backup.code(), backup.out() + backup.err());
        Matcher m = COMMITTED.matcher(backup.out());
        assertTrue(m.find(), backup.out());
        return m.group(1);
    }

    @Test
    void aNewClusterGivenOnlyTheStoreRestoresBothModulesTakesTheStoreOverAndBacksUpAgain() throws Exception {
        Path store = dir.resolve("store");
        String provider = ClusterFixture.LOCAL_PROVIDER + " " + store;
        Path old = dir.resolve("old");
        assertEquals(0, ShippedCommands.cluster("start", old.toString(), "--supervisors", "2", "--provider", provider).code());
        String backupA;
        String backupB;
        Map<Integer, Long> eventsEnds;
        Map<Integer, Long> clicksEnds;
        String oldClusterId;
        try {
            ClusterAdmin admin = ClusterProcesses.attach(old.resolve("cluster")).admin();
            oldClusterId = admin.info().clusterId();
            try (Workload workload = new Workload(admin::append, 5, 500, 256)) {
                workload.appendBatch(MODULE_A, "*events", 2000);
                workload.appendBatch(MODULE_B, "*clicks", 300);
            }
            assertTrue(admin.awaitCaughtUp(MODULE_A, 120_000) && admin.awaitCaughtUp(MODULE_B, 120_000));
            backupA = committed(backup(old, "--action", "backup", "--module", MODULE_A));
            backupB = committed(backup(old, "--action", "backup", "--module", MODULE_B));
            eventsEnds = admin.depotEndOffsets(MODULE_A, "*events");
            clicksEnds = admin.depotEndOffsets(MODULE_B, "*clicks");
        } finally {
            destroy(old);
        }
        assertFalse(Files.exists(old), "the old cluster's state is gone");

        // Step 1 of the runbook: a new cluster on the same store.
        Path fresh = dir.resolve("new");
        Result started = ShippedCommands.cluster("start", fresh.toString(), "--supervisors", "3", "--provider", provider);
        assertEquals(0, started.code(), started.err());
        try {
            ClusterProcesses processes = ClusterProcesses.attach(fresh.resolve("cluster"));
            ClusterAdmin admin = processes.admin();
            assertNotEquals(oldClusterId, admin.info().clusterId(), "a new identity");
            // Step 2: the backups are there.
            Result listA = backup(fresh, "--action", "list", "--module", MODULE_A);
            assertTrue(listA.out().startsWith(backupA + "  "), listA.out() + listA.err());
            Result listB = backup(fresh, "--action", "list", "--module", MODULE_B);
            assertTrue(listB.out().startsWith(backupB + "  "), listB.out() + listB.err());
            assertEquals(0, backup(fresh, "--action", "verify", "--backupId", backupA, "--deep").code());
            // Step 3: restore A, then B, onto the new cluster's Supervisors.
            admin.stop(MODULE_A);
            admin.stop(MODULE_B);
            Result restoreA = backup(fresh, "--action", "restore", "--backupId", backupA, "--yes", "--threads", "2",
                    "--workers", "3", "--replicationFactor", "1");
            assertEquals(0, restoreA.code(), restoreA.out() + restoreA.err());
            Result restoreB = backup(fresh, "--action", "restore", "--backupId", backupB, "--yes", "--threads", "1",
                    "--workers", "2", "--replicationFactor", "1");
            assertEquals(0, restoreB.code(), restoreB.out() + restoreB.err());
            assertEquals(eventsEnds, admin.depotEndOffsets(MODULE_A, "*events"), "A's depot ends where it had");
            assertEquals(clicksEnds, admin.depotEndOffsets(MODULE_B, "*clicks"), "B's depot ends where it had");
            assertEquals(3, new java.util.HashSet<>(admin.placement(MODULE_A).values()).size(), "A on 3 workers");
            LiveCheck.check(processes, MODULE_A, dir.resolve("check-a"));
            LiveCheck.check(processes, MODULE_B, dir.resolve("check-b"));

            // Step 4: take the store over and back up again.
            Result refused = backup(fresh, "--action", "backup", "--module", MODULE_A);
            // One error line; a progress line may come first when the refusal takes a moment on a busy machine.
            List<String> errors = refused.err().lines().filter(l -> l.startsWith("error: ")).toList();
            assertEquals(1, errors.size(), refused.err());
            assertTrue(errors.get(0).startsWith("error: the backup store belongs to another cluster"), refused.err());
            String nextA = committed(backup(fresh, "--action", "backup", "--module", MODULE_A, "--takeover"));
            String nextB = committed(backup(fresh, "--action", "backup", "--module", MODULE_B));
            assertNotEquals(backupA, nextA);
            assertNotEquals(backupB, nextB);

            // B goes on: A's new entries reach B's subscription, from the recalibrated offsets.
            try (Workload workload = new Workload(admin::append, 9, 500, 256)) {
                workload.appendBatch(MODULE_A, "*events", 300);
            }
            assertTrue(admin.awaitCaughtUp(MODULE_A, 120_000) && admin.awaitCaughtUp(MODULE_B, 120_000));
            LiveCheck.check(processes, MODULE_A, dir.resolve("check-a2"));
            LiveCheck.check(processes, MODULE_B, dir.resolve("check-b2"));
        } finally {
            Result stopped = ShippedCommands.cluster("stop", fresh.toString());
            assertEquals(0, stopped.code(), stopped.err());
        }
    }

    /** Kills every node of the cluster in {@code home} with SIGKILL and removes its directory. */
    private static void destroy(Path home) throws Exception {
        List<ProcessHandle> nodes = new ArrayList<>();
        try (var entries = Files.list(home.resolve("cluster"))) {
            for (Path node : entries.filter(Files::isDirectory).toList()) {
                Endpoint.read(node).flatMap(e -> ProcessHandle.of(e.pid())).ifPresent(nodes::add);
            }
        }
        nodes.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle node : nodes) {
            node.onExit().get(30, TimeUnit.SECONDS);
        }
        io.modbackup.api.fs.FileTrees.deleteTree(home);
    }
}
