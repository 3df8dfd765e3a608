package io.modbackup.bench;

import io.modbackup.api.fs.FileTrees;
import io.modbackup.api.runtime.DepotRef;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.cluster.launch.ClusterProcesses;
import io.modbackup.cluster.launch.ClusterSpec;
import io.modbackup.cluster.node.ClusterAdmin;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
import io.modbackup.sim.CutTiming;
import io.modbackup.sim.SampleModules;
import io.modbackup.sim.Workload;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How long a cut pauses a module's topologies on a multi-process cluster, by task count: for 4, 16 and
 * 64 tasks of module A on 8 Supervisor processes under a steady load, takes 20 cuts and reports the
 * median and worst prepare time (pause, checkpoint every PState) and pause time (until every
 * Supervisor captured its depots and resumed), and their ratio to 4 tasks', measured in one run.
 *
 * <pre>bench.sh cut-pause [--dir DIR]</pre>
 */
public final class CutPauseBenchmark {
    private static final int SUPERVISORS = 8;
    private static final int CUTS = 20;

    private CutPauseBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path base = args.length == 2 && args[0].equals("--dir") ? Path.of(args[1]) : Files.createTempDirectory("cut-pause-");
        List<long[]> rows = new ArrayList<>();
        for (int tasks : new int[] {4, 16, 64}) {
            rows.add(measure(base.resolve("tasks-" + tasks), tasks));
        }
        System.out.printf("cut pause on %d Supervisor processes, %d cuts each under load (ms)%n", SUPERVISORS, CUTS);
        System.out.printf("%8s %16s %16s %16s %16s %10s%n", "tasks", "prepare median", "prepare worst", "pause median",
                "pause worst", "vs 4 tasks");
        for (long[] r : rows) {
            System.out.printf(Locale.ROOT, "%8d %16d %16d %16d %16d %9.2fx%n", r[0], r[1], r[2], r[3], r[4],
                    (double) r[3] / rows.get(0)[3]);
        }
        FileTrees.deleteTree(base);
    }

    private static long[] measure(Path dir, int tasks) throws Exception {
        ClusterSpec spec = ClusterSpec.of(dir.resolve("cluster"), SUPERVISORS,
                LocalDirectoryProvider.class.getName() + " " + dir.resolve("store")).withCatalog("scale-" + tasks)
                .withCallDeadline(Duration.ofSeconds(20));
        try (ClusterProcesses cluster = ClusterProcesses.start(spec)) {
            ClusterAdmin admin = cluster.admin();
            admin.deploy(SampleModules.MODULE_A, new Parallelism(1, SUPERVISORS, 1));
            List<Long> prepare = new ArrayList<>();
            List<Long> pause = new ArrayList<>();
            try (Workload workload = new Workload(admin::append, tasks, 1000, 200)) {
                workload.start(List.of(new DepotRef(SampleModules.MODULE_A, "*events")), 64, Duration.ofMillis(20));
                Thread.sleep(2000);
                for (int i = 0; i < CUTS; i++) {
                    var cut = admin.captureCut(SampleModules.MODULE_A);
                    admin.releaseCut(SampleModules.MODULE_A, cut.cutId());
                    CutTiming timing = admin.lastCutTiming(SampleModules.MODULE_A);
                    prepare.add(timing.prepareMillis());
                    pause.add(timing.pauseMillis());
                    Thread.sleep(100);
                }
            }
            prepare.sort(null);
            pause.sort(null);
            return new long[] {tasks, prepare.get(CUTS / 2), prepare.get(CUTS - 1), pause.get(CUTS / 2), pause.get(CUTS - 1)};
        }
    }
}
