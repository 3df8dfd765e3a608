package io.modbackup.bench;

import io.modbackup.core.engine.BackupEngine;
import io.modbackup.core.engine.BackupOptions;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
import io.modbackup.sim.SampleModules;
import io.modbackup.sim.SimulatedCluster;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.concurrent.atomic.AtomicLong;
import java.nio.file.Path;
import java.util.List;

/** Run with a small -Xmx: a full backup and a restore of the benchmark's cluster into a fresh store. */
public final class HeapCheck {
    private HeapCheck() {
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
            System.out.println("peak heap " + Benchmark.size(peak));
        }
        System.exit(0);
    }
}
