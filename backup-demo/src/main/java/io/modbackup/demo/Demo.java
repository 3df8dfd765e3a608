package io.modbackup.demo;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.provider.ProviderLoader;
import io.modbackup.api.runtime.CutDescriptor;
import io.modbackup.api.runtime.DepotRef;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.core.engine.BackupEngine;
import io.modbackup.core.engine.BackupOptions;
import io.modbackup.core.engine.BackupSummary;
import io.modbackup.core.engine.RestoreResult;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
import io.modbackup.testkit.cluster.ConsistencyOracle;
import io.modbackup.testkit.cluster.ConsistencyViolation;
import io.modbackup.testkit.cluster.CutFiles;
import io.modbackup.testkit.cluster.SampleModules;
import io.modbackup.testkit.cluster.SimulatedCluster;
import io.modbackup.testkit.cluster.Workload;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The main job: on a fresh machine, starts the simulated cluster in a temporary directory with the
 * local-directory provider, writes, takes a full and two incremental backups while writing, lists
 * them, restores an earlier one, checks the restored state with the consistency oracle and prints a
 * report. Exits non-zero if the oracle or a verification fails.
 */
public final class Demo {
    static final String CLUSTER_ID = "demo-cluster";
    private static final String A = SampleModules.MODULE_A;
    private static final String B = SampleModules.MODULE_B;

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
        boolean ok = run(root, writeMillis, System.out);
        System.exit(ok ? 0 : 1);
    }

    /** Runs the demo under {@code root}; returns whether every check passed. */
    public static boolean run(Path root, int writeMillis, PrintStream out) throws Exception {
        Path storeDir = root.resolve("store");
        Path config = root.resolve("modbackup.yaml");
        String providerConfig = LocalDirectoryProvider.class.getName() + " " + storeDir;
        Files.writeString(config, ProviderLoader.CONFIG_KEY + ": \"" + providerConfig + "\"\n"
                + SimulatedClusterConnector.CLUSTER_DIR + ": " + root.resolve("cluster") + "\n");
        out.println("modbackup demo in " + root);
        List<String[]> rows = new ArrayList<>();
        boolean ok = true;
        try (BackupProvider provider = new ProviderLoader().load(providerConfig);
             SimulatedCluster cluster = new SimulatedCluster(CLUSTER_ID, root.resolve("cluster"), 2,
                     SimulatedCluster.DEFAULT_SEGMENT_BYTES, List.of(SampleModules.moduleA(), SampleModules.moduleB()));
             BackupEngine engine = new BackupEngine(cluster, provider, BackupOptions.defaults().withChunkSize(1024 * 1024))) {
            cluster.deploy(SampleModules.moduleA(), new Parallelism(4, 2, 1));
            cluster.deploy(SampleModules.moduleB(), new Parallelism(2, 2, 1));
            out.println("cluster: 2 supervisors; " + A + " (4 tasks), " + B + " (2 tasks, subscribes to " + A + "/*events)");

            List<ModuleManifest> backups = new ArrayList<>();
            try (Workload workload = new Workload(cluster, 2024, 5000, 200)) {
                workload.start(List.of(new DepotRef(A, "*events"), new DepotRef(B, "*clicks")), 20, Duration.ofMillis(2));
                for (String label : List.of("full", "incremental", "incremental")) {
                    Thread.sleep(writeMillis);
                    ModuleManifest m = engine.backup(A);
                    backups.add(m);
                    rows.add(row(label + " backup", m));
                    out.printf("  %-18s %s while writing (%d entries appended so far)%n", label + " backup", m.backupId(),
                            workload.appended());
                }
                Thread.sleep(writeMillis / 2);
                out.printf("  writing continues: %d entries appended in all%n", workload.appended());
            }

            out.println();
            out.println("backups of " + A + ", newest first:");
            for (BackupSummary b : engine.list(A, null, 10).backups()) {
                out.printf("  %s  %10s  %10s new  %5d ms%n", b.backupId(), mib(b.bytes()), mib(b.newBytes()), b.durationMillis());
            }

            ModuleManifest target = backups.get(1);
            out.println();
            out.println("restoring " + A + " to " + target.backupId() + " (the first incremental backup)");
            RestoreResult restored = engine.restore(target.backupId());
            rows.add(new String[] {"restore", mib(restored.bytes()), "-", "-", restored.durationMillis() + " ms"});
            out.printf("  restored %d files, %s, restore epoch %d, depot *events now ends at %s%n", restored.files(),
                    mib(restored.bytes()), restored.marker().epoch(), restored.marker().depotEndOffsets().get("*events"));

            String verdict;
            CutDescriptor cut = cluster.captureCut(A);
            try {
                ConsistencyOracle.Report report = new ConsistencyOracle(cluster::definition, cluster.liveDepots())
                        .check(A, CutFiles.materialize(cluster, cut, root.resolve("oracle-check")));
                boolean atBackup = report.commitIds().get("counts") >= target.commitIds().get("counts");
                ok &= atBackup;
                verdict = "PASS: " + report.tasks() + " tasks, " + report.entriesReplayed() + " depot entries replayed, "
                        + report.pstateKeys() + " PState keys equal their replay, microbatch commit IDs " + report.commitIds()
                        + (atBackup ? "" : " (BEHIND the backup's " + target.commitIds() + ")");
            } catch (ConsistencyViolation e) {
                ok = false;
                verdict = "FAIL: " + e.getMessage();
            } finally {
                cluster.releaseCut(A, cut.cutId());
            }
            for (ModuleManifest m : backups) {
                var verify = engine.verify(m.backupId(), true);
                ok &= verify.ok();
                if (!verify.ok()) {
                    verdict += "; verify " + m.backupId() + " FAILED: " + verify.problems();
                }
            }

            out.println();
            out.println("report");
            out.printf("  %-20s %12s %12s %12s %10s%n", "step", "bytes", "bytes read", "uploaded", "duration");
            for (String[] r : rows) {
                out.printf("  %-20s %12s %12s %12s %10s%n", (Object[]) r);
            }
            out.println("  oracle after restore: " + verdict);
            out.println("  deep verify of every backup: " + (ok ? "all chunks present and re-hashed" : "see above"));
        }
        out.println();
        out.println("try the CLI on this cluster and store:");
        out.println("  bin/backup --config " + config + " --action list --module " + A);
        out.println("  bin/backup --config " + config + " --action info --backupId <id>");
        return ok;
    }

    private static String[] row(String label, ModuleManifest m) {
        return new String[] {label, mib(m.totals().bytes()), mib(m.totals().bytesRead()), mib(m.totals().newBytes()),
                m.totals().durationMillis() + " ms"};
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.2f MiB", bytes / (1024.0 * 1024));
    }

}
