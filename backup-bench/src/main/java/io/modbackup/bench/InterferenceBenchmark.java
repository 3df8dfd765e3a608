package io.modbackup.bench;

import io.modbackup.api.fs.FileTrees;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.core.engine.BackupEngine;
import io.modbackup.core.engine.BackupOptions;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
import io.modbackup.core.seal.Compression;
import io.modbackup.sim.SampleModules;
import io.modbackup.sim.SimulatedCluster;
import io.modbackup.sim.Workload;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * What a backup does to the module's own work, in one run: module A's append-to-processed latency (an
 * entry appended, until every topology processed it), median and p99, with no backup running, during an
 * unlimited full backup and during one limited by {@code backup.upload.bytes.per.second} to a quarter of
 * the unlimited one's rate (both uncompressed, to a local directory); and the limited backup's throughput
 * against its limit.
 *
 * <pre>bench.sh interference [--dir DIR] [--entries N]</pre>
 */
public final class InterferenceBenchmark {
    private static final String A = SampleModules.MODULE_A;

    private InterferenceBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path base = null;
        int entries = 40_000;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--dir" -> base = Path.of(args[++i]);
                case "--entries" -> entries = Integer.parseInt(args[++i]);
                default -> {
                    System.err.println("error: unknown argument " + args[i] + " (use --dir DIR, --entries N)");
                    System.exit(2);
                }
            }
        }
        Path dir = base != null ? Files.createDirectories(base) : Files.createTempDirectory("interference-");
        try (SimulatedCluster cluster = SimulatedCluster.withSampleModules(dir.resolve("cluster"));
             Workload workload = new Workload(cluster, 3, 5000, 2048)) {
            cluster.deploy(SampleModules.moduleA(), new Parallelism(4, 2, 1));
            for (int done = 0; done < entries; done += 2000) {
                workload.appendBatch(A, "*events", Math.min(2000, entries - done));
            }
            if (!cluster.awaitSettled(A, 600_000)) {
                throw new IllegalStateException("module A did not settle");
            }
            List<Long> idle = probe(cluster, workload, null);
            Phase unlimited = during(cluster, workload, dir.resolve("store-unlimited"));
            long limit = Math.max(64 * 1024, (long) (unlimited.bytesPerSecond() / 4));
            cluster.setDynamicOption(A, "backup.upload.bytes.per.second", Long.toString(limit));
            Phase limited = during(cluster, workload, dir.resolve("store-limited"));
            System.out.printf("append-to-processed latency of module A (4 tasks, %d entries of 2 KiB held), ms%n", entries);
            System.out.printf("%-34s %8s %8s %8s %16s%n", "while", "samples", "median", "p99", "backup rate");
            print("no backup", idle, Double.NaN);
            print("an unlimited full backup", unlimited.latencies(), unlimited.bytesPerSecond());
            print("a full backup limited to " + mib(limit) + "/s", limited.latencies(), limited.bytesPerSecond());
            System.out.printf(Locale.ROOT, "limited backup's rate / its limit: %.3f (%s sent in %.1f s)%n",
                    limited.bytesPerSecond() / limit, mib(limited.backup().totals().bytesSent()),
                    limited.backup().totals().durationMillis() / 1000.0);
        } finally {
            if (base == null) {
                FileTrees.deleteTree(dir);
            }
        }
    }

    private record Phase(List<Long> latencies, ModuleManifest backup) {
        double bytesPerSecond() {
            return backup.totals().bytesSent() / (backup.totals().durationMillis() / 1000.0);
        }
    }

    /** Runs a full backup to a new store and probes the latency until it ends. */
    private static Phase during(SimulatedCluster cluster, Workload workload, Path store) throws Exception {
        try (LocalDirectoryProvider provider = new LocalDirectoryProvider(store.toString());
             // Uncompressed: the sample entries compress 60-fold, which would leave little for a limit to hold back.
             BackupEngine engine = new BackupEngine(cluster, provider, BackupOptions.defaults().withCompression(Compression.NONE))) {
            CompletableFuture<ModuleManifest> backup = CompletableFuture.supplyAsync(() -> engine.backup(A));
            List<Long> latencies = probe(cluster, workload, backup);
            return new Phase(latencies, backup.join());
        }
    }

    /** Latencies in microseconds: until {@code running} ends, or 200 samples when it is null. */
    private static List<Long> probe(SimulatedCluster cluster, Workload workload, CompletableFuture<?> running)
            throws InterruptedException {
        List<Long> samples = new ArrayList<>();
        while (running == null ? samples.size() < 200 : !running.isDone()) {
            long start = System.nanoTime();
            workload.appendBatch(A, "*events", 1);
            if (!cluster.awaitCaughtUp(A, 60_000)) {
                throw new IllegalStateException("module A did not catch up within a minute");
            }
            samples.add((System.nanoTime() - start) / 1000);
        }
        return samples;
    }

    private static void print(String what, List<Long> micros, double rate) {
        List<Long> sorted = new ArrayList<>(micros);
        Collections.sort(sorted);
        double median = sorted.get(sorted.size() / 2) / 1000.0;
        double p99 = sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * 0.99) - 1)) / 1000.0;
        System.out.printf(Locale.ROOT, "%-34s %8d %8.1f %8.1f %16s%n", what, sorted.size(), median, p99,
                Double.isNaN(rate) ? "" : mib((long) rate) + "/s");
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }
}
