package io.modbackup.core.engine;

import static io.modbackup.core.engine.EngineFixture.A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.core.error.BackupException;
import io.modbackup.core.gc.GcReport;
import io.modbackup.core.lock.StoreLocks;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.store.StoreLayout;
import io.modbackup.testkit.time.MutableClock;
import io.modbackup.testkit.provider.FaultRule;
import io.modbackup.testkit.provider.FaultRule.Operation;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GarbageCollectionTest {
    private static final long HOUR = 3_600_000;

    @TempDir
    Path dir;
    EngineFixture f;
    MutableClock clock;
    BackupEngine engine;

    @BeforeEach
    void setUp() throws Exception {
        f = new EngineFixture(dir);
        clock = new MutableClock(1_800_000_000_000L);
        engine = new BackupEngine(f.cluster, f.provider, BackupOptions.defaults().withChunkSize(EngineFixture.CHUNK)
                .withLeases(Duration.ofMinutes(10), Duration.ofSeconds(2)), null, clock);
        f.write(300);
    }

    @AfterEach
    void tearDown() {
        engine.close();
        f.close();
    }

    /** Six backups an hour apart, with writes between, newest last. */
    private List<String> sixHourlyBackups() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            ids.add(engine.backup(A).backupId());
            f.write(200);
            clock.advance(Duration.ofHours(1));
        }
        return ids;
    }

    private long keys(String prefix) {
        return f.store().listKeysRecursive(prefix, null).join().keys().size();
    }

    private List<String> listed() {
        return engine.list(A, null, 100).backups().stream().map(BackupSummary::backupId).toList();
    }

    @Test
    void retentionKeepsBackupsYoungerThanTheMaxAgeAndAtLeastTheMinimum() throws Exception {
        List<String> ids = sixHourlyBackups();
        // now = start + 6h: backups are 6h, 5h, ... 1h old.
        f.cluster.setDynamicOption(A, "backup.max.age.hours", "3.5");
        f.cluster.setDynamicOption(A, "backup.min.backups.to.keep", "2");
        GcReport dry = engine.gc(true);
        assertEquals(ids.subList(0, 3), dry.deletedBackups().stream().sorted().toList());
        assertEquals(6, listed().size(), "a dry run deletes nothing");

        long blobBytesBefore = blobBytes();
        java.util.Map<String, Long> contentSizes = new java.util.HashMap<>();
        io.modbackup.core.store.BackupStore reader = new io.modbackup.core.store.BackupStore(io.modbackup.core.store.SealingProvider.reader(f.store(), Runnable::run),
                new io.modbackup.core.manifest.ManifestCodec(), Runnable::run);
        for (String id : ids) {
            contentSizes.putAll(reader.reach(engine.info(id), file -> { }).chunks());
        }
        long segmentsBefore = keys(StoreLayout.SEGMENTS);
        GcReport report = engine.gc(false);
        long segmentsDeleted = segmentsBefore - keys(StoreLayout.SEGMENTS);
        assertTrue(segmentsDeleted > 0, "segments only the deleted backups referred to went");
        assertEquals(3, report.deletedBackups().size());
        assertEquals(3, report.keptBackups());
        assertEquals(List.of(ids.get(5), ids.get(4), ids.get(3)), listed());
        assertTrue(report.deletedChunks() > 0 && report.freedBytes() > 0, report.toString());
        assertEquals(3 * 4 + segmentsDeleted, report.deletedManifests(),
                "the four task manifests of each deleted backup, and the segments no kept backup refers to");
        long deletedContent = contentSizes.entrySet().stream()
                .filter(chunk -> !f.store().hasKey(StoreLayout.chunkKey(chunk.getKey())).join())
                .mapToLong(java.util.Map.Entry::getValue).sum();
        assertEquals(deletedContent, report.freedBytes(), "freed bytes are the deleted chunks' content sizes");
        assertTrue(blobBytes() < blobBytesBefore, "and the store holds fewer bytes");
        assertEquals(new GcReport(true, dry.deletedBackups(), report.keptBackups(), report.deletedChunks(),
                report.deletedManifests(), report.freedBytes(), 0, dry.manifestsRead(), 0, GcReport.Locked.NONE), dry,
                "the dry run reported what the run then did");
        assertEquals(0, report.durationMillis(), "timed by the engine's clock, which stood still");
        for (String id : ids.subList(0, 3)) {
            assertEquals(List.of(), f.store().listKeysRecursive(
                    StoreLayout.backupPrefix(io.modbackup.core.store.BackupId.parse(id)), null)
                    .get().keys(), "nothing of deleted backup " + id + " is left");
        }
        for (String id : listed()) {
            assertTrue(engine.verify(id, true).ok(), id);
        }

        f.cluster.setDynamicOption(A, "backup.min.backups.to.keep", "2");
        f.cluster.setDynamicOption(A, "backup.max.age.hours", "0");
        engine.gc(false);
        assertEquals(List.of(ids.get(5), ids.get(4)), listed(), "the minimum is kept whatever their age");
        f.cluster.setDynamicOption(A, "backup.max.age.hours", null);
        f.cluster.setDynamicOption(A, "backup.min.backups.to.keep", "0");
        engine.gc(false);
        assertEquals(2, listed().size(), "without a max age nothing is deleted");
        assertTrue(engine.verify(ids.get(4), true).ok());
        engine.restore(ids.get(4));
        f.checkLive(A, "after-gc-restore");
    }

    @Test
    void backupsInOneMillisecondNeverShareAnIdNorOverwriteEachOther() throws Exception {
        // The engine's clock stands still: 40 backups share a time, and their IDs only 256 suffixes (found by GcModelTest).
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            f.write(20);
            ids.add(engine.backup(A).backupId());
        }
        assertEquals(40, new java.util.HashSet<>(ids).size(), "40 distinct IDs: " + ids);
        assertEquals(40, listed().size());
        for (String id : ids) {
            assertTrue(engine.verify(id, false).ok(), id + " is whole: " + engine.verify(id, false).problems());
        }
    }

    @Test
    void orphansOfACrashedBackupStayWhileItsLeaseLivesAndGoAfterItExpires() throws Exception {
        ModuleManifest kept = engine.backup(A);
        f.write(500);
        f.provider.addRule(FaultRule.fail(Operation.PUT).forKeys(".*/backup\\.json"));
        assertThrows(RuntimeException.class, () -> engine.backup(A));
        f.provider.clearRules();
        // The crashed process never released its lease.
        byte[] lease = (clock.millis() + " " + clock.millis()).getBytes(StandardCharsets.UTF_8);
        f.store().putObject(StoreLayout.LOCKS + "backup-crashed.json", new ByteArrayInputStream(lease), lease.length).get();
        long blobsBefore = blobs();

        BackupException waited = assertThrows(BackupException.class, () -> engine.gc(false));
        assertEquals(BackupException.Problem.LOCK_TIMEOUT, waited.problem());
        assertTrue(waited.getMessage().contains("backup-crashed"), waited.getMessage());
        assertEquals(blobsBefore, blobs(), "nothing is deleted while the lease lives");

        clock.advance(Duration.ofMinutes(11));
        java.util.Map<String, Long> storedSizes = new java.util.HashMap<>();
        for (String key : f.store().listKeysRecursive(StoreLayout.BLOBS, null).get().keys()) {
            storedSizes.put(key, f.store().objectSize(key).get());
        }
        GcReport dry = engine.gc(true);
        GcReport report = engine.gc(false);
        assertTrue(report.deletedChunks() > 0, "the crashed backup's chunks are collected: " + report);
        long orphanBytes = storedSizes.entrySet().stream().filter(e -> !f.store().hasKey(e.getKey()).join())
                .mapToLong(java.util.Map.Entry::getValue).sum();
        assertEquals(storedSizes.size() - report.deletedChunks(), blobs());
        assertEquals(orphanBytes, report.freedBytes(), "orphans, which no manifest names, free their stored size");
        assertEquals(List.of(report.deletedChunks(), report.freedBytes()), List.of(dry.deletedChunks(), dry.freedBytes()),
                "the dry run said so first");
        assertTrue(report.deletedManifests() > 0, "and its task manifests: " + report);
        assertTrue(engine.verify(kept.backupId(), true).ok());
        assertEquals(List.of(kept.backupId()), listed());
    }

    @Test
    void aForeignClusterIsRefusedGcAndBackupButMayListAndRestoreAndTakeOver() throws Exception {
        ModuleManifest mine = engine.backup(A);
        byte[] owner = "{\"clusterId\":\"old-cluster\"}".getBytes(StandardCharsets.UTF_8);
        f.store().putObject(StoreLayout.OWNER_KEY, new ByteArrayInputStream(owner), owner.length).get();
        BackupException gc = assertThrows(BackupException.class, () -> engine.gc(false));
        assertTrue(gc.getMessage().contains("belongs to another cluster"), gc.getMessage());
        assertEquals(BackupException.Problem.STORE_OWNED_ELSEWHERE, gc.problem());
        assertEquals("old-cluster", gc.subject(), "the exception names the owner for the host to word its remedy");
        assertThrows(BackupException.class, () -> engine.backup(A));
        assertEquals(List.of(mine.backupId()), listed());
        assertTrue(engine.verify(mine.backupId(), false).ok());
        engine.restore(mine.backupId());
        assertEquals("old-cluster", engine.storeOwner().orElseThrow());

        engine.takeOwnership();
        assertEquals("test-cluster", engine.storeOwner().orElseThrow());
        engine.backup(A);
        engine.gc(false);
    }

    @Test
    void badRetentionOptionsAreNamed() {
        engine.backup(A);
        f.cluster.setDynamicOption(A, "backup.max.age.hours", "ten");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> engine.gc(true));
        assertTrue(e.getMessage().contains("backup.max.age.hours=ten must be a non-negative number"), e.getMessage());
    }

    private long blobBytes() throws Exception {
        try (var files = java.nio.file.Files.walk(dir.resolve("store/blobs"))) {
            return files.filter(java.nio.file.Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private long blobs() throws Exception {
        try (var files = java.nio.file.Files.walk(dir.resolve("store/blobs"))) {
            return files.filter(java.nio.file.Files::isRegularFile).count();
        }
    }
}
