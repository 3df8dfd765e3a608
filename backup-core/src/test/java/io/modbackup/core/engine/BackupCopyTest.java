package io.modbackup.core.engine;

import static io.modbackup.core.engine.EngineFixture.A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.core.crypto.LocalMasterKey;
import io.modbackup.core.error.BackupException;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
import io.modbackup.core.store.StoreLayout;
import io.modbackup.testkit.provider.FaultInjectingProvider;
import io.modbackup.testkit.provider.FaultRule;
import io.modbackup.testkit.provider.FaultRule.Operation;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Copying backups into a second store, encrypted under its own key: the copy is a backup of that store
 * (listed, deep-verified, restored, collected by its GC), sends only what the target lacks, and a copy that
 * fails half-way leaves nothing listed and succeeds when run again.
 */
class BackupCopyTest {
    @TempDir
    Path dir;
    private EngineFixture f;
    private FaultInjectingProvider target;
    private BackupOptions targetOptions;

    @BeforeEach
    void setUp() throws Exception {
        f = new EngineFixture(dir);
        target = new FaultInjectingProvider(new LocalDirectoryProvider(dir.resolve("second").toString()), 1);
        byte[] key = new byte[32];
        Arrays.fill(key, (byte) 42);
        targetOptions = f.options.withMasterKey(new LocalMasterKey(key));
        f.write(1500);
    }

    @AfterEach
    void tearDown() {
        target.close();
        f.close();
    }

    @Test
    void aCopyIsABackupOfTheSecondStoreAndTheNextCopySendsOnlyWhatChanged() throws Exception {
        ModuleManifest first = f.engine.backup(A);
        CopyResult copied = f.engine.copy(first.backupId(), target, targetOptions);
        assertFalse(copied.alreadyThere());
        assertTrue(copied.chunksSent() > 0 && copied.bytesSent() > 0, copied.toString());
        assertEquals(first.totals().files(), copied.files());

        try (BackupEngine second = new BackupEngine(f.cluster, target, targetOptions)) {
            assertEquals(List.of(first.backupId()), second.list(A, null, 10).backups().stream().map(BackupSummary::backupId).toList());
            assertTrue(second.verify(first.backupId(), true).ok(), "the copy deep-verifies with the second store's key");
            // Encrypted under its own key: a chunk name of the source is no chunk name of the target.
            Set<String> sourceChunks = chunkKeys(f.store());
            Set<String> targetChunks = chunkKeys(target);
            assertTrue(sourceChunks.stream().noneMatch(targetChunks::contains), "the target names content its own way");

            f.write(300);
            ModuleManifest next = f.engine.backup(A);
            CopyResult incremental = f.engine.copy(next.backupId(), target, targetOptions);
            assertTrue(incremental.chunksSent() < copied.chunksSent(), "only what changed is sent: " + incremental
                    + " after " + copied);
            assertTrue(f.engine.copy(next.backupId(), target, targetOptions).alreadyThere(), "a copy is not made twice");

            f.write(200); // live state moves on; restoring the copy puts it back where the first backup was
            second.restore(first.backupId());
            f.checkLive(A, "restored-from-copy");
            f.cluster.setDynamicOption(A, "backup.max.age.hours", "0");
            assertEquals(List.of(first.backupId()), second.gc(false).deletedBackups(), "the second store's own GC");
            assertTrue(second.verify(next.backupId(), true).ok());
        }
    }

    @Test
    void aCopyThatFailsHalfWayLeavesNothingListedAndIsRunAgain() throws Exception {
        ModuleManifest backup = f.engine.backup(A);
        // The target refuses task 2's manifest, every retry: the copy stops after storing chunks.
        target.addRule(FaultRule.fail(Operation.PUT).forKeys("backups/.*/tasks/2\\.json"));
        assertThrows(RuntimeException.class, () -> f.engine.copy(backup.backupId(), target, targetOptions));
        assertTrue(chunkKeys(target).size() > 0, "the failed copy stored some chunks");
        try (BackupEngine second = new BackupEngine(f.cluster, target, targetOptions)) {
            assertEquals(List.of(), second.list(A, null, 10).backups(), "nothing partial is listed");
            target.clearRules();
            int before = chunkKeys(target).size();
            CopyResult rerun = f.engine.copy(backup.backupId(), target, targetOptions);
            assertEquals(chunkKeys(target).size() - before, rerun.chunksSent(), "the rerun sends only what is missing");
            assertEquals(List.of(backup.backupId()),
                    second.list(A, null, 10).backups().stream().map(BackupSummary::backupId).toList());
            assertTrue(second.verify(backup.backupId(), true).ok());
        }
    }

    @Test
    void aTargetOfAnotherClusterOrKeyIsRefusedUntouched() throws Exception {
        ModuleManifest backup = f.engine.backup(A);
        f.engine.copy(backup.backupId(), target, targetOptions);
        byte[] other = new byte[32];
        BackupException wrongKey = assertThrows(BackupException.class,
                () -> f.engine.copy(backup.backupId(), target, f.options.withMasterKey(new LocalMasterKey(other))));
        assertEquals(BackupException.Problem.WRONG_KEY, wrongKey.problem());
        assertNotEquals(0, chunkKeys(target).size());
    }

    private static Set<String> chunkKeys(io.modbackup.api.provider.BackupProvider provider) {
        return provider.listKeysRecursive(StoreLayout.BLOBS, null).join().keys().stream().collect(Collectors.toSet());
    }
}
