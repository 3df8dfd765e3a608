package io.modbackup.demo;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The main job runs end to end (small) and reports a passing oracle, so it cannot rot. */
class DemoTest {
    @TempDir
    Path dir;

    @Test
    void theDemoRestoresAnEarlierBackupAndTheOraclePasses() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        boolean ok = Demo.run(dir, 200, new PrintStream(bytes, true, StandardCharsets.UTF_8), false);
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(ok, out);
        assertTrue(out.contains("oracle after restore: PASS"), out);
        assertTrue(out.contains("incremental backup"), out);
        assertTrue(out.contains("restore epoch 1"), out);
        for (String node : new String[] {"conductor", "supervisor-0", "supervisor-1", "supervisor-2"}) {
            assertTrue(out.lines().anyMatch(l -> l.strip().startsWith(node) && l.contains("pid") && l.contains("of chunks")),
                    node + " is reported with its pid and bytes: " + out);
        }
        assertTrue(out.contains("/modules/com.mycompany.ModuleA/backups"), "the backups page's URL is printed: " + out);
    }
}
