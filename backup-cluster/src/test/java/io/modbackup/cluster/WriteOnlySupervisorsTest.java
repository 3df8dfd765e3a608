package io.modbackup.cluster;

import static io.modbackup.sim.SampleModules.MODULE_A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.cluster.ShippedCommands.Result;
import io.modbackup.api.provider.BackupStorageException;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster whose Supervisors reach the store with credentials that may only read and create (no delete,
 * no overwrite), started and driven as an operator would ({@code bin/cluster start --conductor-provider},
 * {@code bin/backup}): backups, a restore and a deep verify work, and GC deletes through the Conductor's
 * own provider; no Supervisor ever asks for a delete or an overwrite.
 */
@EnabledOnOs(OS.LINUX)
class WriteOnlySupervisorsTest {
    @TempDir
    Path dir;

    private static Result cli(String... args) {
        return ShippedCommands.backup(List.of(args));
    }

    @Test
    void backupsAndRestoresWorkWithDeleteLessSupervisorsAndGcDeletesThroughTheConductor() throws Exception {
        Path home = dir.resolve("cluster-home");
        Path store = dir.resolve("store");
        Path refusals = CreateOnlyProvider.refusalsFile(store);
        // The Supervisors' provider really refuses deletes and overwrites, and creates.
        try (CreateOnlyProvider writeOnly = new CreateOnlyProvider(store.toString())) {
            CompletionException refused = org.junit.jupiter.api.Assertions.assertThrows(CompletionException.class,
                    () -> writeOnly.deleteObject("probe").join());
            assertInstanceOf(BackupStorageException.class, refused.getCause());
            assertInstanceOf(BackupStorageException.class, org.junit.jupiter.api.Assertions.assertThrows(
                    CompletionException.class, () -> writeOnly.putObject("probe", new java.io.ByteArrayInputStream(
                            new byte[0]), 0).join()).getCause());
            assertTrue(writeOnly.createObject("probe", new java.io.ByteArrayInputStream(new byte[0]), 0).join());
        }
        Files.delete(store.resolve("probe"));
        Files.delete(refusals);

        Result started = ShippedCommands.cluster("start", home.toString(), "--supervisors", "2",
                "--provider", CreateOnlyProvider.class.getName() + " " + store,
                "--conductor-provider", LocalDirectoryProvider.class.getName() + " " + store);
        try {
            assertEquals(0, started.code(), started.err());
            String config = home.resolve("modbackup.yaml").toString();
            Result first = cli("--config", config, "--action", "backup", "--module", MODULE_A);
            assertEquals(0, first.code(), first.err());
            String firstId = backupId(first.out());
            Result second = cli("--config", config, "--action", "backup", "--module", MODULE_A);
            assertEquals(0, second.code(), second.err());

            Result restore = cli("--config", config, "--action", "restore", "--backupId", firstId, "--yes");
            assertEquals(0, restore.code(), restore.err());
            Result verify = cli("--config", config, "--action", "verify", "--backupId", firstId, "--deep");
            assertEquals(0, verify.code(), verify.err());

            // An orphan, as a backup that never committed leaves: GC must delete it, through the Conductor.
            String orphan = "ff" + "0".repeat(62);
            Path orphanFile = Files.createDirectories(store.resolve("blobs").resolve("ff")).resolve(orphan);
            Files.write(orphanFile, new byte[] {1, 2, 3});
            Result gc = cli("--config", config, "--action", "gc");
            assertEquals(0, gc.code(), gc.err());
            assertFalse(Files.exists(orphanFile), "GC deleted the orphaned chunk: " + gc.out());
            assertEquals(List.of(), ClusterFixture.filesUnder(store.resolve("locks")), "the Conductor released every lease");
        } finally {
            Result stopped = ShippedCommands.cluster("stop", home.toString());
            assertEquals(0, stopped.code(), stopped.err());
        }
        assertFalse(Files.exists(refusals), "no process asked the Supervisors' provider to delete or overwrite: "
                + (Files.exists(refusals) ? Files.readString(refusals) : ""));
        assertTrue(Files.readString(home.resolve("modbackup.yaml")).contains("backup.conductor.provider: \""
                + LocalDirectoryProvider.class.getName() + " " + store + "\""));
    }

    private static String backupId(String out) {
        Matcher id = Pattern.compile("(" + Pattern.quote(MODULE_A) + "-\\S+)").matcher(out);
        assertTrue(id.find(), out);
        return id.group(1);
    }
}
