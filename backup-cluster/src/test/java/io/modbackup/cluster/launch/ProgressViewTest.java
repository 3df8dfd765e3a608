package io.modbackup.cluster.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modbackup.cli.operation.OperationRecord;
import io.modbackup.core.engine.Progress;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How bin/backup shows an operation: on a terminal, into a pipe, and as JSON lines. */
class ProgressViewTest {
    private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
    private final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);

    private static OperationRecord backup(long bytesDone, int tasksDone) {
        return new OperationRecord("op-2", "backup", "A", "", "cli", true, OperationRecord.State.RUNNING, 0, -1,
                new Progress("backup", bytesDone, 4096, tasksDone, 4, tasksDone, 4, 0), "");
    }

    private String err() {
        return errBytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aTerminalRewritesOneLineAndWipesItBeforeAnyOtherOutput() {
        ProgressView view = new ProgressView.Terminal(err);
        view.progress(backup(1024, 1), 1000);
        view.progress(backup(2048, 2), 2000);
        view.output("", "error: the store is gone\n", out, err);
        String first = "op-2 backup: 1/4 tasks, 1/4 files, 1.0 KiB of 4.0 KiB, 1.0 KiB/s, about 3 s left (1 s)";
        String second = "op-2 backup: 2/4 tasks, 2/4 files, 2.0 KiB of 4.0 KiB, 1.0 KiB/s, about 2 s left (2 s)";
        assertEquals("\r" + first + "\r" + second + "\r" + " ".repeat(second.length()) + "\r"
                + "error: the store is gone\n", err());
    }

    @Test
    void aPipeGetsALineWhenTheProgressChangesAtMostEveryTwoSecondsAndOneEveryTenWhenItDoesNot() {
        ProgressView view = new ProgressView.Pipe(err);
        view.progress(backup(0, 0), 0);          // the first: printed
        view.progress(backup(1024, 1), 1000);    // changed, 1 s later: not yet
        view.progress(backup(1024, 1), 2000);    // changed since the last line, 2 s: printed
        view.progress(backup(1024, 1), 5000);    // unchanged: not until 10 s
        view.progress(backup(1024, 1), 12_000);  // unchanged for 10 s: printed
        List<String> lines = err().lines().toList();
        assertEquals(List.of("op-2 backup: 0/4 tasks, 0/4 files, 0 B of 4.0 KiB (0 ms)",
                "op-2 backup: 1/4 tasks, 1/4 files, 1.0 KiB of 4.0 KiB, 512 B/s, about 6 s left (2 s)",
                "op-2 backup: 1/4 tasks, 1/4 files, 1.0 KiB of 4.0 KiB, 85 B/s, about 36 s left (12 s)"), lines);
    }

    @Test
    void jsonLinesCarryProgressOutputAndTheExitCode() throws Exception {
        ProgressView view = new ProgressView.Json(out);
        view.progress(backup(1024, 1), 1000);
        view.output("backup X committed\n", "", out, err);
        view.finish(backup(4096, 4), 0, 3000);
        List<JsonNode> events = outBytes.toString(StandardCharsets.UTF_8).lines().map(l -> {
            try {
                return new ObjectMapper().readTree(l);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).toList();
        assertEquals(3, events.size());
        assertEquals("progress", events.get(0).get("event").asText());
        assertEquals(1024, events.get(0).get("operation").get("progress").get("bytesDone").asLong());
        assertEquals("out", events.get(1).get("event").asText());
        assertEquals("backup X committed\n", events.get(1).get("text").asText());
        assertEquals("exit", events.get(2).get("event").asText());
        assertEquals(0, events.get(2).get("code").asInt());
        assertEquals("", err(), "nothing goes to stderr");
    }
}
