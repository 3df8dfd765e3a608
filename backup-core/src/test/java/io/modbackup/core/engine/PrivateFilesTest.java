package io.modbackup.core.engine;

import static io.modbackup.core.engine.EngineFixture.A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.provider.BackupStorageException;
import io.modbackup.core.fs.PrivateFiles;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's own files are its user's alone, and nothing it cleans up or writes can be steered
 * elsewhere by a link. Before: jar staging sat in the shared temporary directory, and the engine's
 * start emptied the directory that a planted {@code /tmp/modbackup-jar-99999999-x} link named; the
 * local store was created with the umask's permissions (0755: every local user read it).
 */
@EnabledOnOs(OS.LINUX)
class PrivateFilesTest {
    @TempDir
    Path dir;

    @Test
    void aLinkPlantedAsADeadRestoresJarStagingIsRemovedNotFollowed() throws Exception {
        Path data = Files.createDirectories(dir.resolve("operator-data"));
        Files.writeString(data.resolve("precious.txt"), "keep me");
        Path scratch = PrivateFiles.createDirectories(dir.resolve("node").resolve("scratch"));
        Path planted = Files.createSymbolicLink(scratch.resolve("jar-99999999-x"), data);
        Path deadRestore = Files.createDirectories(scratch.resolve("jar-99999998-y"));
        Files.createSymbolicLink(deadRestore.resolve("inner-link"), data);
        Files.writeString(deadRestore.resolve("module.jar"), "left by a killed restore");

        try (EngineFixture f = new EngineFixture(dir.resolve("fixture"),
                BackupOptions.defaults().withChunkSize(EngineFixture.CHUNK).withScratchDirectory(scratch))) {
            assertFalse(Files.exists(planted, LinkOption.NOFOLLOW_LINKS), "the planted link is gone");
            assertFalse(Files.exists(deadRestore, LinkOption.NOFOLLOW_LINKS), "the dead restore's staging is gone");
            assertEquals("keep me", Files.readString(data.resolve("precious.txt")), "what the links named is untouched");
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(scratch)));

            f.write(200);
            String backupId = f.engine.backup(A).backupId();
            f.engine.restore(backupId);
            try (Stream<Path> left = Files.list(scratch)) {
                assertEquals(List.of(), left.toList(), "a finished restore leaves no jar staging");
            }
            Path store = dir.resolve("fixture").resolve("store");
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(store)));
            try (Stream<Path> files = Files.walk(store)) {
                for (Path file : files.filter(Files::isRegularFile).toList()) {
                    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)), file.toString());
                }
            }
        }
    }

    @Test
    void aScratchDirectoryThatIsALinkIsRefusedByName() throws Exception {
        Path target = Files.createDirectories(dir.resolve("elsewhere"));
        Path link = Files.createSymbolicLink(dir.resolve("scratch"), target);
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> PrivateFiles.checkOwnDirectory(link));
        assertEquals(link + " is a link or not a directory: remove it (another user may have planted it) and try again",
                refused.getMessage());
    }

    @Test
    void theLocalStoreRefusesAKeyWhosePathPassesThroughALink() throws Exception {
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Path root = dir.resolve("store");
        try (LocalDirectoryProvider provider = new LocalDirectoryProvider(root.toString())) {
            provider.putObject("blobs/aa/first", new ByteArrayInputStream(new byte[] {1}), 1).join();
            Files.createSymbolicLink(root.resolve("blobs").resolve("ab"), outside);
            CompletionException refused = assertThrows(CompletionException.class,
                    () -> provider.putObject("blobs/ab/evil", new ByteArrayInputStream(new byte[] {2}), 1).join());
            assertTrue(refused.getCause() instanceof BackupStorageException, refused.toString());
            assertEquals("object key 'blobs/ab/evil' in " + root + " passes through the symbolic link "
                    + root.resolve("blobs").resolve("ab") + "; a store's directories are never links: remove it",
                    refused.getCause().getMessage());
            assertThrows(CompletionException.class, () -> provider.deleteObject("blobs/ab/evil").join());
            try (Stream<Path> files = Files.list(outside)) {
                assertEquals(List.of(), files.toList(), "nothing written outside the store");
            }
        }
    }
}
