package io.modbackup.bench;

import io.modbackup.core.engine.BackupEngine;
import io.modbackup.core.engine.BackupOptions;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
import io.modbackup.sim.SampleModules;
import io.modbackup.sim.SimulatedCluster;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.concurrent.atomic.AtomicLong;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/** Run with a small -Xmx: a full backup and a restore of the benchmark's cluster into a fresh store. */
public final class HeapCheck {
    /** Starts the line that reports the peak heap, which {@link #row} finds. */
    private static final String PEAK = "peak heap ";

    private HeapCheck() {
    }

    /** Backup and restore in a JVM with -Xmx64m; reports whether they completed and the peak heap. */
    static Benchmark.Row row(Path clusterDir, Path store, PrintStream log) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                HeapCheck.class.getName(), clusterDir.toString(), store.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        int code = p.waitFor();
        log.println("heap check: " + out);
        // The module's topologies may still log after the peak is printed: the line is found, not taken as the last.
        String peak = out.lines().filter(line -> line.startsWith(PEAK)).reduce((a, b) -> b).orElse("");
        return new Benchmark.Row("peak heap, full backup + restore", peak.isEmpty() ? "-" : peak.substring(PEAK.length()),
                "-Xmx64m", Double.NaN, "completes", code == 0 ? "met (completed)" : "MISSED (exit " + code + ")");
    }

    public static void main(String[] args) throws Exception {
        try (SimulatedCluster cluster = new SimulatedCluster("bench", Path.of(args[0]), 2, 4L << 20,
                List.of(SampleModules.moduleA()));
             LocalDirectoryProvider store = new LocalDirectoryProvider(args[1]);
             BackupEngine engine = new BackupEngine(cluster, store, BackupOptions.defaults())) {
            MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
            AtomicLong peakUsed = new AtomicLong();
            Thread sampler = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    peakUsed.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            sampler.setDaemon(true);
            sampler.start();
            ModuleManifest m = engine.backup(SampleModules.MODULE_A);
            engine.restore(m.backupId());
            sampler.interrupt();
            long peak = peakUsed.get();
            System.out.printf("backed up and restored %s with max heap %s%n", Benchmark.size(m.totals().bytes()),
                    Benchmark.size(Runtime.getRuntime().maxMemory()));
            System.out.println(PEAK + Benchmark.size(peak));
        }
        System.exit(0);
    }
}
