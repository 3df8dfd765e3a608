package io.modbackup.demo;

import io.modbackup.api.runtime.DepotRef;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.cluster.launch.ClusterCommand;
import io.modbackup.cluster.launch.ClusterProcesses;
import io.modbackup.cluster.launch.ClusterSpec;
import io.modbackup.cluster.launch.LiveCheck;
import io.modbackup.cluster.node.ClusterAdmin;
import io.modbackup.cluster.node.ProcessProbe.ProcessStats;
import io.modbackup.core.engine.VerifyReport;
import io.modbackup.sim.ConsistencyOracle;
import io.modbackup.sim.ConsistencyViolation;
import io.modbackup.sim.SampleModules;
import io.modbackup.sim.Workload;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The main job: on a fresh machine, starts the multi-process simulated cluster (a Conductor and three
 * Supervisors, each its own JVM) in a directory with the local-directory provider, writes, takes a
 * full and two incremental backups while writing (each Supervisor uploads its own tasks' chunks),
 * lists them through the CLI running in the Conductor, restores an earlier one, checks the restored
 * state with the consistency oracle, deep-verifies every backup and prints a report with each
 * process's ID and the bytes it uploaded. Exits non-zero if the oracle or a verification fails. The
 * cluster keeps running afterwards, so the printed {@code bin/backup} commands work; {@code bin/cluster
 * stop} stops it.
 */
public final class Demo {
    static final String CLUSTER_ID = "sim-cluster";
    private static final String A = SampleModules.MODULE_A;
    private static final String B = SampleModules.MODULE_B;
    private static final int SUPERVISORS = 3;

    private Demo() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && !Files.isDirectory(Path.of(args[0]))) {
            System.err.println("error: demo directory " + Path.of(args[0]).toAbsolutePath() + " does not exist or is not a"
                    + " directory; create it first, or run ./demo.sh without an argument to use a fresh temporary directory");
            System.exit(2);
        }
        Path root = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("modbackup-demo-");
        int writeMillis = args.length > 1 ? Integer.parseInt(args[1]) : 1500;
        boolean ok = run(root.toAbsolutePath(), writeMillis, System.out, true);
        System.exit(ok ? 0 : 1);
    }

    /**
     * Runs the demo under {@code root}; returns whether every check passed.
     *
     * @param keepRunning leave the cluster's processes running afterwards
     */
    public static boolean run(Path root, int writeMillis, PrintStream out, boolean keepRunning) throws Exception {
        ClusterSpec spec = ClusterCommand.create(root, SUPERVISORS);
        Path config = root.resolve("modbackup.yaml");
        out.println("modbackup demo in " + root);
        List<String[]> rows = new ArrayList<>();
        List<ClusterAdmin.BackupDone> backups = new ArrayList<>();
        boolean ok = true;
        ClusterProcesses cluster = ClusterProcesses.start(spec);
        try {
            ClusterAdmin admin = cluster.admin();
            admin.deploy(A, new Parallelism(4, SUPERVISORS, 1));
            admin.deploy(B, new Parallelism(2, SUPERVISORS, 1));
            ClusterCommand.printStatus(cluster, out);
            out.println("modules: " + A + " (4 tasks), " + B + " (2 tasks, subscribes to " + A + "/*events)");

            try (Workload workload = new Workload(admin::append, 2024, 5000, 200)) {
                workload.start(List.of(new DepotRef(A, "*events"), new DepotRef(B, "*clicks")), 50, Duration.ofMillis(10));
                for (String label : List.of("full", "incremental", "incremental")) {
                    Thread.sleep(writeMillis);
                    ClusterAdmin.BackupDone backup = admin.backup(A);
                    backups.add(backup);
                    rows.add(new String[] {label + " backup", mib(backup.bytes()), mib(backup.newBytes()),
                            mib(backup.bytesSent()), backup.durationMillis() + " ms"});
                    out.printf("  %-18s %s while writing (%d entries appended so far)%n", label + " backup",
                            backup.backupId(), workload.appended());
                }
                Thread.sleep(writeMillis / 2);
                out.printf("  writing continues: %d entries appended in all%n", workload.appended());
            }

            out.println();
            out.println("bin/backup --action list --module " + A + " (the CLI runs in the Conductor):");
            ClusterAdmin.CliResult list = admin.runCli(List.of("--action", "list", "--module", A, "--config", config.toString()));
            out.print(list.out().indent(2));
            ok &= list.exitCode() == 0;

            ClusterAdmin.BackupDone target = backups.get(1);
            out.println();
            out.println("restoring " + A + " to " + target.backupId() + " (the first incremental backup)");
            ClusterAdmin.RestoreDone restored = admin.restore(target.backupId(), null);
            rows.add(new String[] {"restore", mib(restored.bytes()), "-", "-", restored.durationMillis() + " ms"});
            out.printf("  restored %d files, %s, restore epoch %d, depot *events now ends at %s%n", restored.files(),
                    mib(restored.bytes()), restored.epoch(), admin.depotEndOffsets(A, "*events").values());

            String verdict;
            try {
                ConsistencyOracle.Report report = LiveCheck.check(cluster, A, root.resolve("oracle-check-" + System.nanoTime()));
                verdict = "PASS: " + report.tasks() + " tasks, " + report.entriesReplayed() + " depot entries replayed, "
                        + report.pstateKeys() + " PState keys equal their replay, microbatch commit IDs " + report.commitIds();
            } catch (ConsistencyViolation e) {
                ok = false;
                verdict = "FAIL: " + e.getMessage();
            }
            for (ClusterAdmin.BackupDone backup : backups) {
                VerifyReport verify = admin.verify(backup.backupId(), true);
                ok &= verify.ok();
                if (!verify.ok()) {
                    verdict += "; verify " + backup.backupId() + " FAILED: " + verify.problems();
                }
            }

            out.println();
            out.println("report");
            out.printf("  %-20s %12s %12s %12s %10s%n", "step", "size", "new content", "sent", "duration");
            for (String[] r : rows) {
                out.printf("  %-20s %12s %12s %12s %10s%n", (Object[]) r);
            }
            out.println("  (size: the files backed up; new content: what the backup before did not hold; sent: bytes"
                    + " written to the store, compressed)");
            out.println("  oracle after restore: " + verdict);
            out.println("  deep verify of every backup: " + (ok ? "all chunks present and re-hashed" : "see above"));
            out.println("  what each process wrote to the store (chunks go straight from the Supervisors):");
            long written = 0;
            for (String node : nodes(cluster)) {
                ProcessStats stats = cluster.stats(node);
                written += stats.storeBytesWritten();
                out.printf("    %-13s pid %-7d %10s of chunks, %10s in all%n", node, stats.pid(),
                        mib(stats.chunkBytesWritten()), mib(stats.storeBytesWritten()));
            }
            long sent = backups.stream().mapToLong(ClusterAdmin.BackupDone::bytesSent).sum();
            out.printf("    %-13s %s in all: %s sent by the backups above, %s of module manifests, the backup index,"
                    + " leases and the store's records%n", "all", mib(written), mib(sent), kib(written - sent));
        } finally {
            if (!keepRunning) {
                cluster.close();
            }
        }
        out.println();
        if (keepRunning) {
            out.println("the cluster keeps running; try the CLI on it:");
            out.println("  bin/backup --config " + config + " --action list --module " + A);
            String example = backups.get(0).backupId();
            out.println("  bin/backup --config " + config + " --action info --backupId " + example);
            out.println("  bin/backup --config " + config + " --action verify --backupId " + example + " --deep");
            out.println("  bin/backup --config " + config + " --action restore --backupId " + example + " --yes");
            out.println("  bin/backup --config " + config + " --action status --module " + A);
            out.println("  bin/cluster status " + root);
            out.println("stop it with: bin/cluster stop " + root);
        }
        return ok;
    }

    private static List<String> nodes(ClusterProcesses cluster) {
        List<String> nodes = new ArrayList<>(List.of("conductor"));
        nodes.addAll(cluster.supervisorIds());
        return nodes;
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.2f MiB", bytes / (1024.0 * 1024));
    }

    private static String kib(long bytes) {
        return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }
}
