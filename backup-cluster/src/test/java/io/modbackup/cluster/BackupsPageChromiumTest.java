package io.modbackup.cluster;

import static io.modbackup.sim.SampleModules.MODULE_A;
import static io.modbackup.sim.SampleModules.MODULE_B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.cli.operation.OperationRecord;
import io.modbackup.cluster.launch.ClusterProcesses;
import io.modbackup.cluster.launch.ClusterSpec;
import io.modbackup.cluster.node.ClusterAdmin;
import io.modbackup.testkit.browser.HeadlessChromium;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backups page as the shipped Conductor serves it, rendered by headless Chromium (installed by
 * .ci/run): the store's last committed backup (committed by the CLI, not the scheduler), the running
 * operation with its progress, recent operations with a restore and a failure, the restore epoch, the
 * links between modules and to the JSON, and the index at {@code /}.
 */
class BackupsPageChromiumTest {

    @TempDir
    Path dir;

    @Test
    void thePageShowsTheStoresBackupsTheRunningOperationAndRecentOnesWithTheirOutcomes() throws Exception {
        assumeTrue(HeadlessChromium.availableOrRequired(),
                "Chromium is not installed here (.ci/run installs it: apt-get install chromium)");
        ClusterSpec spec = ClusterSpec.of(dir.resolve("cluster"), 2,
                ClusterFixture.LOCAL_PROVIDER + " " + dir.resolve("store"));
        try (ClusterFixture cluster = new ClusterFixture(spec, dir.resolve("scratch"))) {
            ClusterAdmin admin = cluster.admin;
            admin.deploy(MODULE_A, new Parallelism(2, 2, 1));
            admin.deploy(MODULE_B, new Parallelism(1, 2, 1));
            cluster.workload(3).appendBatch(MODULE_A, "*events", 300);
            cluster.awaitCaughtUp(MODULE_A);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                ClusterAdmin.CliResult backup = admin.runCli(List.of("--action", "backup", "--module", MODULE_A));
                assertEquals(0, backup.exitCode(), backup.err());
                Matcher m = Pattern.compile("backup (\\S+) committed").matcher(backup.out());
                assertTrue(m.find(), backup.out());
                ids.add(0, m.group(1));
            }
            ClusterAdmin.CliResult restore = admin.runCli(List.of("--action", "restore", "--backupId", ids.get(1), "--yes"));
            assertEquals(0, restore.exitCode(), restore.err());
            ClusterAdmin.CliResult refused = admin.runCli(List.of("--action", "restore", "--backupId", ids.get(0), "--yes",
                    "--threads", "2", "--workers", "1"));
            assertEquals(1, refused.exitCode());

            // A backup held by a frozen Supervisor runs for the heartbeat timeout (5 s): the page is rendered then.
            cluster.processes.pause("supervisor-1");
            String session = admin.startCli(List.of("--action", "backup", "--module", MODULE_A));
            OperationRecord running = null;
            while (running == null) {
                running = admin.pollCli(session, 0, 0, 50).operation();
            }
            String base = admin.info().conductor().url();
            String page = base + "/modules/" + URLEncoder.encode(MODULE_A, StandardCharsets.UTF_8) + "/backups";
            String dom = HeadlessChromium.render(dir, page);
            boolean stillRunning = !admin.pollCli(session, 0, 0, 0).done();

            assertTrue(dom.contains("<p id=\"last-committed\">Last committed backup: " + ids.get(0) + " at "), dom);
            assertTrue(dom.contains("<p id=\"restore-epoch\">Restore epoch: 1</p>"), dom);
            assertTrue(stillRunning, "the backup ran while the page was rendered");
            assertTrue(dom.contains("<p id=\"running\">Running: " + running.describe() + ", by cli: " + running.id()
                    + " backup: "), dom);
            List<String> operations = new ArrayList<>();
            Matcher row = Pattern.compile("<tr class=\"operation (\\w+)\"><td class=\"op-id\">(op-\\d+)</td><td>(\\w+)</td>")
                    .matcher(dom);
            while (row.find()) {
                operations.add(row.group(2) + " " + row.group(3) + " " + row.group(1));
            }
            assertEquals(List.of("op-4 restore failed", "op-3 restore succeeded", "op-2 backup succeeded",
                    "op-1 backup succeeded"), operations);
            assertTrue(dom.contains("module " + MODULE_A + " is running: --threads, --workers and --replicationFactor apply"
                    + " only to a module that is not running"), dom);
            assertTrue(dom.contains("<a class=\"module-link\" href=\"/modules/" + MODULE_B + "/backups\">" + MODULE_B + "</a>"),
                    dom);
            assertTrue(dom.contains("<a id=\"json\" href=\"/modules/" + MODULE_A + "/backups.json\">JSON</a>"), dom);
            List<String> rows = new ArrayList<>();
            Matcher backup = Pattern.compile("<tr class=\"backup\"><td class=\"id\">([^<]+)</td>").matcher(dom);
            while (backup.find()) {
                rows.add(backup.group(1));
            }
            assertEquals(ids, rows, "the store's backups, newest first");

            String index = HeadlessChromium.render(dir, base + "/");
            assertTrue(index.contains("<ul id=\"modules\"><li><a href=\"/modules/" + MODULE_A + "/backups\">" + MODULE_A
                    + "</a></li><li><a href=\"/modules/" + MODULE_B + "/backups\">" + MODULE_B + "</a></li></ul>"), index);
            HttpResponse<String> json = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(page + ".json"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            JsonNode view = new ObjectMapper().readTree(json.body());
            assertEquals(ids.get(0), view.get("lastCommitted").get("backupId").asText());
            assertEquals(1, view.get("restoreEpoch").asLong());

            ClusterAdmin.CliPoll end = admin.pollCli(session, 0, 0, 2000);
            while (!end.done()) {
                end = admin.pollCli(session, 0, 0, 2000);
            }
            assertEquals(1, end.exitCode(), "the backup waiting on the frozen Supervisor failed");
            cluster.processes.resume("supervisor-1");
            String after = HeadlessChromium.render(dir, page);
            assertTrue(after.contains("<tr class=\"operation failed\"><td class=\"op-id\">" + running.id() + "</td>"), after);
            assertTrue(after.contains("<p id=\"running\">Running: nothing</p>"), after);
        }
    }
}
