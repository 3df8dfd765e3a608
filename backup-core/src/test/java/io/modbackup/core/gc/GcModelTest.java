package io.modbackup.core.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.core.engine.BackupEngine;
import io.modbackup.core.engine.BackupOptions;
import io.modbackup.core.engine.BackupSummary;
import io.modbackup.core.lock.StoreLocks;
import io.modbackup.core.manifest.ManifestCodec;
import io.modbackup.core.store.BackupId;
import io.modbackup.core.store.BackupStore;
import io.modbackup.core.store.SealingProvider;
import io.modbackup.core.store.StoreLayout;
import io.modbackup.sim.SampleModules;
import io.modbackup.sim.SimulatedCluster;
import io.modbackup.sim.Workload;
import io.modbackup.testkit.provider.FaultInjectingProvider;
import io.modbackup.testkit.provider.FaultRule;
import io.modbackup.testkit.provider.InMemoryProvider;
import io.modbackup.testkit.time.MutableClock;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * GC against a model. A seeded random run of steps on one store (backups of files that overlap from one
 * to the next, backups that crash before their commit, GCs with random retention from this engine or a
 * second one with its own locks, the GC state deleted or damaged, a committed backup deleted behind
 * GC's back, time passing) is checked after every step against a model of what must be listed: exactly
 * the backups retention keeps, newest first, each verifying; and after every GC the state it persisted
 * equals a fresh recount of the same store. A failing run names its seed; {@code -Dmodbackup.model.seed=S}
 * replays it.
 */
class GcModelTest {
    private static final String A = SampleModules.MODULE_A;
    private static final int STEPS = 40;

    @TempDir
    Path dir;

    static List<Long> seeds() {
        String one = System.getProperty("modbackup.model.seed");
        return one != null ? List.of(Long.parseLong(one)) : List.of(11L, 23L, 37L);
    }

    /** A committed backup as the model knows it. */
    private record Backup(String id, long createdMillis) {
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    @Timeout(600)
    void listedBackupsAndTheGcStateFollowTheModel(long seed) throws Exception {
        Random random = new Random(seed);
        MutableClock clock = new MutableClock(1_900_000_000_000L);
        InMemoryProvider memory = new InMemoryProvider();
        FaultInjectingProvider store = new FaultInjectingProvider(memory, seed);
        BackupOptions options = BackupOptions.defaults().withChunkSize(64 * 1024)
                .withLeases(Duration.ofMinutes(10), Duration.ofSeconds(5));
        List<Backup> model = new ArrayList<>();
        List<String> log = new ArrayList<>();
        int stateFaults = 0; // deleted and damaged in turn
        try (SimulatedCluster cluster = new SimulatedCluster("model-cluster", dir.resolve("cluster"), 2, 64 * 1024,
                List.of(SampleModules.moduleA(), SampleModules.moduleB()));
             Workload workload = new Workload(cluster, seed, 400, 80);
             BackupEngine engine = new BackupEngine(cluster, store, options, null, clock);
             BackupEngine other = new BackupEngine(cluster, memory, options, null, clock)) {
            cluster.deploy(SampleModules.moduleA(), new Parallelism(4, 2, 1));
            for (int step = 0; step < STEPS; step++) {
                int choice = random.nextInt(100);
                String what;
                if (choice < 40) {
                    workload.appendBatch(A, "*events", 50 + random.nextInt(300));
                    awaitCaughtUp(cluster);
                    clock.advance(Duration.ofSeconds(1)); // one backup a second: IDs order as their times do
                    String id = engine.backup(A).backupId();
                    model.add(new Backup(id, BackupId.parse(id).createdMillis()));
                    what = "backup " + id;
                } else if (choice < 50) {
                    workload.appendBatch(A, "*events", 100);
                    awaitCaughtUp(cluster);
                    store.addRule(FaultRule.fail(FaultRule.Operation.PUT).forKeys(".*/" + StoreLayout.MODULE_MANIFEST));
                    assertThrows(RuntimeException.class, () -> engine.backup(A));
                    store.clearRules();
                    what = "a backup that failed before its commit";
                } else if (choice < 75) {
                    String maxAge = random.nextBoolean() ? null : String.valueOf(1 + random.nextInt(4));
                    String minKeep = String.valueOf(random.nextInt(4));
                    cluster.setDynamicOption(A, RetentionPolicy.MAX_AGE_HOURS, maxAge);
                    cluster.setDynamicOption(A, RetentionPolicy.MIN_BACKUPS_TO_KEEP, minKeep);
                    BackupEngine collector = random.nextBoolean() ? engine : other;
                    GcReport report = collector.gc(false);
                    List<Backup> doomed = retention(model, maxAge, Integer.parseInt(minKeep), clock.millis());
                    model.removeAll(doomed);
                    what = "GC by " + (collector == engine ? "this" : "the other") + " engine, max age " + maxAge
                            + " h, keep " + minKeep + ": deleted " + report.deletedBackups().size();
                    assertEquals(doomed.stream().map(Backup::id).sorted().toList(),
                            report.deletedBackups().stream().sorted().toList(), describe(seed, log, what));
                    assertStateIsARecount(memory, clock, describe(seed, log, what));
                } else if (choice < 82) {
                    if (stateFaults++ % 2 == 0) {
                        memory.deleteObject(StoreLayout.GC_STATE_KEY).join();
                        what = "the GC state deleted";
                    } else {
                        byte[] junk = new byte[1 + random.nextInt(64)];
                        random.nextBytes(junk);
                        memory.putObject(StoreLayout.GC_STATE_KEY, new ByteArrayInputStream(junk), junk.length).join();
                        what = "the GC state damaged";
                    }
                } else if (choice < 87 && model.size() > 1) {
                    Backup gone = model.remove(random.nextInt(model.size() - 1));
                    // As an operator removing a backup by hand would: its directory and its index entry.
                    BackupId goneId = BackupId.parse(gone.id());
                    for (String key : memory.listKeysRecursive(StoreLayout.backupPrefix(goneId), null).join().keys()) {
                        memory.deleteObject(key).join();
                    }
                    memory.deleteObject(StoreLayout.indexKey(goneId)).join();
                    what = "committed backup " + gone.id() + " deleted behind GC's back";
                } else {
                    Duration passing = Duration.ofMinutes(15 + random.nextInt(180));
                    clock.advance(passing);
                    what = passing.toMinutes() + " minutes passed";
                }
                log.add(what);
                List<String> expected = model.stream().sorted(Comparator.comparingLong(Backup::createdMillis).reversed())
                        .map(Backup::id).toList();
                List<String> listed = engine.list(A, null, 1000).backups().stream().map(BackupSummary::backupId).toList();
                assertEquals(expected, listed, describe(seed, log, "the listing"));
                for (String id : listed) {
                    io.modbackup.core.engine.VerifyReport report = engine.verify(id, false);
                    assertTrue(report.ok(), describe(seed, log, id + " verifies: " + report.problems()));
                }
            }
            // The end: a GC keeping everything, every backup deep-verifies, and the newest restores.
            cluster.setDynamicOption(A, RetentionPolicy.MAX_AGE_HOURS, null);
            clock.advance(Duration.ofMinutes(11)); // the failed backups' leases have expired: their orphans go
            engine.gc(false);
            assertStateIsARecount(memory, clock, describe(seed, log, "the last GC"));
            for (Backup backup : model) {
                assertTrue(engine.verify(backup.id(), true).ok(), describe(seed, log, backup.id() + " deep-verifies"));
            }
            if (!model.isEmpty()) {
                String newest = engine.list(A, null, 1).backups().get(0).backupId();
                engine.restore(newest);
                cluster.checkLive(A, dir.resolve("check-" + seed));
            }
            System.out.printf("GC model, seed %d: %s%n", seed, log);
        }
    }

    /** The backups retention deletes from {@code committed}, as RetentionPolicy documents it. */
    private static List<Backup> retention(List<Backup> committed, String maxAgeHours, int minKeep, long now) {
        if (maxAgeHours == null) {
            return List.of();
        }
        long maxAge = Duration.ofHours(Long.parseLong(maxAgeHours)).toMillis();
        List<Backup> newestFirst = committed.stream().sorted(Comparator.comparingLong(Backup::createdMillis).reversed()).toList();
        List<Backup> doomed = new ArrayList<>();
        for (int i = minKeep; i < newestFirst.size(); i++) {
            if (now - newestFirst.get(i).createdMillis() > maxAge) {
                doomed.add(newestFirst.get(i));
            }
        }
        return doomed;
    }

    /**
     * The GC state in {@code memory} equals what a GC that starts from nothing counts on a copy of the
     * same store (keeping every backup): the incremental counts never drift from the manifests.
     */
    private static void assertStateIsARecount(InMemoryProvider memory, MutableClock clock, String what) throws Exception {
        GcState kept = GcState.decode(read(memory, StoreLayout.GC_STATE_KEY));
        InMemoryProvider copy = new InMemoryProvider();
        for (String key : memory.listKeysRecursive("", null).join().keys()) {
            if (key.startsWith(StoreLayout.LOCKS) || key.equals(StoreLayout.GC_STATE_KEY)) {
                continue;
            }
            byte[] bytes = read(memory, key);
            copy.putObject(key, new ByteArrayInputStream(bytes), bytes.length).join();
        }
        BackupStore store = new BackupStore(SealingProvider.reader(copy, Runnable::run), new ManifestCodec(), Runnable::run);
        try (StoreLocks locks = new StoreLocks(copy, clock, Duration.ofMinutes(10), Duration.ofSeconds(5))) {
            new GarbageCollector(store, locks, clock, module -> new RetentionPolicy(Optional.empty(), 0)).collect(false);
        }
        GcState recounted = GcState.decode(read(copy, StoreLayout.GC_STATE_KEY));
        assertEquals(recounted.backups, kept.backups, what + ": the backups counted");
        assertEquals(recounted.segments, kept.segments, what + ": the segment counts");
        assertEquals(recounted.chunks, kept.chunks, what + ": the chunk counts");
    }

    private static byte[] read(BackupProvider provider, String key) throws Exception {
        try (InputStream in = provider.getObject(key).join()) {
            assertTrue(in != null, key + " is in the store");
            return in.readAllBytes();
        }
    }

    private static void awaitCaughtUp(SimulatedCluster cluster) throws InterruptedException {
        assertTrue(cluster.awaitCaughtUp(A, 60_000), "module A caught up");
    }

    private static String describe(long seed, List<String> log, String what) {
        return "seed " + seed + " (replay: -Dmodbackup.model.seed=" + seed + "), after " + log + ": " + what;
    }
}
