package io.modbackup.core.engine;

import static io.modbackup.core.engine.EngineFixture.A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.core.gc.GcReport;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.manifest.TaskRef;
import io.modbackup.core.store.BackupStore;
import io.modbackup.core.store.StoreLayout;
import io.modbackup.testkit.provider.RetentionLockingProvider;
import io.modbackup.testkit.time.MutableClock;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backups and GC on a store that locks objects against deletion (the {@code ObjectRetention} of S3 Object
 * Lock, modelled faithfully on a clock the test moves): every object a backup reaches stays locked at least
 * a retention period past it, reused objects are extended once per half period, and GC skips what is
 * locked, says so, and deletes it on a later run.
 */
class ObjectLockTest {
    private static final Duration PERIOD = Duration.ofDays(10);

    @TempDir
    Path dir;
    private EngineFixture f;
    private MutableClock clock;
    private RetentionLockingProvider locking;
    private BackupEngine engine;

    @BeforeEach
    void setUp() throws Exception {
        f = new EngineFixture(dir);
        clock = new MutableClock(1_800_000_000_000L);
        locking = new RetentionLockingProvider(f.provider, clock, PERIOD);
        engine = new BackupEngine(f.cluster, locking, BackupOptions.defaults().withChunkSize(EngineFixture.CHUNK)
                .withLeases(Duration.ofMinutes(10), Duration.ofSeconds(2)), null, clock);
        f.write(300);
    }

    @AfterEach
    void tearDown() {
        engine.close();
        f.close();
    }

    @Test
    void everyObjectABackupReachesStaysLockedAPeriodPastItAndReusedOnesAreExtendedOncePerHalfPeriod() throws Exception {
        long half = PERIOD.toMillis() / 2;
        List<ModuleManifest> backups = new ArrayList<>();
        List<Long> extendedBy = new ArrayList<>();
        for (int day = 0; day < 12; day++) {
            long before = locking.extendedKeys();
            ModuleManifest backup = engine.backup(A);
            backups.add(backup);
            extendedBy.add(locking.extendedKeys() - before);
            Set<String> keys = reachedKeys(backup);
            for (String key : keys) {
                Instant lock = locking.lockOf(key);
                assertTrue(lock != null && lock.toEpochMilli() >= backup.completedMillis() + PERIOD.toMillis(),
                        "day " + day + ": " + key + " of backup " + backup.backupId() + " is locked until " + lock
                                + ", less than a period past the backup");
            }
            f.write(150);
            clock.advance(Duration.ofDays(1));
        }
        int extensions = 0;
        for (int i = 0; i < backups.size(); i++) {
            boolean newEpoch = i > 0 && backups.get(i).createdMillis() / half != backups.get(i - 1).createdMillis() / half;
            assertEquals(newEpoch, extendedBy.get(i) > 0, "backup " + i + " extended " + extendedBy.get(i) + " objects");
            if (newEpoch) {
                extensions++;
                assertEquals((long) reachedKeys(backups.get(i)).size(), (long) extendedBy.get(i),
                        "an extension covers every object the backup reaches but its module manifest");
            }
        }
        assertEquals(2, extensions, "12 daily backups cross two half-period (5-day) boundaries from this start");
        long total = extendedBy.stream().mapToLong(Long::longValue).sum();
        System.out.printf("object lock, 12 daily backups, retention %s: %d extension requests in all, %.1f a backup;"
                + " a backup reaches %d objects%n", PERIOD, total, total / 12.0, reachedKeys(backups.get(11)).size());
    }

    @Test
    void gcKeepsALockedBackupWholeSaysSoAndDeletesItOnceItsLockEnds() throws Exception {
        ModuleManifest first = engine.backup(A);
        f.write(300);
        clock.advance(Duration.ofDays(1));
        ModuleManifest second = engine.backup(A);
        f.cluster.setDynamicOption(A, "backup.max.age.hours", "0");
        f.cluster.setDynamicOption(A, "backup.min.backups.to.keep", "1");

        GcReport locked = engine.gc(false);
        assertEquals(List.of(), locked.deletedBackups());
        assertEquals(1, locked.locked().backups(), locked.toString());
        String manifestKey = StoreLayout.moduleManifestKey(io.modbackup.core.store.BackupId.parse(first.backupId()));
        assertEquals(locking.lockOf(manifestKey).toEpochMilli(), locked.locked().untilMillis());
        assertEquals(2, engine.list(A, null, 10).backups().size(), "the locked backup is still listed, whole");
        assertTrue(engine.verify(first.backupId(), true).ok(), "and intact");

        moveTo(locked.locked().untilMillis() + 1);
        GcReport unlocked = engine.gc(false);
        assertEquals(List.of(first.backupId()), unlocked.deletedBackups());
        if (unlocked.locked().any()) {
            // Objects the second backup extended and then stopped reaching: kept until their own lock ends.
            assertEquals(0, unlocked.locked().backups());
            moveTo(unlocked.locked().untilMillis() + 1);
            assertEquals(GcReport.Locked.NONE, engine.gc(false).locked());
        }
        Set<String> chunks = new HashSet<>(f.store().listKeysRecursive(StoreLayout.BLOBS, null).join().keys());
        assertEquals(reachedChunks(second), chunks, "the store holds exactly the chunks the kept backup reaches");
        assertTrue(engine.verify(second.backupId(), true).ok());
    }

    @Test
    void aLockedOrphanIsSkippedReportedAndCollectedByALaterRun() throws Exception {
        engine.backup(A);
        String orphan = StoreLayout.chunkKey("ab" + "0".repeat(62));
        assertTrue(locking.createObject(orphan, new ByteArrayInputStream(new byte[] {1, 2, 3}), 3).join());
        Instant until = locking.lockOf(orphan);
        assertEquals(clock.instant().plus(PERIOD.multipliedBy(3).dividedBy(2)), until);

        GcReport first = engine.gc(false);
        assertEquals(new GcReport.Locked(0, 1, until.toEpochMilli()), first.locked());
        assertEquals(0, first.deletedChunks(), "the locked orphan is not counted as deleted");
        assertTrue(f.store().hasKey(orphan).join(), "the locked orphan is still there");
        assertTrue(first.locked().describe().startsWith("0 backups and 1 object locked until " + until), first.locked().describe());

        moveTo(until.toEpochMilli() + 1);
        GcReport later = engine.gc(false);
        assertEquals(GcReport.Locked.NONE, later.locked());
        assertEquals(1, later.deletedChunks());
        assertFalse(f.store().hasKey(orphan).join(), "a later run deleted it");
    }

    private void moveTo(long millis) {
        clock.advance(Duration.ofMillis(millis - clock.millis()));
    }

    /** The store keys of what {@code backup} reaches but its module manifest: chunks, segments, task manifests. */
    private Set<String> reachedKeys(ModuleManifest backup) {
        BackupStore.Reach reach = f.reader().reach(backup, file -> { });
        Set<String> keys = new HashSet<>();
        reach.chunks().keySet().forEach(sha -> keys.add(StoreLayout.chunkKey(sha)));
        reach.segments().forEach(sha -> keys.add(StoreLayout.segmentKey(sha)));
        backup.tasks().stream().map(TaskRef::key).forEach(keys::add);
        return keys;
    }

    private Set<String> reachedChunks(ModuleManifest backup) {
        Set<String> keys = new HashSet<>();
        f.reader().reach(backup, file -> { }).chunks().keySet().forEach(sha -> keys.add(StoreLayout.chunkKey(sha)));
        return keys;
    }
}
