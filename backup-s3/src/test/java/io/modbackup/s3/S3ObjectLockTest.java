package io.modbackup.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.provider.LockedObjectsException;
import io.modbackup.api.provider.ObjectRetention;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.core.engine.BackupEngine;
import io.modbackup.core.engine.BackupOptions;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.store.StoreLayout;
import io.modbackup.sim.SampleModules;
import io.modbackup.sim.SimulatedCluster;
import io.modbackup.sim.Workload;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The S3 provider's Object Lock against moto, which implements it (versions, retention on PutObject,
 * refusal to delete a locked version), where {@code moto_server} is installed: creates are locked a period
 * and a half, deletes leave locked objects and say until when, puts (mutable records) are not locked, and a
 * backup's every object is locked.
 */
@EnabledIf("io.modbackup.s3.MotoServer#available")
class S3ObjectLockTest {
    @RegisterExtension
    static final S3ServerExtension S3 = S3ServerExtension.moto();

    @TempDir
    Path dir;

    private static S3BackupProvider locked(String prefix) {
        return new S3BackupProvider(S3.newBucketArgument(prefix) + " objectLock=governance retention=1d");
    }

    @Test
    void createsAreLockedAndDeletesLeaveThemNamingUntilWhen() {
        try (S3BackupProvider s3 = locked("lock")) {
            ObjectRetention lock = s3.retention().orElseThrow();
            assertEquals(Duration.ofDays(1), lock.period());
            Instant before = Instant.now();
            assertTrue(s3.createObject("blobs/ab/abc", new ByteArrayInputStream(new byte[] {1, 2}), 2).join());
            Instant until = lock.lockedUntil("blobs/ab/abc").join().orElseThrow();
            assertTrue(!until.isBefore(before.plus(Duration.ofHours(36))) && until.isBefore(Instant.now().plus(Duration.ofHours(37))),
                    "locked a period and a half: " + until);

            s3.putObject("locks/backup-x.json", new ByteArrayInputStream(new byte[] {3}), 1).join();
            assertEquals(java.util.Optional.empty(), lock.lockedUntil("locks/backup-x.json").join(), "a put is not locked");

            CompletionException refused = assertThrows(CompletionException.class,
                    () -> s3.deleteObjects(List.of("blobs/ab/abc", "locks/backup-x.json")).join());
            LockedObjectsException locked = assertInstanceOf(LockedObjectsException.class, refused.getCause());
            assertEquals(java.util.Map.of("blobs/ab/abc", until), locked.locked());
            assertTrue(s3.hasKey("blobs/ab/abc").join(), "the locked object stays");
            assertFalse(s3.hasKey("locks/backup-x.json").join(), "the unlocked one went");
            assertEquals(List.of(), versions(s3, "locks/backup-x.json"), "every version of it, no delete marker left");

            // A create that finds the object extends its lock; an extension never shortens one.
            Instant later = until.plus(Duration.ofHours(5));
            lock.extend(List.of("blobs/ab/abc"), later).join();
            assertEquals(later, lock.lockedUntil("blobs/ab/abc").join().orElseThrow());
            lock.extend(List.of("blobs/ab/abc", "blobs/no/such"), until).join();
            assertEquals(later, lock.lockedUntil("blobs/ab/abc").join().orElseThrow(), "not shortened");
        }
    }

    @Test
    void motoItselfRefusesToDeleteALockedVersion() {
        try (S3BackupProvider s3 = locked("server")) {
            s3.createObject("blobs/cd/cde", new ByteArrayInputStream(new byte[] {1}), 1).join();
            String version = versions(s3, "blobs/cd/cde").get(0);
            try (S3AsyncClient raw = rawClient()) {
                CompletionException e = assertThrows(CompletionException.class, () -> raw.deleteObject(b -> b
                        .bucket(s3.config().bucket()).key(s3.config().s3Key("blobs/cd/cde")).versionId(version)).join());
                assertEquals(403, assertInstanceOf(S3Exception.class, e.getCause()).statusCode());
            }
        }
    }

    @Test
    void aBackupOnALockedStoreLocksEveryObjectItReachesAndRestores() throws Exception {
        try (SimulatedCluster cluster = SimulatedCluster.withSampleModules(dir.resolve("cluster"));
             S3BackupProvider s3 = locked("backups");
             BackupEngine engine = new BackupEngine(cluster, s3, BackupOptions.defaults().withChunkSize(256 * 1024))) {
            cluster.deploy(SampleModules.moduleA(), new Parallelism(2, 1, 1));
            new Workload(cluster, 5, 500, 50).appendBatch(SampleModules.MODULE_A, "*events", 1000);
            assertTrue(cluster.awaitSettled(SampleModules.MODULE_A, 60_000));
            ModuleManifest backup = engine.backup(SampleModules.MODULE_A);
            ObjectRetention lock = s3.retention().orElseThrow();
            Instant needed = Instant.ofEpochMilli(backup.completedMillis()).plus(lock.period());
            List<String> keys = new java.util.ArrayList<>();
            for (String prefix : List.of(StoreLayout.BLOBS, StoreLayout.SEGMENTS, StoreLayout.BACKUPS, StoreLayout.INDEX)) {
                keys.addAll(s3.listKeysRecursive(prefix, null).join().keys());
            }
            assertTrue(keys.size() > 5, keys.toString());
            for (String key : keys) {
                Instant until = lock.lockedUntil(key).join().orElseThrow(() -> new AssertionError(key + " is not locked"));
                assertFalse(until.isBefore(needed), key + " is locked until " + until + ", before " + needed);
            }
            assertEquals(List.of(), s3.listKeysRecursive(StoreLayout.LOCKS, null).join().keys(), "the lease was released");
            assertTrue(engine.verify(backup.backupId(), true).ok());
            assertEquals(1, engine.restore(backup.backupId()).marker().epoch());
        }
    }

    /**
     * The requests Object Lock adds, measured in one run against the same module on a plain and a locked
     * store: a full backup, a no-change backup, a backup half a period later (which extends every object it
     * reuses), and a GC that deletes a backup.
     */
    @Test
    void theRequestsObjectLockAddsAreMeasured() throws Exception {
        MutableClockHolder clock = new MutableClockHolder();
        try (SimulatedCluster cluster = SimulatedCluster.withSampleModules(dir.resolve("cluster"));
             S3BackupProvider plain = new S3BackupProvider(S3.newBucketArgument("plain"));
             S3BackupProvider locked = locked("locked")) {
            cluster.deploy(SampleModules.moduleA(), new Parallelism(2, 1, 1));
            Workload workload = new Workload(cluster, 7, 500, 50);
            workload.appendBatch(SampleModules.MODULE_A, "*events", 1000);
            assertTrue(cluster.awaitSettled(SampleModules.MODULE_A, 60_000));
            java.util.Map<String, java.util.Map<String, Long>> rows = new java.util.LinkedHashMap<>();
            for (S3BackupProvider s3 : List.of(plain, locked)) {
                String store = s3 == plain ? "plain" : "locked";
                io.modbackup.testkit.time.MutableClock engineClock = new io.modbackup.testkit.time.MutableClock(clock.start);
                try (BackupEngine engine = new BackupEngine(cluster, s3, BackupOptions.defaults().withChunkSize(256 * 1024),
                        null, engineClock)) {
                    rows.put(store + " full", requests(s3, () -> engine.backup(SampleModules.MODULE_A)));
                    rows.put(store + " no change", requests(s3, () -> engine.backup(SampleModules.MODULE_A)));
                    engineClock.advance(Duration.ofHours(12)); // half the 1-day period: the next backup extends
                    rows.put(store + " half a period on", requests(s3, () -> engine.backup(SampleModules.MODULE_A)));
                }
            }
            rows.forEach((row, counts) -> System.out.printf("object lock requests, %s backup: %s%n", row, counts));
            java.util.Map<String, Long> plainNoChange = rows.get("plain no change");
            java.util.Map<String, Long> lockedNoChange = rows.get("locked no change");
            assertEquals(plainNoChange.getOrDefault("HeadObject", 0L) + 1, lockedNoChange.getOrDefault("HeadObject", 0L),
                    "a no-change backup on a locked store asks whether the backup it builds on is locked");
            assertEquals(1L, lockedNoChange.getOrDefault("ListObjectVersions", 0L), "and lists its lease's versions to delete them");
            assertEquals(total(plainNoChange) + 2, total(lockedNoChange), "two requests more in all: " + lockedNoChange);
            assertEquals(plainNoChange.getOrDefault("PutObject", 0L), lockedNoChange.getOrDefault("PutObject", 0L));
            assertEquals(0L, lockedNoChange.getOrDefault("PutObjectRetention", 0L));
            long extended = rows.get("locked half a period on").getOrDefault("PutObjectRetention", 0L);
            assertTrue(extended > 0, "half a period on, the reused objects are extended: " + rows.get("locked half a period on"));
        }
    }

    private static long total(java.util.Map<String, Long> counts) {
        return counts.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Start of the engines' clocks: now, so that the locks the provider sets (on its own clock) agree. */
    private static final class MutableClockHolder {
        final long start = System.currentTimeMillis();
    }

    private static java.util.Map<String, Long> requests(S3BackupProvider s3, Runnable operation) {
        java.util.Map<String, Long> before = s3.requestCounts();
        operation.run();
        java.util.Map<String, Long> diff = new java.util.TreeMap<>();
        s3.requestCounts().forEach((op, n) -> {
            long d = n - before.getOrDefault(op, 0L);
            if (d != 0) {
                diff.put(op, d);
            }
        });
        return diff;
    }

    private static List<String> versions(S3BackupProvider s3, String key) {
        try (S3AsyncClient raw = rawClient()) {
            String s3Key = s3.config().s3Key(key);
            var listing = raw.listObjectVersions(b -> b.bucket(s3.config().bucket()).prefix(s3Key)).join();
            List<String> ids = new java.util.ArrayList<>();
            listing.versions().stream().filter(v -> v.key().equals(s3Key)).forEach(v -> ids.add(v.versionId()));
            listing.deleteMarkers().stream().filter(m -> m.key().equals(s3Key)).forEach(m -> ids.add("marker " + m.versionId()));
            return ids;
        }
    }

    private static S3AsyncClient rawClient() {
        return S3AsyncClient.builder().endpointOverride(S3.endpoint()).region(Region.US_EAST_1).forcePathStyle(true)
                .credentialsProvider(AnonymousCredentialsProvider.create()).build();
    }
}
