package io.modbackup.core.engine;

import static io.modbackup.core.engine.EngineFixture.A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.core.hash.Hashing;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.sim.ConsistencyOracle;
import io.modbackup.sim.ModuleDefinition;
import io.modbackup.sim.SampleModules;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commonest real restore: rolling a module back after a bad deploy. A backup taken before a module
 * update, restored after it, brings back the earlier jar and config overrides, and the module computes
 * with the earlier code again; a backup taken after the update brings the update back.
 */
class ModuleUpdateRestoreTest {
    @TempDir
    Path dir;
    EngineFixture f;

    @BeforeEach
    void setUp() {
        f = new EngineFixture(dir);
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    private String jarSha() throws Exception {
        return Hashing.sha256Hex(Files.readAllBytes(f.cluster.moduleJar(A)));
    }

    @Test
    void aBackupFromBeforeAnUpdateRestoresTheEarlierJarConfigAndCode() throws Exception {
        ModuleDefinition v1 = SampleModules.moduleA();
        ModuleDefinition v2 = SampleModules.moduleAVersion2();
        f.write(1200);
        ModuleManifest before = f.engine.backup(A);
        String v1Jar = jarSha();
        assertEquals(v1Jar, before.jar().sha256(), "the backup holds the jar it ran");

        f.cluster.update(v2);
        assertEquals(v2.configOverrides(), f.cluster.describe(A).orElseThrow().configOverrides());
        f.write(800);
        ModuleManifest after = f.engine.backup(A);
        String v2Jar = jarSha();
        assertNotEquals(v1Jar, v2Jar);
        assertEquals(v2Jar, after.jar().sha256());
        assertEquals(v2.configOverrides(), after.descriptor().configOverrides());

        f.restoreChecked(before.backupId());
        assertEquals(v1.configOverrides(), f.cluster.describe(A).orElseThrow().configOverrides(), "the earlier config is back");
        assertEquals(v1Jar, jarSha(), "the earlier jar is back");
        assertEquals(v1, f.cluster.definition(A), "the module runs the earlier code");
        f.write(600);
        // The oracle replays with the code the module runs now; v2's maxima instead of sums would fail it.
        ConsistencyOracle.Report report = f.checkLive(A, "rolled-back");
        assertTrue(report.entriesReplayed() > 0);

        f.restoreChecked(after.backupId());
        assertEquals(v2.configOverrides(), f.cluster.describe(A).orElseThrow().configOverrides());
        assertEquals(v2Jar, jarSha());
        assertEquals(v2, f.cluster.definition(A), "and the update comes back with its backup");
    }
}
