package io.modbackup.core.engine;

import static io.modbackup.core.engine.EngineFixture.A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.testkit.provider.FaultRule;
import io.modbackup.testkit.provider.FaultRule.Operation;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A misbehaving store never produces a partial backup or a damaged restore: under failed, slow and
 * truncated operations every backup either commits whole or fails with a message, and nothing but
 * intact backups is ever listed.
 */
class InjectedFaultsTest {
    @TempDir
    Path dir;
    EngineFixture f;

    @BeforeEach
    void setUp() throws Exception {
        f = new EngineFixture(dir);
        f.write(400);
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    /** Backups taken under faults; docs/reliability.md states the outcome as "30 of 30 committed". */
    static final int BACKUPS = 30;
    /** Restores run under faults; docs/reliability.md states the outcome as "6 of 6 restored". */
    static final int RESTORES = 6;
    /** Faults in a row on one key: one fewer than the engine's tries of a store operation. */
    static final int IN_A_ROW = BackupEngine.RETRY_ATTEMPTS - 1;

    @Test
    void tenPercentFailedAndSomeSlowOperationsLeaveOnlyWholeBackups() throws Exception {
        f.provider.addRule(FaultRule.fail(Operation.ANY).withProbability(0.10).atMostInARowPerKey(IN_A_ROW));
        f.provider.addRule(FaultRule.delay(Operation.PUT, Duration.ofMillis(20)).withProbability(0.05));
        List<String> committed = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < BACKUPS; i++) {
            f.workload.appendBatch(A, "*events", 50);
            try {
                committed.add(f.engine.backup(A).backupId());
            } catch (RuntimeException e) {
                assertNotNull(e.getMessage(), "a failure says why");
                failures.add(e.getMessage());
            }
        }
        f.provider.clearRules();
        System.out.printf("injected faults: %d faults, %d backups committed, %d failed (e.g. %s)%n",
                f.provider.faultsInjected(), committed.size(), failures.size(), failures.isEmpty() ? "-" : failures.get(0));
        assertTrue(f.provider.faultsInjected() > 10, "faults were injected");
        // Each store operation fails with probability 0.1, never more often in a row than the engine retries
        // it: every backup must commit, by construction rather than by the odds.
        assertEquals(BACKUPS, committed.size(), "bounded retries carry every backup through 10% failed operations;"
                + " failures: " + failures);
        List<String> listed = f.engine.list(A, null, 100).backups().stream().map(BackupSummary::backupId).toList();
        assertEquals(committed.size(), listed.size(), "exactly the committed ones are listed");
        assertTrue(listed.containsAll(committed));
        for (String id : listed) {
            VerifyReport report = f.engine.verify(id, true);
            assertTrue(report.ok(), id + ": " + report.problems());
        }
        ModuleManifest next = f.engine.backup(A);
        f.restoreChecked(next.backupId());
        f.checkLive(A, "after-faults");
    }

    @Test
    void restoresAndGcUnderTenPercentFailedOperationsEndWholeOrNotAtAll() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            f.write(300);
            ids.add(f.engine.backup(A).backupId());
        }
        f.provider.addRule(FaultRule.fail(Operation.ANY).withProbability(0.10).atMostInARowPerKey(IN_A_ROW));
        f.provider.addRule(FaultRule.delay(Operation.GET, Duration.ofMillis(20)).withProbability(0.05));
        int restored = 0;
        for (int i = 0; i < RESTORES; i++) {
            String id = ids.get(i % 2);
            Map<Integer, Long> before = f.depotEnds();
            long epoch = f.cluster.restoreMarker(A).map(m -> m.epoch()).orElse(0L);
            try {
                f.restoreChecked(id);
                restored++;
                assertEquals(epoch + 1, f.cluster.restoreMarker(A).orElseThrow().epoch());
                assertEquals(id, f.cluster.restoreMarker(A).orElseThrow().backupId(), "restored whole");
            } catch (RuntimeException e) {
                assertNotNull(e.getMessage(), "a failure says why");
                assertEquals(epoch, f.cluster.restoreMarker(A).map(m -> m.epoch()).orElse(0L), "nothing installed");
                assertEquals(before, f.depotEnds(), "live state untouched by the failed restore");
            }
            f.checkLive(A, "restore-under-faults-" + i);
        }
        // Set after the restores, which bring back the backup's own dynamic options.
        f.cluster.setDynamicOption(A, io.modbackup.core.gc.RetentionPolicy.MIN_BACKUPS_TO_KEEP, "2");
        f.cluster.setDynamicOption(A, io.modbackup.core.gc.RetentionPolicy.MAX_AGE_HOURS, "0");
        boolean collected;
        try {
            f.engine.gc(false);
            collected = true;
        } catch (RuntimeException e) {
            assertNotNull(e.getMessage());
            collected = false;
        }
        long faults = f.provider.faultsInjected();
        f.provider.clearRules();
        System.out.printf("restores under faults: %d of 6 restored, GC %s, %d faults injected%n", restored,
                collected ? "completed" : "failed cleanly", faults);
        assertTrue(faults > 0, "faults were injected");
        assertEquals(RESTORES, restored, "retries carry every restore through");
        assertTrue(collected, "retries carry the GC through");
        List<String> listed = f.engine.list(A, null, 100).backups().stream().map(BackupSummary::backupId).toList();
        assertTrue(listed.contains(ids.get(2)) && listed.contains(ids.get(1)), "GC keeps the two newest: " + listed);
        for (String id : listed) {
            assertTrue(f.engine.verify(id, true).ok(), id + " survives GC under faults whole");
        }
        f.engine.gc(false);
        assertEquals(List.of(ids.get(2), ids.get(1)),
                f.engine.list(A, null, 100).backups().stream().map(BackupSummary::backupId).toList());
    }

    @Test
    void truncatedDownloadsAreCaughtBeforeLiveStateIsTouched() throws Exception {
        ModuleManifest manifest = f.engine.backup(A);
        f.provider.addRule(FaultRule.truncate(Operation.GET, 1000).forKeys("blobs/.*"));
        assertTrue(f.cluster.restoreMarker(A).isEmpty());
        try {
            f.engine.restore(manifest.backupId());
            throw new AssertionError("a restore from truncated downloads must fail");
        } catch (CorruptBackupException e) {
            assertTrue(e.getMessage().contains("is corrupt in the store"), e.getMessage());
        }
        assertTrue(f.cluster.restoreMarker(A).isEmpty(), "nothing was installed");
        assertFalse(f.engine.verify(manifest.backupId(), true).ok(), "deep verify sees the short reads too");
        f.provider.clearRules();
        assertTrue(f.engine.verify(manifest.backupId(), true).ok(), "the stored backup itself is intact");
        f.checkLive(A, "untouched");
    }
}
