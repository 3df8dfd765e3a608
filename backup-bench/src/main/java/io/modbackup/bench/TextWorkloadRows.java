package io.modbackup.bench;

import static io.modbackup.bench.Rows.row;
import static io.modbackup.bench.Timing.time;

import io.modbackup.api.fs.FileTrees;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.core.engine.BackupEngine;
import io.modbackup.core.engine.BackupOptions;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
import io.modbackup.core.seal.Compression;
import io.modbackup.sim.ModuleDefinition;
import io.modbackup.sim.SampleModules;
import io.modbackup.sim.SimulatedCluster;
import io.modbackup.sim.WorkloadEntry;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import io.modbackup.bench.Benchmark.Options;
import io.modbackup.bench.Benchmark.Row;

/**
 * The compression rows on a JSON-like workload (an eighth of the run's size): the chunk bytes zstd:3
 * stores against none, and a full backup's time with each, from alternating rounds in one run.
 */
final class TextWorkloadRows {
    private static final long MIB = 1024 * 1024;
    private static final String A = SampleModules.MODULE_A;

    private TextWorkloadRows() {
    }

    static List<Row> rows(Options o, PrintStream log) throws Exception {
        ModuleDefinition module = SampleModules.moduleA();
        Path dir = o.dir().resolve("text");
        Rounds rounds = new Rounds("JSON-like depot entries, full backup, zstd:3 vs none");
        long stored;
        long content;
        try (SimulatedCluster cluster = new SimulatedCluster("bench-text", dir.resolve("cluster"), 2, o.segmentBytes(),
                List.of(module))) {
            cluster.deploy(module, new Parallelism(4, 2, 1));
            Random random = new Random(43);
            String[] events = {"page_view", "click", "add_to_cart", "purchase", "search", "scroll"};
            long bytes = Math.max(4 * MIB, o.sizeBytes() / 8);
            long written = 0;
            for (long count = 1; written < bytes; count++) {
                String json = String.format(Locale.ROOT, "{\"ts\":%d,\"user\":\"user-%d\",\"session\":\"%08x\","
                                + "\"event\":\"%s\",\"page\":\"/products/%d\",\"amount_cents\":%d,\"agent\":\"Mozilla/5.0"
                                + " (X11; Linux x86_64)\",\"country\":\"%s\"}", 1_732_000_000_000L + count * 37,
                        random.nextInt(50_000), random.nextInt(), events[random.nextInt(events.length)],
                        random.nextInt(5_000), random.nextInt(100_000), new String[] {"DE", "US", "FR", "JP"}[random.nextInt(4)]);
                cluster.append(A, "*events", new WorkloadEntry("user-" + random.nextInt(50_000), 1, json));
                written += json.length() + 20;
                if (count % 20000 == 0) {
                    cluster.awaitCaughtUp(A, TimeUnit.MINUTES.toMillis(10));
                }
            }
            cluster.awaitSettled(A, TimeUnit.MINUTES.toMillis(30));
            BackupOptions options = BackupOptions.defaults().withChunkSize(o.chunkSize());
            Path zstdStore = dir.resolve("store-zstd");
            Path plainStore = dir.resolve("store-none");
            ModuleManifest backup = null;
            for (int r = 0; r < o.rounds(); r++) {
                FileTrees.deleteTree(plainStore);
                FileTrees.deleteTree(zstdStore);
                if (r % 2 == 1) {
                    rounds.baseline(Benchmark.timeBackup(cluster, plainStore, options.withCompression(Compression.NONE)));
                }
                try (LocalDirectoryProvider provider = new LocalDirectoryProvider(zstdStore.toString());
                     BackupEngine engine = new BackupEngine(cluster, provider, options)) {
                    ModuleManifest[] made = new ModuleManifest[1];
                    rounds.ours(time(() -> made[0] = engine.backup(A), true));
                    backup = made[0];
                }
                if (r % 2 == 0) {
                    rounds.baseline(Benchmark.timeBackup(cluster, plainStore, options.withCompression(Compression.NONE)));
                }
            }
            stored = Benchmark.treeBytes(zstdStore.resolve("blobs"));
            content = Benchmark.treeBytes(plainStore.resolve("blobs"));
            log.printf("JSON-like depot entries: %s of content in %d files, %s stored with zstd:3%n", Benchmark.size(content),
                    backup.totals().files(), Benchmark.size(stored));
        } finally {
            FileTrees.deleteTree(dir);
        }
        log.println(rounds);
        return List.of(new Row("JSON-like depot entries: chunk bytes stored, zstd:3 vs none", Benchmark.size(stored), Benchmark.size(content)
                        + " (none)", (double) stored / content, "<= 0.33", (double) stored / content <= 0.33 ? "met" : "MISSED"),
                rounds.row("JSON-like depot entries: full backup, zstd:3 vs none", "none", Double.NaN));
    }
}
