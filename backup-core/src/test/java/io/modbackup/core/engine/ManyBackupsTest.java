package io.modbackup.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.runtime.Parallelism;
import io.modbackup.core.manifest.ManifestCodec;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.store.BackupId;
import io.modbackup.core.store.StoreLayout;
import io.modbackup.sim.SampleModules;
import io.modbackup.sim.SimulatedCluster;
import io.modbackup.sim.Workload;
import io.modbackup.testkit.provider.FaultInjectingProvider;
import io.modbackup.testkit.provider.FaultRule.Operation;
import io.modbackup.testkit.provider.InMemoryProvider;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A module with 10,000 backups: a page of the listing, an info and the next backup each cost a
 * constant number of provider calls, however many backups there are (the newest-first index). The
 * backups past the first are the first one's manifest under older IDs, written straight into the
 * in-memory store: what listing reads, without taking 10,000 backups.
 */
class ManyBackupsTest {
    private static final String A = SampleModules.MODULE_A;
    private static final int PAGE = 20;

    @TempDir
    Path dir;
    private SimulatedCluster cluster;
    private FaultInjectingProvider provider;
    private BackupEngine engine;
    private final ManifestCodec codec = new ManifestCodec();

    @BeforeEach
    void setUp() throws Exception {
        cluster = new SimulatedCluster("many", dir.resolve("cluster"), 2, 64 * 1024, List.of(SampleModules.moduleA()));
        cluster.deploy(SampleModules.moduleA(), new Parallelism(4, 2, 1));
        new Workload(cluster, 7, 500, 50).appendBatch(A, "*events", 300);
        assertTrue(cluster.awaitCaughtUp(A, 60_000));
        provider = new FaultInjectingProvider(new InMemoryProvider(), 1);
        engine = new BackupEngine(cluster, provider, BackupOptions.defaults().withChunkSize(64 * 1024));
    }

    @AfterEach
    void tearDown() {
        engine.close();
        cluster.close();
    }

    /** Writes {@code count} committed backups older than {@code newest}, each a copy of its manifest; indexed or not. */
    private List<String> olderBackups(ModuleManifest newest, int count, boolean indexed) {
        List<String> ids = new ArrayList<>();
        List<CompletableFuture<Void>> puts = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            BackupId id = new BackupId(A, newest.createdMillis() - i * 60_000L, i % 256);
            ModuleManifest copy = new ModuleManifest(newest.version(), id.toString(), A, newest.clusterId(),
                    id.createdMillis(), id.createdMillis() + 1000, newest.restoreEpoch(), newest.chunkSize(),
                    newest.descriptor(), newest.commitIds(), newest.jar(), newest.tasks(), newest.totals(), null);
            byte[] bytes = codec.seal(copy).bytes();
            puts.add(provider.delegate().putObject(StoreLayout.moduleManifestKey(id), new ByteArrayInputStream(bytes), bytes.length));
            if (indexed) {
                byte[] name = id.toString().getBytes(StandardCharsets.UTF_8);
                puts.add(provider.delegate().putObject(StoreLayout.indexKey(id), new ByteArrayInputStream(name), name.length));
            }
            ids.add(id.toString());
        }
        puts.forEach(CompletableFuture::join);
        return ids;
    }

    @Test
    void aPageAnInfoAndTheNextBackupCostTheSameWithTenThousandBackups() {
        ModuleManifest first = engine.backup(A);
        List<String> older = olderBackups(first, 9_999, true);

        long before = provider.callCount(Operation.ANY);
        BackupPage page1 = engine.list(A, null, PAGE);
        long pageCalls = provider.callCount(Operation.ANY) - before;
        assertEquals(PAGE, page1.backups().size());
        assertEquals(first.backupId(), page1.backups().get(0).backupId(), "newest first");
        assertEquals(older.subList(0, PAGE - 1), page1.backups().subList(1, PAGE).stream().map(BackupSummary::backupId).toList());
        assertTrue(pageCalls <= PAGE + 2, "a page of " + PAGE + " of 10,000 backups took " + pageCalls + " provider calls");
        System.out.printf("10,000 backups: the first page of %d took %d provider calls%n", PAGE, pageCalls);

        before = provider.callCount(Operation.ANY);
        BackupPage page2 = engine.list(A, page1.nextPageToken(), PAGE);
        assertTrue(provider.callCount(Operation.ANY) - before <= PAGE + 2);
        assertEquals(older.subList(PAGE - 1, 2 * PAGE - 1), page2.backups().stream().map(BackupSummary::backupId).toList(),
                "the second page continues where the first stopped");

        before = provider.callCount(Operation.ANY);
        assertEquals(older.get(5000), engine.info(older.get(5000)).backupId());
        long infoCalls = provider.callCount(Operation.ANY) - before;
        assertTrue(infoCalls <= 2, "an info reads one manifest");
        System.out.printf("10,000 backups: an info took %d provider calls%n", infoCalls);

        // The next backup finds the previous one from the index's first page, not from a listing of 10,000.
        long listsBefore = provider.callCount(Operation.LIST_NON_RECURSIVE);
        ModuleManifest next = engine.backup(A);
        System.out.printf("10,000 backups: the next backup made %d non-recursive listings%n",
                provider.callCount(Operation.LIST_NON_RECURSIVE) - listsBefore);
        assertTrue(provider.callCount(Operation.LIST_NON_RECURSIVE) - listsBefore <= 2,
                (provider.callCount(Operation.LIST_NON_RECURSIVE) - listsBefore) + " non-recursive listings in a backup");
        assertTrue(next.totals().filesReused() > 0, "it reused the previous backup's files");
        assertEquals(next.backupId(), engine.list(A, null, 1).backups().get(0).backupId());
    }

    @Test
    void theLastPageHasNoTokenAndAForeignTokenIsRefused() {
        ModuleManifest first = engine.backup(A);
        olderBackups(first, 2 * PAGE - 1, true);
        BackupPage page1 = engine.list(A, null, PAGE);
        assertNotNull(page1.nextPageToken());
        BackupPage page2 = engine.list(A, page1.nextPageToken(), PAGE);
        assertEquals(PAGE, page2.backups().size());
        assertNull(page2.nextPageToken(), "exactly two pages' worth: the second is the last");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> engine.list(SampleModules.MODULE_B, page1.nextPageToken(), PAGE));
        assertTrue(e.getMessage().contains("invalid page token"), e.getMessage());
    }

    @Test
    void aStoreWrittenBeforeTheIndexListsWithoutWritingUntilItsNextBackupIndexesItOnce() {
        ModuleManifest first = engine.backup(A);
        List<String> older = olderBackups(first, 2_000, false);
        // As a store of an earlier version: no index objects and no marker.
        List<String> indexKeys = new ArrayList<>(provider.delegate().listKeysRecursive(StoreLayout.INDEX, null).join().keys());
        indexKeys.addAll(provider.delegate().listKeysRecursive(StoreLayout.INDEX_COMPLETE, null).join().keys());
        for (String key : indexKeys) {
            provider.delegate().deleteObject(key).join();
        }
        try (BackupEngine upgraded = new BackupEngine(cluster, provider, BackupOptions.defaults().withChunkSize(64 * 1024))) {
            long putsBefore = provider.callCount(Operation.PUT);
            BackupPage page = upgraded.list(A, null, PAGE);
            assertEquals(first.backupId(), page.backups().get(0).backupId());
            assertEquals(older.subList(0, PAGE - 1), page.backups().subList(1, PAGE).stream().map(BackupSummary::backupId).toList());
            BackupPage next = upgraded.list(A, page.nextPageToken(), PAGE);
            assertEquals(older.subList(PAGE - 1, 2 * PAGE - 1), next.backups().stream().map(BackupSummary::backupId).toList(),
                    "pages follow each other before the index exists too");
            assertEquals(0, provider.callCount(Operation.PUT) - putsBefore, "a listing writes nothing (read-only credentials)");

            putsBefore = provider.callCount(Operation.PUT);
            ModuleManifest backup = upgraded.backup(A);
            long puts = provider.callCount(Operation.PUT) - putsBefore;
            assertTrue(puts >= 2_001 + 1, "the backup indexed the 2,001 backups and marked the index complete: " + puts + " puts");
            assertTrue(provider.delegate().hasKey(StoreLayout.indexCompleteKey(A)).join());
            assertTrue(backup.totals().filesReused() > 0);
        }
        try (BackupEngine later = new BackupEngine(cluster, provider, BackupOptions.defaults().withChunkSize(64 * 1024))) {
            long before = provider.callCount(Operation.ANY);
            long putsBefore = provider.callCount(Operation.PUT);
            assertEquals(PAGE, later.list(A, null, PAGE).backups().size());
            // A page of manifests, the listing, the index check and (once per engine) the store's format record.
            assertTrue(provider.callCount(Operation.ANY) - before <= PAGE + 3, "indexed once: a page costs a page again");
            assertEquals(0, provider.callCount(Operation.PUT) - putsBefore, "nothing indexed again");
        }
    }

    @Test
    void gcRemovesTheIndexObjectsOfTheBackupsItDeletesAndOfBackupsThatAreGone() {
        ModuleManifest first = engine.backup(A);
        List<String> older = olderBackups(first, 5, true);
        // An index object whose backup is gone (a GC that stopped halfway).
        BackupId gone = new BackupId(A, first.createdMillis() - 3_600_000L * 24 * 365, 1);
        byte[] name = gone.toString().getBytes(StandardCharsets.UTF_8);
        provider.delegate().putObject(StoreLayout.indexKey(gone), new ByteArrayInputStream(name), name.length).join();
        // Listing skips it: no module manifest.
        assertEquals(6, engine.list(A, null, PAGE).backups().size());

        // Keep the newest two; delete what is older than 36 s (the copies are minutes old).
        cluster.setDynamicOption(A, io.modbackup.core.gc.RetentionPolicy.MAX_AGE_HOURS, "0.01");
        cluster.setDynamicOption(A, io.modbackup.core.gc.RetentionPolicy.MIN_BACKUPS_TO_KEEP, "2");
        assertEquals(4, engine.gc(false).deletedBackups().size());
        List<String> index = provider.delegate().listKeysRecursive(StoreLayout.indexPrefix(A), null).join().keys();
        assertFalse(index.contains(StoreLayout.indexKey(gone)), "the dangling index object went");
        assertFalse(index.contains(StoreLayout.indexKey(BackupId.parse(older.get(4)))), "a deleted backup's index object went");
        assertEquals(List.of(first.backupId(), older.get(0)),
                engine.list(A, null, PAGE).backups().stream().map(BackupSummary::backupId).toList());
    }
}
