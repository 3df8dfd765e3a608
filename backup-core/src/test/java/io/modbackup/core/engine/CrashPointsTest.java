package io.modbackup.core.engine;

import static io.modbackup.core.engine.EngineFixture.A;
import static io.modbackup.core.engine.EngineFixture.B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.core.gc.RetentionPolicy;
import io.modbackup.core.manifest.FileEntry;
import io.modbackup.core.manifest.ManifestCodec;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.manifest.TaskRef;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
import io.modbackup.core.store.BackupId;
import io.modbackup.core.store.BackupStore;
import io.modbackup.core.store.StoreLayout;
import io.modbackup.testkit.time.MutableClock;
import io.modbackup.sim.SampleModules;
import io.modbackup.sim.SimulatedCluster;
import io.modbackup.sim.Workload;
import io.modbackup.testkit.crash.CrashSwitch;
import io.modbackup.testkit.crash.CrashingProvider;
import io.modbackup.testkit.crash.CrashingProvider.Trigger;
import io.modbackup.testkit.crash.CrashingRuntime;
import io.modbackup.testkit.crash.SimulatedCrash;
import io.modbackup.testkit.provider.FaultRule.Operation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Crashes a simulated process (engine and cluster together) at every named point inside backup,
 * restore and GC, then starts a fresh process on the same store and state directories and checks
 * what an operator relies on: live state is the old state or the fully restored one, never a mix;
 * every committed backup deep-verifies and restores to a state the consistency oracle accepts; the
 * next backup succeeds; a GC after the crashed lease expired leaves nothing unreachable in the store.
 *
 * <p>The point names are the rows of {@code docs/reliability.md}; {@link ReliabilityDocTest} keeps
 * the two in step.
 */
class CrashPointsTest {
    static final Duration LEASE_TTL = Duration.ofMinutes(1);
    static final BackupOptions OPTIONS = BackupOptions.defaults().withChunkSize(EngineFixture.CHUNK)
            .withLeases(LEASE_TTL, Duration.ofSeconds(20));

    /** What the doomed process was doing; CLAIM: the first backup of an empty store, claiming it. */
    enum Phase { CLAIM, BACKUP, RESTORE, GC }

    /** Which live state a fresh process must find after the crash. */
    enum Live { UNCHANGED, RESTORED }

    /**
     * One crash point.
     *
     * @param name the point's name, as {@code docs/reliability.md} lists it
     * @param trigger a store call to crash at, or null
     * @param runtimeCall a runtime method whose call crashes the process, or null
     * @param installStep a step of the runtime's install to crash at, or null
     * @param live the live state the next process must find
     * @param commits whether the interrupted backup is committed (visible) afterwards
     */
    record CrashPoint(String name, Phase phase, Trigger trigger, String runtimeCall, String installStep, Live live,
                      boolean commits) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final String CHUNK_KEYS = "blobs/.*";
    private static final String TASK_MANIFESTS = "backups/.*/tasks/.*";
    private static final String MODULE_MANIFESTS = "backups/.*/" + StoreLayout.MODULE_MANIFEST;
    private static final String SEGMENTS = StoreLayout.SEGMENTS + ".*";
    private static final String INDEX_ENTRIES = StoreLayout.INDEX + ".*";

    static List<CrashPoint> crashPoints() {
        return List.of(
                store("claim.after-owner-record", Phase.CLAIM, Trigger.after("", Operation.PUT, "cluster\\.json", 1), false),
                store("claim.after-format-record", Phase.CLAIM, Trigger.after("", Operation.PUT, "format\\.json", 1), false),
                store("backup.after-first-chunk-upload", Phase.BACKUP, Trigger.after("", Operation.PUT, CHUNK_KEYS, 1), false),
                store("backup.after-eighth-chunk-upload", Phase.BACKUP, Trigger.after("", Operation.PUT, CHUNK_KEYS, 8), false),
                store("backup.before-first-task-manifest", Phase.BACKUP, Trigger.before("", Operation.PUT, TASK_MANIFESTS, 1), false),
                store("backup.between-task-manifests", Phase.BACKUP, Trigger.after("", Operation.PUT, TASK_MANIFESTS, 1), false),
                store("backup.after-last-task-manifest", Phase.BACKUP, Trigger.after("", Operation.PUT, TASK_MANIFESTS, 4), false),
                store("backup.after-first-segment", Phase.BACKUP, Trigger.after("", Operation.PUT, SEGMENTS, 1), false),
                store("backup.before-index-entry", Phase.BACKUP, Trigger.before("", Operation.PUT, INDEX_ENTRIES, 1), false),
                store("backup.after-index-entry", Phase.BACKUP, Trigger.after("", Operation.PUT, INDEX_ENTRIES, 1), false),
                store("backup.before-module-manifest", Phase.BACKUP, Trigger.before("", Operation.PUT, MODULE_MANIFESTS, 1), false),
                store("backup.after-module-manifest", Phase.BACKUP, Trigger.after("", Operation.PUT, MODULE_MANIFESTS, 1), true),
                store("restore.staging-after-first-chunk", Phase.RESTORE, Trigger.after("", Operation.GET, CHUNK_KEYS, 1), false),
                store("restore.staging-after-sixth-chunk", Phase.RESTORE, Trigger.after("", Operation.GET, CHUNK_KEYS, 6), false),
                new CrashPoint("restore.between-staging-and-swap", Phase.RESTORE, null, "installRestore", null, Live.UNCHANGED, false),
                install("restore.decision-written", "decision-written", Live.RESTORED),
                install("restore.mid-swap-after-first-task", "task-swapped-0", Live.RESTORED),
                install("restore.after-first-supervisor-swapped", "swapped-supervisor-0", Live.RESTORED),
                install("restore.swapped-before-restore-marker", "module-recorded", Live.RESTORED),
                install("restore.marker-written-before-start", "marker-written", Live.RESTORED),
                store("gc.after-state-written", Phase.GC, Trigger.after("", Operation.PUT, "gc/state\\.bin", 1), false),
                store("gc.after-first-module-manifest-delete", Phase.GC,
                        Trigger.after("", Operation.DELETE, MODULE_MANIFESTS, 1), false),
                store("gc.between-manifest-and-chunk-deletes", Phase.GC, Trigger.before("", Operation.DELETE, CHUNK_KEYS, 1), false),
                store("gc.mid-chunk-deletes", Phase.GC, Trigger.after("", Operation.DELETE, CHUNK_KEYS, 3), false));
    }

    private static CrashPoint store(String name, Phase phase, Trigger at, boolean commits) {
        Trigger named = new Trigger(name, at.operation(), at.keys(), at.nth(), at.after());
        return new CrashPoint(name, phase, named, null, null, Live.UNCHANGED, commits);
    }

    private static CrashPoint install(String name, String step, Live live) {
        return new CrashPoint(name, Phase.RESTORE, null, null, step, live, false);
    }

    @TempDir
    Path dir;
    private final MutableClock clock = new MutableClock(System.currentTimeMillis());

    /** Engine and cluster of one simulated process, sharing its fate through a {@link CrashSwitch}. */
    private final class SimulatedProcess implements AutoCloseable {
        final CrashSwitch life = new CrashSwitch();
        final SimulatedCluster cluster;
        final LocalDirectoryProvider store;
        final BackupEngine engine;

        SimulatedProcess(CrashPoint crash) {
            cluster = new SimulatedCluster("test-cluster", dir.resolve("cluster"), 2, 256 * 1024,
                    List.of(SampleModules.moduleA(), SampleModules.moduleB()));
            store = new LocalDirectoryProvider(dir.resolve("store").toString());
            if (crash != null && crash.installStep() != null) {
                cluster.onInstallStep(step -> {
                    if (step.equals(crash.installStep())) {
                        life.crash(crash.name());
                    }
                });
            }
            BackupProvider provider = new CrashingProvider(store, life, crash == null ? null : crash.trigger());
            engine = new BackupEngine(crash == null ? cluster : CrashingRuntime.wrap(cluster, life, crash.runtimeCall(), crash.name()),
                    provider, OPTIONS, null, clock);
        }

        @Override
        public void close() {
            engine.close();
            cluster.close();
            store.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("crashPoints")
    @Timeout(120)
    void aFreshProcessRecoversFromACrashAt(CrashPoint point) throws Exception {
        List<String> before = new ArrayList<>();
        Map<Integer, Long> liveBefore;
        try (SimulatedProcess first = new SimulatedProcess(null); Workload workload = new Workload(first.cluster, 3, 1500, 200)) {
            first.cluster.deploy(SampleModules.moduleA(), new Parallelism(4, 2, 1));
            first.cluster.deploy(SampleModules.moduleB(), new Parallelism(2, 2, 1));
            int backups = switch (point.phase()) {
                case CLAIM -> 0;
                case GC -> 3;
                default -> 2;
            };
            for (int i = 0; i < backups; i++) {
                write(first.cluster, workload, 1500);
                before.add(first.engine.backup(A).backupId());
                clock.advance(Duration.ofSeconds(1));
            }
            // New data for the interrupted backup to upload.
            write(first.cluster, workload, 1500);
            if (point.phase() == Phase.GC) {
                first.cluster.setDynamicOption(A, RetentionPolicy.MAX_AGE_HOURS, "1");
                first.cluster.setDynamicOption(A, RetentionPolicy.MIN_BACKUPS_TO_KEEP, "1");
            }
            liveBefore = liveEnds(first.cluster);
        }

        ModuleManifest restoring = null;
        try (SimulatedProcess doomed = new SimulatedProcess(point)) {
            switch (point.phase()) {
                case CLAIM, BACKUP -> assertThrows(SimulatedCrash.class, () -> doomed.engine.backup(A));
                case RESTORE -> {
                    restoring = doomed.engine.info(before.get(0));
                    String id = before.get(0);
                    assertThrows(SimulatedCrash.class, () -> doomed.engine.restore(id));
                }
                case GC -> {
                    clock.advance(Duration.ofHours(2));
                    assertThrows(SimulatedCrash.class, () -> doomed.engine.gc(false));
                }
            }
            assertEquals(point.name(), doomed.life.crashedAt(), "the process died at the named point");
        }

        // A GC that died holds the store's exclusive lease until its TTL runs out: backups wait that long.
        clock.advance(point.phase() == Phase.GC ? LEASE_TTL.multipliedBy(2) : Duration.ofSeconds(1));
        try (SimulatedProcess fresh = new SimulatedProcess(null)) {
            BackupStore store = new BackupStore(io.modbackup.core.store.SealingProvider.reader(fresh.store, Runnable::run), new ManifestCodec(), Runnable::run);
            assertTrue(fresh.cluster.describe(A).orElseThrow().running(), "module A runs again");
            Map<Integer, Long> expectedLive = point.live() == Live.RESTORED ? backupEnds(store, restoring) : liveBefore;
            assertEquals(expectedLive, liveEnds(fresh.cluster), "live state is the " + point.live().name().toLowerCase()
                    + " state, not a mix");
            checkLive(fresh.cluster, "after-crash");
            assertNoStaging();

            List<String> committed = committed(fresh.engine);
            Set<String> expectedVisible = new HashSet<>(before);
            if (point.phase() == Phase.GC) {
                assertTrue(committed.contains(before.get(before.size() - 1)), "GC never deletes the newest backup");
                assertTrue(expectedVisible.containsAll(committed), "no backup appeared: " + committed);
            } else {
                assertEquals(point.commits() ? before.size() + 1 : before.size(), committed.size(),
                        "the interrupted backup is visible only if its module manifest was written: " + committed);
                assertTrue(committed.containsAll(before), "earlier backups are all still there");
            }
            for (String id : committed) {
                VerifyReport report = fresh.engine.verify(id, true);
                assertEquals(List.of(), report.problems(), "backup " + id + " deep-verifies");
            }

            if (!committed.isEmpty()) {
                String newest = committed.get(0);
                fresh.engine.restore(newest);
                assertEquals(backupEnds(store, fresh.engine.info(newest)), liveEnds(fresh.cluster),
                        "the newest committed backup restores exactly");
                checkLive(fresh.cluster, "after-restore");
            }

            String next = fresh.engine.backup(A).backupId();
            assertEquals(List.of(), fresh.engine.verify(next, true).problems(), "the next backup succeeds and verifies");

            clock.advance(LEASE_TTL.multipliedBy(2));
            fresh.engine.gc(false);
            assertNothingUnreachable(fresh.store, store, fresh.engine);
            for (String id : committed(fresh.engine)) {
                assertEquals(List.of(), fresh.engine.verify(id, true).problems(), "backup " + id
                        + " deep-verifies after the recovery GC, which deleted only what nothing reaches");
            }
        }
    }

    private static void write(SimulatedCluster cluster, Workload workload, int entries) throws InterruptedException {
        workload.appendBatch(A, "*events", entries);
        workload.appendBatch(B, "*clicks", entries / 4);
        assertTrue(cluster.awaitCaughtUp(A, 60_000) && cluster.awaitCaughtUp(B, 60_000), "topologies caught up");
    }

    /** Each task's end offset of A's depot: which state (and which backup's) the live module holds. */
    private static Map<Integer, Long> liveEnds(SimulatedCluster cluster) {
        return cluster.depotEndOffsets(A, "*events");
    }

    private static Map<Integer, Long> backupEnds(BackupStore store, ModuleManifest manifest) {
        Map<Integer, Long> ends = new TreeMap<>();
        for (TaskRef ref : manifest.tasks()) {
            ends.put(ref.task(), store.taskManifest(manifest, ref).depotEndOffsets().get("*events"));
        }
        return ends;
    }

    private void checkLive(SimulatedCluster cluster, String name) {
        cluster.checkLive(A, dir.resolve("check-" + name));
    }

    private void assertNoStaging() throws IOException {
        for (String supervisor : List.of("supervisor-0", "supervisor-1")) {
            Path staging = dir.resolve("cluster").resolve(supervisor).resolve("staging");
            if (Files.exists(staging)) {
                try (Stream<Path> files = Files.walk(staging)) {
                    assertEquals(List.of(), files.filter(Files::isRegularFile).toList(), "no staging is left behind");
                }
            }
        }
    }

    private static List<String> committed(BackupEngine engine) {
        return engine.list(A, null, 1000).backups().stream().map(BackupSummary::backupId).toList();
    }

    /** Every key in the store is a committed backup's manifest or index object, a chunk one of them reaches, or the store's own records. */
    private static void assertNothingUnreachable(LocalDirectoryProvider provider, BackupStore store, BackupEngine engine) {
        Set<String> reachable = new HashSet<>(Set.of(StoreLayout.OWNER_KEY, StoreLayout.FORMAT_KEY, StoreLayout.LAST_GC_KEY,
                StoreLayout.GC_STATE_KEY,
                StoreLayout.indexCompleteKey(A)));
        for (String id : committed(engine)) {
            ModuleManifest manifest = engine.info(id);
            reachable.add(StoreLayout.moduleManifestKey(BackupId.parse(id)));
            reachable.add(StoreLayout.indexKey(BackupId.parse(id)));
            manifest.jar().chunks().forEach(sha -> reachable.add(StoreLayout.chunkKey(sha)));
            store.reach(manifest, file -> { }).segments().forEach(sha -> reachable.add(StoreLayout.segmentKey(sha)));
            for (TaskRef ref : manifest.tasks()) {
                reachable.add(ref.key());
                for (FileEntry file : store.taskManifest(manifest, ref).files()) {
                    file.chunks().forEach(sha -> reachable.add(StoreLayout.chunkKey(sha)));
                }
            }
        }
        List<String> keys = store.index().keysUnder("");
        List<String> orphans = keys.stream().filter(key -> !reachable.contains(key)).toList();
        assertEquals(List.of(), orphans, "GC left nothing unreachable");
        assertEquals(new java.util.TreeSet<>(reachable), new java.util.TreeSet<>(keys),
                "and everything the committed backups reach, and the store's records, is there");
    }
}
