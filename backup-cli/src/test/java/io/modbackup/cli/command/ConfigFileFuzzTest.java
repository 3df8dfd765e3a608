package io.modbackup.cli.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.modbackup.api.provider.BackupConfigException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The config parser on what a caller may name as {@code --config}: seeded mutations of a valid file
 * parse or fail with one {@link BackupConfigException} that never echoes the file's content, and a
 * device or an oversized file is refused unread.
 */
class ConfigFileFuzzTest {
    private static final String VALID = "backup.provider: \"io.modbackup.core.provider.local.LocalDirectoryProvider /tmp/s\"\n"
            + "# a comment\ncluster.dir: /tmp/c\nbackup.compression: 'zstd:3'\n";

    @TempDir
    Path dir;

    @Test
    void mutatedFilesParseOrFailWithOneConfigErrorThatDoesNotEchoThem() throws Exception {
        assertEquals("/tmp/c", ConfigFile.read(Files.writeString(dir.resolve("valid.yaml"), VALID)).get("cluster.dir"));
        Random random = new Random(20261202L);
        byte[] valid = VALID.getBytes(StandardCharsets.UTF_8);
        Path file = dir.resolve("fuzzed.yaml");
        for (int i = 0; i < 3000; i++) {
            byte[] bytes = valid.clone();
            for (int k = 0; k <= random.nextInt(6); k++) {
                bytes[random.nextInt(bytes.length)] = (byte) (random.nextBoolean() ? "\n:\"' #\r\0".charAt(random.nextInt(8))
                        : random.nextInt(256));
            }
            bytes[0] = 'Z'; // a marker that a message echoing the first line would carry
            Files.write(file, bytes);
            try {
                Map<String, String> parsed = ConfigFile.read(file);
                assertTrue(parsed.size() <= 4, parsed.toString());
            } catch (BackupConfigException e) {
                assertTrue(e.getMessage().startsWith("config file " + file), e.getMessage());
                assertTrue(!e.getMessage().contains("Zackup"), "the line is not echoed: " + e.getMessage());
            } catch (RuntimeException e) {
                fail("an undocumented failure: " + e, e);
            }
        }
    }

    @Test
    void aDeviceOrAnOversizedFileIsRefusedUnread() throws Exception {
        BackupConfigException device = assertThrows(BackupConfigException.class, () -> ConfigFile.read(Path.of("/dev/zero")));
        assertEquals("config file /dev/zero is not a regular file of at most 1048576 bytes; give --config with the file"
                + " holding backup.provider", device.getMessage());
        Path huge = Files.write(dir.resolve("huge.yaml"), new byte[(1 << 20) + 1]);
        assertThrows(BackupConfigException.class, () -> ConfigFile.read(huge));
    }
}
