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
import io.modbackup.core.engine.VerifyReport;
import io.modbackup.sim.Workload;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * A seeded soak: while a workload writes, backups, GCs and restores run one after another and random
 * Supervisors are killed ({@code SIGKILL}), frozen ({@code SIGSTOP}) and brought back. An operation that
 * ran with every process healthy must succeed; one that overlapped a fault may fail, but must fail
 * cleanly. Afterwards every committed backup deep-verifies and restores to a state the oracle accepts,
 * and no pin, staging directory, install journal, temporary file or lease is left.
 *
 * <p>The soak's length is a count of operations, not a time, so that a slow machine runs the same soak
 * as a fast one; after the last fault, the cluster must back up again. The seed is printed;
 * {@code -Dmodbackup.soak.seed=N} replays the same sequence of operations and faults. The README's test
 * command runs 8 operations ({@code -Dmodbackup.soak.operations=N} for another count); {@code -Plong},
 * which {@code .ci/run} also runs, 40.
 */
@EnabledOnOs(OS.LINUX)
class SoakTest {
    private static final String EVENTS = "*events";

    @TempDir
    Path dir;

    private enum Op { BACKUP, GC, RESTORE, KILL, FREEZE }

    @Test
    void randomKillsAndHangsDuringBackupsGcsAndRestoresLoseNothingAndLeakNothing() throws Exception {
        soak(Integer.getInteger("modbackup.soak.operations", 8));
    }

    @Test
    @Tag("long")
    void aLongSoakLosesNothingAndLeaksNothing() throws Exception {
        soak(40);
    }

    /** Runs {@code operations} backups, GCs and restores, with faults between them. */
    private void soak(int operations) throws Exception {
        long seed = Long.getLong("modbackup.soak.seed", System.nanoTime());
        System.out.println("soak seed " + seed + ", " + operations + " operations (replay: -Dmodbackup.soak.seed=" + seed + ")");
        Random random = new Random(seed);
        ClusterSpec spec = ClusterSpec.of(dir.resolve("cluster"), 3,
                ClusterFixture.LOCAL_PROVIDER + " " + store());
        Map<String, Integer> outcomes = new TreeMap<>();
        List<String> committed = new ArrayList<>();
        try (ClusterFixture cluster = new ClusterFixture(spec, dir.resolve("scratch"));
             AutoCloseable keepLogs = () -> keepLogs(dir.resolve("cluster"))) {
            ClusterAdmin admin = cluster.admin;
            admin.deploy(MODULE_A, new Parallelism(1, 3, 1));
            admin.deploy(MODULE_B, new Parallelism(1, 3, 1));
            try (Workload workload = cluster.workload(seed)) {
                workload.start(List.of(new DepotRef(MODULE_A, EVENTS), new DepotRef(MODULE_B, "*clicks")), 20,
                        Duration.ofMillis(20));
                String faulty = null;
                boolean frozen = false;
                for (int done = 0; done < operations; ) {
                    Op op = Op.values()[random.nextInt(Op.values().length)];
                    if (op == Op.RESTORE && committed.isEmpty()) {
                        op = Op.BACKUP; // nothing to restore yet
                    }
                    String victim = "supervisor-" + random.nextInt(3);
                    if (op == Op.KILL || op == Op.FREEZE) {
                        if (faulty == null) {
                            faulty = victim;
                            frozen = op == Op.FREEZE;
                            if (frozen) {
                                cluster.processes.pause(victim);
                            } else {
                                cluster.processes.kill(victim);
                            }
                            count(outcomes, op + " " + victim);
                            System.out.println("  " + op + " " + victim);
                        }
                        continue;
                    }
                    boolean healthy = faulty == null;
                    done++;
                    boolean ok = run(admin, op, random, committed);
                    count(outcomes, op + (ok ? " ok" : " failed") + (healthy ? "" : " under a fault"));
                    System.out.println("  " + op + (ok ? " ok" : " failed") + (healthy ? "" : " under a fault"));
                    assertTrue(ok || !healthy, op + " failed with every process healthy (seed " + seed + ")");
                    if (faulty != null && random.nextBoolean()) {
                        System.out.println("  back: " + faulty);
                        if (frozen) {
                            cluster.processes.resume(faulty);
                        } else {
                            cluster.processes.restart(faulty);
                        }
                        faulty = null;
                        // The cluster recovers on its own: pending installs finish, the Supervisor works off
                        // its backlog and the topologies catch up, within a minute.
                        cluster.awaitCaughtUp(MODULE_A);
                    }
                }
                if (faulty != null) {
                    if (frozen) {
                        cluster.processes.resume(faulty);
                    } else {
                        cluster.processes.restart(faulty);
                    }
                }
            }
            // Every process is back: the cluster recovers on its own, and its next backup must succeed.
            cluster.awaitCaughtUp(MODULE_A);
            assertTrue(run(admin, Op.BACKUP, random, committed), "the backup after the last fault failed (seed " + seed + ")");
            System.out.println("soak outcomes: " + outcomes + "; " + committed.size() + " backups committed");

            cluster.checkLive(MODULE_A);
            for (String backupId : committed) {
                // The soak sets no retention: a GC may delete nothing committed, so every backup is still there.
                assertTrue(backupExists(backupId), backupId + " was committed and is gone from the store (seed " + seed + ")");
                VerifyReport verify = admin.verify(backupId, true);
                assertTrue(verify.ok(), backupId + ": " + verify.problems());
            }
            String last = committed.get(committed.size() - 1);
            admin.restore(last, null);
            cluster.checkLive(MODULE_A);
            cluster.awaitNoLeftovers();
            assertEquals(List.of(), ClusterFixture.writesInFlight(store()), "temporary files left in the store");
            assertEquals(List.of(), ClusterFixture.filesUnder(store().resolve("locks")), "leases left in the store");
        }
    }

    /** Runs one operation; returns whether it succeeded. */
    private boolean run(ClusterAdmin admin, Op op, Random random, List<String> committed) {
        try {
            switch (op) {
                case BACKUP -> committed.add(admin.backup(MODULE_A).backupId());
                case GC -> {
                    ClusterAdmin.CliResult gc = admin.runCli(List.of("--action", "gc"));
                    return gc.exitCode() == 0;
                }
                case RESTORE -> {
                    String backupId = committed.get(random.nextInt(committed.size()));
                    admin.restore(backupId, null);
                }
                default -> throw new IllegalArgumentException(op.toString());
            }
            return true;
        } catch (RuntimeException e) {
            System.out.println("  " + op + " failed: " + e.getMessage());
            return false;
        }
    }

    /** Copies the processes' logs to {@code -Dmodbackup.soak.logs=DIR}, when set, for a failed run's autopsy. */
    private static void keepLogs(Path cluster) throws IOException {
        String target = System.getProperty("modbackup.soak.logs");
        if (target != null) {
            Files.createDirectories(Path.of(target));
            try (Stream<Path> logs = Files.list(cluster)) {
                for (Path log : logs.filter(p -> p.toString().endsWith(".log")).toList()) {
                    Files.copy(log, Path.of(target).resolve(log.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private boolean backupExists(String backupId) {
        String module = backupId.substring(0, backupId.length() - "-0000000000000000-00".length());
        return Files.exists(store().resolve("backups").resolve(module).resolve(backupId).resolve("backup.json"));
    }

    private Path store() {
        return dir.resolve("store");
    }

    private static void count(Map<String, Integer> outcomes, String what) {
        outcomes.merge(what, 1, Integer::sum);
    }

}
