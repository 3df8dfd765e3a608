package io.modbackup.cli.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.runtime.Parallelism;
import io.modbackup.core.engine.BackupEngine;
import io.modbackup.core.engine.BackupOptions;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
import io.modbackup.sim.SampleModules;
import io.modbackup.sim.SimulatedCluster;
import io.modbackup.sim.Workload;
import io.modbackup.testkit.provider.FaultInjectingProvider;
import io.modbackup.testkit.provider.FaultRule;
import io.modbackup.testkit.provider.FaultRule.Operation;
import io.modbackup.testkit.time.MutableClock;
import java.nio.file.Path;
import java.util.List;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Periodic backups and GC follow the dynamic options as they change; overlapping runs are skipped. */
class SchedulerTest {
    @TempDir
    Path dir;
    static final String A = SampleModules.MODULE_A;

    /** The cluster and the store behind a fault injector, as the scheduler's host has them. */
    static final class Fixture implements AutoCloseable {
        final SimulatedCluster cluster;
        final FaultInjectingProvider provider;
        final Workload workload;

        Fixture(Path dir) {
            cluster = new SimulatedCluster("test-cluster", dir.resolve("cluster"), 2, 256 * 1024,
                    List.of(SampleModules.moduleA(), SampleModules.moduleB()));
            cluster.deploy(SampleModules.moduleA(), new Parallelism(4, 2, 1));
            cluster.deploy(SampleModules.moduleB(), new Parallelism(2, 2, 1));
            provider = new FaultInjectingProvider(new LocalDirectoryProvider(dir.resolve("store").toString()), 1);
            workload = new Workload(cluster, 11, 2000, 100);
        }

        void write(int entries) throws InterruptedException {
            workload.appendBatch(A, "*events", entries);
            if (!cluster.awaitCaughtUp(A, 60_000)) {
                throw new AssertionError("topologies did not catch up");
            }
        }

        @Override
        public void close() {
            workload.close();
            cluster.close();
            provider.close();
        }
    }

    Fixture f;
    MutableClock clock;
    BackupEngine engine;
    MetricsRecorder metrics;
    BackupScheduler scheduler;

    @BeforeEach
    void setUp() throws Exception {
        f = new Fixture(dir);
        clock = new MutableClock(1_800_000_000_000L);
        engine = new BackupEngine(f.cluster, f.provider, BackupOptions.defaults().withChunkSize(64 * 1024), null, clock);
        metrics = new MetricsRecorder(clock);
        scheduler = new BackupScheduler(engine, f.cluster, clock, metrics);
        f.write(200);
    }

    @AfterEach
    void tearDown() {
        scheduler.close();
        engine.close();
        f.close();
    }

    private int backups() {
        return engine.list(A, null, 1000).backups().size();
    }

    private void tickAndWait(Duration advance) throws InterruptedException {
        clock.advance(advance);
        scheduler.tick();
        scheduler.awaitIdle(Duration.ofSeconds(60));
    }

    @Test
    void theScheduleFollowsTheDynamicOptionWithoutARestart() throws Exception {
        f.cluster.setDynamicOption(A, "backup.period.seconds", null);
        tickAndWait(Duration.ZERO);
        assertEquals(0, backups(), "absent means off");
        f.cluster.setDynamicOption(A, "backup.period.seconds", "0");
        tickAndWait(Duration.ofHours(1));
        assertEquals(0, backups(), "0 means off");

        f.cluster.setDynamicOption(A, "backup.period.seconds", "60");
        tickAndWait(Duration.ZERO);
        assertEquals(1, backups());
        assertEquals(clock.millis() + 60_000, scheduler.status(A).nextRunMillis());
        tickAndWait(Duration.ofSeconds(30));
        assertEquals(1, backups(), "not due yet");
        tickAndWait(Duration.ofSeconds(30));
        assertEquals(2, backups());

        f.cluster.setDynamicOption(A, "backup.period.seconds", "10");
        tickAndWait(Duration.ofSeconds(10));
        assertEquals(3, backups(), "the new period applies at once");
        assertEquals(10, scheduler.status(A).periodSeconds());
        MetricsRecorder.ModuleMetrics m = metrics.module(A);
        assertTrue(m.lastSuccessMillis() > 0 && m.bytesSentTotal() > 0 && m.failures() == 0, m.toString());
        clock.advance(Duration.ofSeconds(7));
        assertEquals(7_000, metrics.module(A).millisSinceLastSuccess(), "time since the last success, for alerting");
    }

    @Test
    void aRunStillGoingMakesTheNextOneSkipNotQueue() throws Exception {
        f.cluster.setDynamicOption(A, "backup.period.seconds", "10");
        f.provider.addRule(FaultRule.delay(Operation.PUT, Duration.ofMillis(1500)).forKeys(".*/backup\\.json").times(1));
        scheduler.tick();
        assertTrue(scheduler.status(A).running(), "the run started on the tick and is held at its commit");
        clock.advance(Duration.ofSeconds(10));
        scheduler.tick();
        clock.advance(Duration.ofSeconds(10));
        scheduler.tick();
        scheduler.awaitIdle(Duration.ofSeconds(60));
        assertEquals(1, backups(), "the due runs were skipped, not queued");
        assertEquals(2, metrics.module(A).skipped());
        tickAndWait(Duration.ofSeconds(10));
        assertEquals(2, backups(), "the schedule goes on once the slow run ended");
    }

    @Test
    void sampledVerifiesOfTheNewestBackupReHashEveryChunkOnceInAsManyRunsAsParts() throws Exception {
        String newest = engine.backup(A).backupId();
        long chunks = engine.verify(newest, true).chunks();
        f.cluster.setDynamicOption(A, BackupScheduler.VERIFY_PERIOD_SECONDS, "60");
        f.cluster.setDynamicOption(A, BackupScheduler.VERIFY_SAMPLE_PARTS, "3");
        List<String> samples = new java.util.ArrayList<>();
        for (int run = 0; run < 3; run++) {
            tickAndWait(run == 0 ? Duration.ZERO : Duration.ofSeconds(60));
            MetricsRecorder.VerifySummary last = metrics.lastVerify(A).orElseThrow();
            assertEquals(newest, last.backupId());
            assertEquals(0, last.problems());
            samples.add(last.sample());
        }
        tickAndWait(Duration.ofSeconds(30));
        assertEquals(3, samples.size(), "not due again after half a period");
        // 1_800_000_000_000 ms is period 30,000,000 of 60 s: parts follow the clock, 1/3 first.
        assertEquals(List.of("1/3", "2/3", "3/3"), samples);
        MetricsRecorder.VerifySummary total = metrics.lastVerify(A).orElseThrow();
        assertEquals(chunks, total.chunksReadTotal(), "three runs re-hashed every chunk of the backup once");
        assertEquals(chunks, total.chunks());

        f.cluster.setDynamicOption(A, BackupScheduler.VERIFY_SAMPLE_PARTS, "zero");
        tickAndWait(Duration.ofSeconds(60));
        assertEquals(total, metrics.lastVerify(A).orElseThrow(), "a malformed part count runs nothing (and is logged)");
    }

    @Test
    void gcRunsOnItsOwnPeriodWithTheRetentionSettings() throws Exception {
        for (int i = 0; i < 4; i++) {
            engine.backup(A);
            clock.advance(Duration.ofHours(1));
        }
        f.cluster.setDynamicOption(A, "backup.max.age.hours", "0");
        f.cluster.setDynamicOption(A, "backup.min.backups.to.keep", "2");
        f.cluster.setDynamicOption(A, "backup.gc.period.seconds", "300");
        long chunksBefore = chunksInStore();
        tickAndWait(Duration.ZERO);
        assertEquals(2, backups());
        MetricsRecorder.GcSummary gc = metrics.lastGc().orElseThrow();
        assertEquals(2, gc.deletedBackups());
        assertEquals(chunksBefore - chunksInStore(), gc.deletedChunks(), "the chunks the GC deleted from the store");
        assertEquals(gc.freedBytes(), metrics.gcFreedBytesTotal(), "one GC ran: the total is its freed bytes");
    }

    @Test
    void theGcPeriodIsTheSmallestOverTheModules() throws Exception {
        f.cluster.setDynamicOption(A, "backup.gc.period.seconds", "300");
        f.cluster.setDynamicOption(SampleModules.MODULE_B, "backup.gc.period.seconds", "60");
        tickAndWait(Duration.ZERO);
        long first = metrics.lastGc().orElseThrow().atMillis();
        assertEquals(clock.millis(), first, "a first GC runs at once");
        tickAndWait(Duration.ofSeconds(59));
        assertEquals(first, metrics.lastGc().orElseThrow().atMillis(), "not due yet");
        tickAndWait(Duration.ofSeconds(1));
        assertEquals(clock.millis(), metrics.lastGc().orElseThrow().atMillis(), "due after module B's 60 s, not A's 300 s");
    }

    private long chunksInStore() throws Exception {
        return f.provider.listKeysRecursive(io.modbackup.core.store.StoreLayout.BLOBS, null).get().keys().size();
    }

    @Test
    void aFailedScheduledBackupIsCountedWithItsError() throws Exception {
        f.cluster.setDynamicOption(A, "backup.period.seconds", "5");
        // A store that keeps refusing the commit: the engine's retries give up and the run fails.
        f.provider.addRule(FaultRule.fail(Operation.PUT).forKeys(".*/backup\\.json"));
        tickAndWait(Duration.ZERO);
        assertEquals(1, metrics.module(A).failures());
        assertTrue(metrics.module(A).lastError().contains("injected failure"), metrics.module(A).lastError());
        f.provider.clearRules();
        tickAndWait(Duration.ofSeconds(5));
        assertEquals(1, backups());
    }
}
