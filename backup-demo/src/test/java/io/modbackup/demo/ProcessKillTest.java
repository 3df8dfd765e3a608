package io.modbackup.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.runtime.Parallelism;
import io.modbackup.core.engine.BackupEngine;
import io.modbackup.core.engine.BackupOptions;
import io.modbackup.core.engine.BackupSummary;
import io.modbackup.core.gc.GcReport;
import io.modbackup.core.manifest.ManifestCodec;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.manifest.TaskRef;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
import io.modbackup.core.store.BackupStore;
import io.modbackup.sim.SampleModules;
import io.modbackup.sim.SimulatedCluster;
import io.modbackup.sim.Workload;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills the real CLI process with SIGKILL in the middle of a backup and of a restore (its store
 * slowed so that the kill surely lands mid-transfer), then checks the cluster and the store from a
 * fresh process: live state is the old or the restored one, never a mix, and oracle-consistent; no
 * staging is left; committed backups deep-verify and restore; the next backup succeeds; a GC after
 * the dead process's lease expired leaves no orphans.
 */
class ProcessKillTest {
    private static final String A = SampleModules.MODULE_A;
    private static final int SIGKILL_EXIT = 128 + 9;

    @TempDir
    Path dir;
    private Path config;

    @BeforeEach
    void setUp() throws Exception {
        try (SimulatedCluster cluster = openCluster()) {
            cluster.deploy(SampleModules.moduleA(), new Parallelism(4, 2, 1));
            cluster.deploy(SampleModules.moduleB(), new Parallelism(2, 2, 1));
            append(cluster, 1);
        }
        config = dir.resolve("modbackup.yaml");
        Files.writeString(config, "backup.provider: \"" + SlowLocalProvider.class.getName() + " " + dir.resolve("store")
                + "\"\ncluster.dir: " + dir.resolve("cluster") + "\n");
    }

    @Test
    @Timeout(300)
    void aBackupKilledMidUploadLeavesNoBackupAndNothingBroken() throws Exception {
        String first = backupId(runCli("--action", "backup", "--module", A));
        try (SimulatedCluster cluster = openCluster()) {
            append(cluster, 2);
        }
        Map<Integer, Long> live = liveEnds();
        long chunksBefore = chunkCount();

        killWhen(() -> chunkCount() > chunksBefore, "--action", "backup", "--module", A);

        try (Recovered after = new Recovered()) {
            assertEquals(live, after.liveEnds(), "live state untouched by the killed backup");
            after.checkLive("after-kill");
            assertEquals(List.of(first), after.committed(), "the killed backup is not visible");
            after.checkEverythingRecovers();
        }
    }

    @Test
    @Timeout(300)
    void aRestoreKilledMidStagingLeavesTheOldOrTheRestoredStateNeverAMix() throws Exception {
        String first = backupId(runCli("--action", "backup", "--module", A));
        try (SimulatedCluster cluster = openCluster()) {
            append(cluster, 2);
        }
        Map<Integer, Long> live = liveEnds();

        long killed = killWhen(this::stagingStarted, "--action", "restore", "--backupId", first, "--yes");

        try (Recovered after = new Recovered()) {
            try (var left = Files.newDirectoryStream(io.modbackup.core.fs.PrivateFiles.userScratch(),
                    "jar-" + killed + "-*")) {
                assertFalse(left.iterator().hasNext(), "the killed restore's jar staging is removed by the next engine");
            }
            Map<Integer, Long> now = after.liveEnds();
            Map<Integer, Long> restored = after.backupEnds(first);
            assertTrue(now.equals(live) || now.equals(restored),
                    "live state is the old " + live + " or the restored " + restored + ", not " + now);
            after.checkLive("after-kill");
            assertFalse(stagingStarted(), "the reopened cluster discarded the dead restore's staging");
            assertEquals(List.of(first), after.committed());
            after.checkEverythingRecovers();
        }
    }

    /** A fresh process on the same cluster directory and store, its clock past the dead process's lease. */
    private final class Recovered implements AutoCloseable {
        final SimulatedCluster cluster = openCluster();
        final LocalDirectoryProvider provider = new LocalDirectoryProvider(dir.resolve("store").toString());
        final BackupEngine engine = new BackupEngine(cluster, provider, BackupOptions.defaults(), null,
                Clock.offset(Clock.systemUTC(), BackupOptions.defaults().leaseTtl().multipliedBy(2)));
        final BackupStore store = new BackupStore(io.modbackup.core.store.SealingProvider.reader(provider, Runnable::run), new ManifestCodec(), Runnable::run);

        Map<Integer, Long> liveEnds() {
            return ProcessKillTest.liveEnds(cluster);
        }

        Map<Integer, Long> backupEnds(String backupId) {
            ModuleManifest manifest = engine.info(backupId);
            Map<Integer, Long> ends = new TreeMap<>();
            for (TaskRef ref : manifest.tasks()) {
                ends.put(ref.task(), store.taskManifest(manifest, ref).depotEndOffsets().get("*events"));
            }
            return ends;
        }

        List<String> committed() {
            return engine.list(A, null, 100).backups().stream().map(BackupSummary::backupId).toList();
        }

        void checkLive(String name) {
            cluster.checkLive(A, dir.resolve("check-" + name));
        }

        /** Committed backups verify and restore exactly, the next backup works, GC then clears every orphan. */
        void checkEverythingRecovers() throws IOException {
            for (var supervisor : cluster.supervisors()) {
                Path cuts = supervisor.root().resolve("cuts");
                try (var left = java.nio.file.Files.walk(cuts, 2)) {
                    assertEquals(List.of(), left.filter(p -> cuts.relativize(p).getNameCount() == 2 && !p.equals(cuts)).toList(),
                            "pins of the killed process are removed on reopen");
                } catch (java.nio.file.NoSuchFileException gone) {
                    // removed whole
                }
            }
            for (String id : committed()) {
                assertEquals(List.of(), engine.verify(id, true).problems(), id + " deep-verifies");
            }
            String newest = committed().get(0);
            engine.restore(newest);
            assertEquals(backupEnds(newest), liveEnds(), "the newest backup restores exactly");
            checkLive("after-restore");
            String next = engine.backup(A).backupId();
            assertEquals(List.of(), engine.verify(next, true).problems());
            GcReport gc = engine.gc(false);
            assertTrue(store.index().keysUnder("locks/").isEmpty(), "the dead process's lease is gone: " + store.index().keysUnder("locks/"));
            for (String module : store.index().modules()) {
                for (var id : store.index().backupIdsNewestFirst(module)) {
                    assertTrue(store.moduleManifest(id).isPresent(), "no uncommitted backup remains: " + id + " " + gc);
                }
            }
            GcReport again = engine.gc(true);
            assertEquals(0, again.deletedChunks() + again.deletedManifests(), "nothing unreachable remains: " + again);
        }

        @Override
        public void close() {
            engine.close();
            cluster.close();
            provider.close();
        }
    }

    private SimulatedCluster openCluster() {
        return new SimulatedCluster(Demo.CLUSTER_ID, dir.resolve("cluster"), 2, SimulatedCluster.DEFAULT_SEGMENT_BYTES,
                List.of(SampleModules.moduleA(), SampleModules.moduleB()));
    }

    private static void append(SimulatedCluster cluster, long seed) throws InterruptedException {
        try (Workload workload = new Workload(cluster, seed, 2000, 300)) {
            workload.appendBatch(A, "*events", 4000);
        }
        assertTrue(cluster.awaitCaughtUp(A, 60_000));
    }

    private Map<Integer, Long> liveEnds() {
        try (SimulatedCluster cluster = openCluster()) {
            return liveEnds(cluster);
        }
    }

    private static Map<Integer, Long> liveEnds(SimulatedCluster cluster) {
        return cluster.depotEndOffsets(A, "*events");
    }

    private long chunkCount() {
        Path blobs = dir.resolve("store").resolve("blobs");
        if (!Files.isDirectory(blobs)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(blobs)) {
            return files.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().startsWith(".")).count();
        } catch (IOException | RuntimeException e) {
            return 0; // the CLI is writing there; look again
        }
    }

    private boolean stagingStarted() {
        for (String supervisor : List.of("supervisor-0", "supervisor-1")) {
            Path staging = dir.resolve("cluster").resolve(supervisor).resolve("staging").resolve(A);
            if (Files.isDirectory(staging)) {
                try (Stream<Path> entries = Files.list(staging)) {
                    if (entries.findAny().isPresent()) {
                        return true;
                    }
                } catch (IOException e) {
                    return false;
                }
            }
        }
        return false;
    }

    private ProcessBuilder cli(String... args) {
        List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), Cli.class.getName(), "--config", config.toString()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("cli-" + System.nanoTime() + ".log").toFile());
    }

    private String runCli(String... args) throws Exception {
        ProcessBuilder builder = cli(args);
        Process process = builder.start();
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the CLI finished");
        String output = Files.readString(builder.redirectOutput().file().toPath());
        assertEquals(0, process.exitValue(), output);
        return output;
    }

    /** Runs the CLI with {@code args}, kills it with SIGKILL once {@code condition} holds, and returns its process ID. */
    private long killWhen(BooleanSupplier condition, String... args) throws Exception {
        ProcessBuilder builder = cli(args);
        Process process = builder.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!condition.getAsBoolean()) {
            assertTrue(process.isAlive(), "the CLI ended before the kill point: "
                    + Files.readString(builder.redirectOutput().file().toPath()));
            assertTrue(System.nanoTime() < deadline, "the kill point was never reached");
            Thread.sleep(2);
        }
        process.destroyForcibly(); // SIGKILL on Unix: no shutdown hooks, no finally blocks
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        assertEquals(SIGKILL_EXIT, process.exitValue(), "the CLI died of SIGKILL");
        return process.pid();
    }

    private static String backupId(String output) {
        Matcher m = Pattern.compile("backup (\\S+) committed").matcher(output);
        assertTrue(m.find(), output);
        return m.group(1);
    }
}
