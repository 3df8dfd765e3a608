package io.modbackup.cluster;

import static io.modbackup.sim.SampleModules.MODULE_A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.cluster.ShippedCommands.Result;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/cluster} and {@code bin/backup} as a user runs them: the cluster runs in the background,
 * the CLI is a client of its Conductor (two calls at once both work), the Conductor serves the backups
 * page, and with no cluster running the CLI says so in one line.
 */
@EnabledOnOs(OS.LINUX)
class RemoteCliTest {
    @TempDir
    Path dir;

    private static Result cli(String... args) {
        return ShippedCommands.backup(List.of(args));
    }

    @Test
    void theCliTalksToTheRunningConductorAndTwoBackupsWithWaitRunOneAfterTheOther() throws Exception {
        Path home = dir.resolve("demo");
        Result started = ShippedCommands.cluster("start", home.toString(), "--supervisors", "2");
        try {
            assertEquals(0, started.code(), started.err());
            String config = home.resolve("modbackup.yaml").toString();
            // One backup of a module at a time: with --wait, whichever starts second waits for the other.
            CompletableFuture<Result> first = CompletableFuture.supplyAsync(
                    () -> cli("--config", config, "--action", "backup", "--module", MODULE_A, "--wait"));
            CompletableFuture<Result> second = CompletableFuture.supplyAsync(
                    () -> cli("--config", config, "--action", "backup", "--module", MODULE_A, "--wait"));
            for (Result backup : List.of(first.join(), second.join())) {
                assertEquals(0, backup.code(), backup.err());
            }
            Result list = cli("--config", config, "--action", "list", "--module", MODULE_A);
            assertEquals(0, list.code(), list.err());
            assertEquals(2, list.out().lines().filter(l -> l.contains(MODULE_A + "-")).count(), list.out());

            Matcher page = Pattern.compile("(http://\\S+/modules/\\S+/backups)").matcher(started.out());
            assertTrue(page.find(), started.out());
            HttpResponse<String> html = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(page.group(1))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, html.statusCode());
            assertTrue(html.body().contains(MODULE_A), html.body());
        } finally {
            Result stopped = ShippedCommands.cluster("stop", home.toString());
            assertEquals(0, stopped.code(), stopped.err());
        }
        Result none = cli("--config", home.resolve("modbackup.yaml").toString(), "--action", "list", "--module", MODULE_A);
        assertEquals(1, none.code());
        assertEquals(1, none.err().lines().count(), none.err());
        assertTrue(none.err().startsWith("error: no cluster is running in "), none.err());
        assertTrue(Files.exists(home.resolve("store")), "the store stays");
    }
}
