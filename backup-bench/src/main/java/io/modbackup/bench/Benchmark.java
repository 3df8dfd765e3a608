package io.modbackup.bench;

import static io.modbackup.bench.BaselineTools.borgBackup;
import static io.modbackup.bench.BaselineTools.resticBackup;
import static io.modbackup.bench.Rows.fmt;
import static io.modbackup.bench.Rows.row;
import static io.modbackup.bench.Timing.seconds;
import static io.modbackup.bench.Timing.time;

import io.modbackup.api.fs.FileTrees;
import io.modbackup.api.runtime.CutDescriptor;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.api.runtime.TaskCut;
import io.modbackup.core.engine.BackupEngine;
import io.modbackup.core.engine.BackupOptions;
import io.modbackup.core.engine.RestoreResult;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
import io.modbackup.core.crypto.LocalMasterKey;
import io.modbackup.core.seal.Compression;
import io.modbackup.core.store.BackupStore;
import io.modbackup.sim.ModuleDefinition;
import io.modbackup.sim.SampleModules;
import io.modbackup.sim.SimulatedCluster;
import io.modbackup.sim.WorkloadEntry;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Measures modbackup against what a user would do instead, on the same bytes in the same run, and
 * prints ratios (these machines are noisy: absolute times mean little). Run by {@code bench.sh}.
 *
 * <pre>
 * bench.sh [--size 2GiB] [--segment 4MiB] [--rounds 3] [--dir DIR] [--no-cloud] [--no-heap-check]
 * </pre>
 */
public final class Benchmark {
    private static final String A = SampleModules.MODULE_A;
    private static final long MIB = 1024 * 1024;

    /** What to run. */
    /**
     * @param rounds how many times each timed measure and its baseline run, alternating; the row
     *     reports the median of the per-round ratios
     */
    public record Options(long sizeBytes, long segmentBytes, Path dir, boolean s3, boolean heapCheck, int chunkSize,
                          int rounds) {
        public Options {
            if (rounds < 1) {
                throw new IllegalArgumentException("--rounds must be at least 1, got " + rounds);
            }
        }
    }

    /** One row of the table. */
    public record Row(String measure, String ours, String baseline, double ratio, String target, String verdict) {
    }

    private Benchmark() {
    }

    public static void main(String[] args) throws Exception {
        long size = 2048 * MIB;
        long segment = 4 * MIB;
        Path dir = null;
        boolean s3 = true;
        boolean heap = true;
        int rounds = 3;
        boolean keep = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--size" -> size = parseSize(args[++i]);
                case "--segment" -> segment = parseSize(args[++i]);
                case "--dir" -> dir = Path.of(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--no-cloud", "--no-s3" -> s3 = false;
                case "--no-heap-check" -> heap = false;
                case "--keep" -> keep = true;
                default -> {
                    System.err.println("error: unknown argument " + args[i]
                            + " (use --size, --segment, --rounds, --dir, --keep, --no-cloud, --no-heap-check)");
                    System.exit(2);
                }
            }
        }
        Path work = dir != null ? dir : Files.createTempDirectory("modbackup-bench-");
        // What was there before is never touched: only what this run wrote is removed.
        java.util.Set<Path> before = new java.util.HashSet<>();
        if (Files.isDirectory(work)) {
            try (var existing = Files.list(work)) {
                existing.forEach(before::add);
            }
        }
        try {
            List<Row> rows = run(new Options(size, segment, work, s3, heap, BackupOptions.DEFAULT_CHUNK_SIZE, rounds),
                    System.out);
            Rows.printTable(rows, System.out);
        } finally {
            if (keep) {
                System.out.println("data set kept in " + work + " (--keep)");
            } else {
                removeWrittenBy(work, before, dir == null);
            }
        }
        System.exit(0);
    }

    /** Deletes what the run wrote under {@code work}: every entry not in {@code before}, and {@code work} if it made it. */
    private static void removeWrittenBy(Path work, java.util.Set<Path> before, boolean madeWork) throws IOException {
        if (!Files.isDirectory(work)) {
            return;
        }
        try (var entries = Files.list(work)) {
            for (Path entry : entries.toList()) {
                if (!before.contains(entry)) {
                    FileTrees.deleteTree(entry);
                }
            }
        }
        if (madeWork) {
            Files.deleteIfExists(work);
        }
        System.out.println("data set removed from " + work + " (give --keep to keep it)");
    }

    /** Runs every measure and returns the rows. */
    public static List<Row> run(Options o, PrintStream log) throws Exception {
        List<Row> rows = new ArrayList<>();
        Files.createDirectories(o.dir());
        ModuleDefinition module = SampleModules.moduleA();
        BackupOptions options = BackupOptions.defaults().withChunkSize(o.chunkSize());
        Path clusterDir = o.dir().resolve("cluster");
        Path localStore = o.dir().resolve("store-local");
        try (SimulatedCluster cluster = new SimulatedCluster("bench", clusterDir, 2, o.segmentBytes(), List.of(module))) {
            cluster.deploy(module, new Parallelism(4, 2, 1));
            long started = System.nanoTime();
            Random random = new Random(42);
            long appended = generate(cluster, random, (long) (o.sizeBytes() * 0.75));
            cluster.awaitSettled(A, TimeUnit.MINUTES.toMillis(30));
            log.printf("data set: %d entries appended in %.1f s%n", appended, seconds(started));

            // Baselines on exactly the files a backup reads: a pinned cut.
            CutDescriptor cut = cluster.captureCut(A);
            long dataBytes = cut.tasks().stream().mapToLong(TaskCut::totalBytes).sum();
            long files = cut.tasks().stream().mapToLong(TaskCut::fileCount).sum();
            Path cutDir = o.dir().resolve("cut");
            io.modbackup.sim.CutFiles.materialize(cluster, cut, cutDir);
            cluster.releaseCut(A, cut.cutId());
            log.printf("data set: %s in %d files%n", size(dataBytes), files);
            BaselineTools.ToolTimes restic = resticBackup(cutDir, o.dir().resolve("restic-repo"));
            BaselineTools.ToolTimes borg = borgBackup(cutDir, o.dir().resolve("borg-repo"));
            log.printf("baselines: restic %s, borg %s%n", restic, borg);
            FileTrees.deleteTree(o.dir().resolve("restic-repo"));
            FileTrees.deleteTree(o.dir().resolve("borg-repo"));

            // Rounds alternate baseline and ours, each into a fresh target, so that drift in the disk's
            // write-back affects both alike; the first round of ours also pays for JIT compilation.
            // Each round also backs up the same cut uncompressed and encrypted: compression's and
            // encryption's costs are ratios within a round.
            Rounds fullRounds = new Rounds("full backup");
            Rounds compressionRounds = new Rounds("full backup, zstd:3 vs none");
            Rounds compressionCpu = new Rounds("full backup CPU time, zstd:3 vs none");
            Rounds encryptionRounds = new Rounds("full backup, encrypted vs not");
            Rounds floorRounds = new Rounds("full backup vs the store floor (provider creates of the same files, no engine)");
            BackupOptions uncompressed = options.withCompression(Compression.NONE);
            byte[] keyBytes = new byte[32];
            new Random(7).nextBytes(keyBytes);
            BackupOptions encrypted = options.withMasterKey(new LocalMasterKey(keyBytes));
            Path plainStore = o.dir().resolve("store-none");
            Path encryptedStore = o.dir().resolve("store-encrypted");
            for (int r = 0; r < o.rounds(); r++) {
                Path copy = o.dir().resolve("cp-copy-" + r);
                fullRounds.baseline(time(() -> Timing.run("cp", "-r", cutDir.toString(), copy.toString()), true));
                Path store = o.dir().resolve("store-local-" + r);
                FileTrees.deleteTree(plainStore);
                FileTrees.deleteTree(encryptedStore);
                // The three backups of a round take turns at going first: the first reads the cut's files
                // from disk, the later ones find them in the page cache.
                double[] seconds = new double[3];
                double[] cpu = new double[3];
                for (int turn = 0; turn < 3; turn++) {
                    int which = (turn + r) % 3;
                    Path target = which == 0 ? store : which == 1 ? plainStore : encryptedStore;
                    long cpuBefore = processCpuNanos();
                    seconds[which] = timeBackup(cluster, target, which == 0 ? options : which == 1 ? uncompressed : encrypted);
                    cpu[which] = (processCpuNanos() - cpuBefore) / 1e9;
                }
                floorRounds.ours(seconds[0]);
                floorRounds.baseline(StoreFloor.seconds(cutDir, o.dir().resolve("store-floor")));
                compressionCpu.ours(cpu[0]);
                compressionCpu.baseline(cpu[1]);
                fullRounds.ours(seconds[0]);
                compressionRounds.ours(seconds[0]);
                compressionRounds.baseline(seconds[1]);
                encryptionRounds.ours(seconds[2]);
                encryptionRounds.baseline(seconds[0]);
                if (r < o.rounds() - 1) {
                    FileTrees.deleteTree(store);
                    FileTrees.deleteTree(copy);
                }
            }
            log.println(fullRounds);
            log.println(compressionRounds);
            log.println(compressionCpu);
            log.println(encryptionRounds);
            log.println(floorRounds);
            Files.move(o.dir().resolve("store-local-" + (o.rounds() - 1)), localStore);
            long zstdBytes = treeBytes(localStore);
            long plainBytes = treeBytes(plainStore);
            // What the engine probes: each object it stores (a chunk, or a pack of small files), as stored plain.
            double probe = probeSeconds(plainStore.resolve("blobs"), log);
            log.printf("compression probe of every object stored: %.1f ms%n", probe * 1000);
            FileTrees.deleteTree(plainStore);
            Path cpCopy = o.dir().resolve("cp-copy-" + (o.rounds() - 1));

            try (LocalDirectoryProvider store = new LocalDirectoryProvider(localStore.toString());
                 BackupEngine engine = new BackupEngine(cluster, store, options)) {
                ModuleManifest[] full = {engine.info(engine.list(A, null, 1).backups().get(0).backupId())};
                rows.add(fullRounds.row("full backup to local dir", "cp -r + sync", 1.25));
                rows.add(compressionRounds.row("full backup: zstd:3 (default) vs none, same data", "none", 1.05));
                rows.add(compressionCpu.row("  the same, CPU time of the process", "none", 1.05));
                rows.add(row("  what zstd adds on this data: the probe of every object", probe, "full backup, none",
                        compressionRounds.baselineMedian(), 0.05));
                rows.add(new Row("store size: zstd:3 vs none, same data", size(zstdBytes), size(plainBytes) + " (none)",
                        (double) zstdBytes / plainBytes, "-", "(for reference)"));
                rows.add(encryptionRounds.row("full backup: encrypted vs not (zstd:3 both)", "not encrypted", Double.NaN));
                double backup = fullRounds.oursMedian();
                if (restic != null) {
                    rows.add(row("full backup to local dir", backup, "restic backup", restic.full(), 0.5));
                } else {
                    rows.add(new Row("full backup to local dir", fmt(backup) + " s", "restic: not installed", Double.NaN,
                            "<= 0.50", "n/a"));
                }
                rows.add(floorRounds.row("full backup vs the store floor", "one object per file, no engine", Double.NaN));
                if (borg != null) {
                    rows.add(row("  the store floor itself", floorRounds.baselineMedian(), "borg create", borg.full(), Double.NaN));
                }
                if (borg != null) {
                    rows.add(row("full backup to local dir", backup, "borg create", borg.full(), 1.0));
                } else {
                    rows.add(new Row("full backup to local dir", fmt(backup) + " s", "borg: not installed", Double.NaN,
                            "<= 1.00", "n/a"));
                }

                NoChangeRows.Measured noChange = NoChangeRows.measure(engine, A, backup, full[0], restic, borg, log);
                rows.addAll(noChange.rows());

                generate(cluster, random, Math.max(MIB, o.sizeBytes() / 20));
                cluster.awaitSettled(A, TimeUnit.MINUTES.toMillis(10));
                ModuleManifest incremental = engine.backup(A);
                BackupStore reader = new BackupStore(io.modbackup.core.store.SealingProvider.reader(store, Runnable::run), new io.modbackup.core.manifest.ManifestCodec(), Runnable::run);
                long[] changed = ManifestDiff.changedBytes(reader, noChange.last(), incremental);
                long uploaded = incremental.totals().newBytes();
                double bound = changed[0] + changed[1] * (double) o.chunkSize();
                rows.add(new Row("incremental after appends + new SSTs: new content", size(uploaded),
                        size(changed[0]) + " changed in " + changed[1] + " files",
                        (double) uploaded / changed[0], "<= 1.0 + 1 chunk/file",
                        uploaded <= bound ? "met" : "MISSED"));

                Rounds restores = new Rounds("restore");
                Rounds staging = new Rounds("restore staging");
                Rounds encryptedRestores = new Rounds("restore, encrypted vs not");
                try (LocalDirectoryProvider encryptedProvider = new LocalDirectoryProvider(encryptedStore.toString());
                     BackupEngine encryptedEngine = new BackupEngine(cluster, encryptedProvider, encrypted)) {
                    String encryptedFull = encryptedEngine.list(A, null, 1).backups().get(0).backupId();
                    for (int r = 0; r < o.rounds(); r++) {
                        Path back = o.dir().resolve("cp-back-" + r);
                        double cp = time(() -> Timing.run("cp", "-r", cpCopy.toString(), back.toString()), true);
                        restores.baseline(cp);
                        staging.baseline(cp);
                        RestoreResult[] result = new RestoreResult[1];
                        double restore = time(() -> result[0] = engine.restore(full[0].backupId()), true);
                        restores.ours(restore);
                        staging.ours(result[0].stagingMillis() / 1000.0);
                        encryptedRestores.baseline(restore);
                        encryptedRestores.ours(time(() -> encryptedEngine.restore(encryptedFull), true));
                        FileTrees.deleteTree(back);
                    }
                }
                FileTrees.deleteTree(encryptedStore);
                log.println(restores);
                log.println(staging);
                log.println(encryptedRestores);
                rows.add(restores.row("restore", "cp -r back + sync", 1.25));
                rows.add(staging.row("  of which staging (engine; rest is the runtime)", "cp -r back + sync", 1.25));
                rows.add(encryptedRestores.row("restore: encrypted vs not (zstd:3 both)", "not encrypted", Double.NaN));
            }

            if (o.s3()) {
                rows.add(StoreRows.s3Row(o, cluster, options, cutDir, log));
                rows.add(StoreRows.azureRow(o, cluster, options, cutDir, log));
            }
        }
        rows.addAll(TextWorkloadRows.rows(o, log));
        if (o.heapCheck()) {
            rows.add(HeapCheck.row(clusterDir, o.dir().resolve("store-heap"), log));
        }
        return rows;
    }

    /** Times one full backup of module A into a new local store at {@code store}, synced. */
    static double timeBackup(SimulatedCluster cluster, Path store, BackupOptions options) throws Exception {
        try (LocalDirectoryProvider provider = new LocalDirectoryProvider(store.toString());
             BackupEngine engine = new BackupEngine(cluster, provider, options)) {
            return time(() -> engine.backup(A), true);
        }
    }

    /**
     * The work compression adds to a backup of data it does not compress: reading a 16 KiB sample of
     * every stored object and trying zstd on it (the sample is read either way, to tell a sealed object from a
     * plain one). The median of three passes over {@code objects}, in seconds.
     */
    private static double probeSeconds(Path objects, PrintStream log) throws IOException {
        io.modbackup.core.seal.Envelope envelope = io.modbackup.core.seal.Envelope.of(null, Compression.DEFAULT);
        List<Path> files;
        try (Stream<Path> walk = Files.walk(objects)) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        List<Double> passes = new ArrayList<>();
        int compressible = 0;
        for (int pass = 0; pass < 3; pass++) {
            long start = System.nanoTime();
            compressible = 0;
            for (Path file : files) {
                byte[] sample;
                try (java.io.InputStream in = Files.newInputStream(file)) {
                    sample = in.readNBytes(16 * 1024);
                }
                compressible += envelope.worthCompressing(sample, sample.length) ? 1 : 0;
            }
            passes.add(seconds(start));
        }
        // RocksDB's text files (OPTIONS, LOG, MANIFEST) pass: the objects holding them are compressed.
        log.printf("compression probe: %d of %d objects stored pass%n", compressible, files.size());
        return passes.stream().sorted().toList().get(1);
    }

    /** CPU time this process has used, all threads. */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** Bytes of the regular files under {@code root}. */
    static long treeBytes(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }

    /**
     * Compression on what depots usually hold: a module whose depot entries are JSON events (an eighth
     * of the run's size), backed up with zstd:3 and uncompressed in alternating rounds.
     */
    /** Appends entries with incompressible padding to A's depot until about {@code bytes} went in. */
    private static long generate(SimulatedCluster cluster, Random random, long bytes) throws InterruptedException {
        long written = 0;
        long count = 0;
        byte[] pad = new byte[750];
        while (written < bytes) {
            random.nextBytes(pad);
            String padding = Base64.getEncoder().encodeToString(pad);
            String key = "user-" + random.nextInt(Math.max(1000, (int) (bytes / 8000)));
            cluster.append(A, "*events", new WorkloadEntry(key, 1 + random.nextInt(1000), padding));
            written += padding.length() + 40;
            if (++count % 20000 == 0) {
                cluster.awaitCaughtUp(A, TimeUnit.MINUTES.toMillis(10));
            }
        }
        return count;
    }



    static String size(long bytes) {
        return bytes >= 1024 * MIB ? String.format(Locale.ROOT, "%.2f GiB", bytes / (1024.0 * MIB))
                : String.format(Locale.ROOT, "%.1f MiB", bytes / (double) MIB);
    }

    static long parseSize(String text) {
        String t = text.strip().toUpperCase(Locale.ROOT);
        long unit = t.endsWith("GIB") ? 1024 * MIB : t.endsWith("MIB") ? MIB : t.endsWith("KIB") ? 1024 : 1;
        String digits = t.replaceAll("[A-Z]+$", "");
        try {
            return Long.parseLong(digits) * unit;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("size '" + text + "' is not a number with an optional KiB/MiB/GiB unit");
        }
    }
}
