package io.modbackup.core.engine;

import static io.modbackup.core.engine.EngineFixture.A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.core.error.BackupException;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.store.TransferLimits;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The module's dynamic options set each operation's transfer limit, read when it starts (a change applies
 * to the next operation, no restart), and every byte the backup sends and the restore reads goes through it.
 */
class TransferRateOptionsTest {
    @TempDir
    Path dir;
    private EngineFixture f;

    @BeforeEach
    void setUp() throws Exception {
        f = new EngineFixture(dir);
        f.write(800);
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    @Test
    void theLimitsComeFromTheDynamicOptionsAndCountEveryByteMoved() throws Exception {
        TransferLimits limits = f.engine.transferLimits();
        ModuleManifest unlimited = f.engine.backup(A);
        assertEquals(0, limits.uploadLimit());
        assertEquals(0, limits.uploadedLimited(), "no limit: nothing passes through a bucket");

        f.cluster.setDynamicOption(A, "backup.upload.bytes.per.second", "64MiB");
        f.write(400);
        ModuleManifest limited = f.engine.backup(A);
        assertEquals(64L << 20, limits.uploadLimit(), "applied to the next backup, no restart");
        // Every byte sent for the task files went through the bucket (the Conductor's own records too).
        assertTrue(limits.uploadedLimited() >= limited.totals().bytesSent(),
                limits.uploadedLimited() + " limited, " + limited.totals().bytesSent() + " sent");

        f.cluster.setDynamicOption(A, "backup.restore.bytes.per.second", "32MiB");
        f.write(100);
        f.engine.restore(unlimited.backupId());
        assertEquals(32L << 20, limits.downloadLimit());
        assertTrue(limits.downloadedLimited() > 0);

        f.cluster.setDynamicOption(A, "backup.upload.bytes.per.second", "fast");
        BackupException e = assertThrows(BackupException.class, () -> f.engine.backup(A));
        assertEquals(BackupException.Problem.INVALID_OPTION, e.problem());
        assertEquals("dynamic option backup.upload.bytes.per.second of module " + A + " is 'fast', not a rate in bytes a"
                + " second such as 8MiB or 500KB; set it, or remove it for no limit", e.getMessage());
        f.cluster.setDynamicOption(A, "backup.upload.bytes.per.second", "0");
        f.engine.backup(A);
        assertEquals(0, limits.uploadLimit(), "0 lifts it");
    }
}
