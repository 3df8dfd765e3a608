package io.modbackup.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.core.engine.BackupOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark at a tiny size, so that it cannot rot: every row is produced. Not a timed test: the
 * ratios of such a small run mean nothing and are not asserted.
 */
class BenchmarkSmokeTest {
    @TempDir
    Path dir;

    @Test
    void everyRowIsProduced() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        List<Benchmark.Row> rows = Benchmark.run(new Benchmark.Options(8L << 20, 1L << 20, dir, true, false,
                BackupOptions.DEFAULT_CHUNK_SIZE, 2), new PrintStream(log, true));
        Rows.printTable(rows, new PrintStream(log, true));
        // One no-change row more for each of restic and borg when installed (their full-backup rows are always there).
        int tools = (onPath("restic") ? 1 : 0) + (onPath("borg") ? 1 : 0);
        // Compression (time, CPU time, probe, size), encryption (backup, restore), the JSON-like workload's two rows,
        // the full backup against the store floor, and the floor against borg when installed; the no-change
        // backups' first five beside their steady state.
        int floor = 1 + (onPath("borg") ? 1 : 0);
        assertEquals(10 + 8 + tools + floor + 1, rows.size(), log.toString());
        assertTrue(rows.stream().anyMatch(r -> r.measure().startsWith("no-change backup: time (steady")), log.toString());
        assertTrue(rows.stream().anyMatch(r -> r.measure().startsWith("full backup vs the store floor")), log.toString());
        assertTrue(rows.stream().anyMatch(r -> r.measure().startsWith("JSON-like depot entries: chunk bytes stored")),
                log.toString());
        assertTrue(rows.stream().anyMatch(r -> r.baseline().startsWith(onPath("borg") ? "borg create" : "borg: not installed")),
                log.toString());
        assertTrue(rows.stream().anyMatch(r -> r.measure().startsWith("no-change backup: bytes")), log.toString());
        assertTrue(rows.stream().anyMatch(r -> r.measure().startsWith("incremental") && r.verdict().equals("met")),
                "incremental uploads stay within changed bytes + a chunk per file: " + log);
        assertTrue(rows.stream().anyMatch(r -> r.measure().startsWith("full backup through S3")), log.toString());
        assertTrue(rows.stream().anyMatch(r -> r.measure().startsWith("full backup through Azure (Azurite)")), log.toString());
    }

    private static boolean onPath(String command) {
        return java.util.Arrays.stream(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(dir -> !dir.isEmpty() && java.nio.file.Files.isExecutable(Path.of(dir, command)));
    }
}
