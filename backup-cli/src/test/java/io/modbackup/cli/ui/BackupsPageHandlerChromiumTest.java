package io.modbackup.cli.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.cli.operation.ProgressLine;
import io.modbackup.cli.schedule.BackupScheduler;
import io.modbackup.cli.schedule.MetricsRecorder;
import io.modbackup.core.engine.BackupEngine;
import io.modbackup.core.engine.BackupOptions;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
import io.modbackup.sim.SampleModules;
import io.modbackup.sim.SimulatedCluster;
import io.modbackup.sim.Workload;
import io.modbackup.testkit.browser.HeadlessChromium;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Cluster UI's backups section, rendered by a real headless Chromium (installed by .ci/run from
 * the distribution's packages), with its rows, schedule and GC; and its JSON endpoint.
 */
class BackupsPageHandlerChromiumTest {
    private static final String A = SampleModules.MODULE_A;

    @TempDir
    Path dir;

    @Test
    void theRenderedPageListsTheBackupsNewestFirstWithScheduleAndGc() throws Exception {
        assumeTrue(HeadlessChromium.availableOrRequired(),
                "Chromium is not installed here (.ci/run installs it: apt-get install chromium)");
        try (SimulatedCluster cluster = SimulatedCluster.withSampleModules(dir.resolve("cluster"));
             LocalDirectoryProvider provider = new LocalDirectoryProvider(dir.resolve("store").toString());
             BackupEngine engine = new BackupEngine(cluster, provider, BackupOptions.defaults())) {
            cluster.deploy(SampleModules.moduleA(), new Parallelism(4, 2, 1));
            MetricsRecorder metrics = new MetricsRecorder(Clock.systemUTC());
            BackupScheduler scheduler = new BackupScheduler(engine, cluster, Clock.systemUTC(), metrics);
            Workload workload = new Workload(cluster, 1, 100, 20);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                workload.appendBatch(A, "*events", 200);
                ModuleManifest m = engine.backup(A);
                metrics.backupSucceeded(A, m.backupId(), m.completedMillis(), m.totals().durationMillis(), m.totals().bytesSent());
                ids.add(0, m.backupId());
            }
            cluster.setDynamicOption(A, "backup.period.seconds", "3600");
            cluster.setDynamicOption(A, "backup.min.backups.to.keep", "3");
            scheduler.tick();
            scheduler.awaitIdle(java.time.Duration.ofSeconds(60));
            ids.add(0, engine.list(A, null, 1).backups().get(0).backupId());
            metrics.gcCompleted(System.currentTimeMillis(), engine.gc(false));

            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/modules", new BackupsPageHandler("/modules", engine, scheduler, metrics, cluster,
                    io.modbackup.cli.operation.Operations.inMemory(Clock.systemUTC())));
            server.start();
            try {
                String base = "http://127.0.0.1:" + server.getAddress().getPort() + "/modules/" + A;
                String dom = HeadlessChromium.render(dir, base + "/backups");
                List<String> rows = new ArrayList<>();
                Matcher m = Pattern.compile("<tr class=\"backup\"><td class=\"id\">([^<]+)</td>").matcher(dom);
                while (m.find()) {
                    rows.add(m.group(1));
                }
                assertEquals(ids, rows, "the rendered rows are the backups, newest first");
                for (io.modbackup.core.engine.BackupSummary backup : engine.list(A, null, 10).backups()) {
                    Matcher cells = Pattern.compile("<td class=\"id\">" + Pattern.quote(backup.backupId())
                            + "</td><td>[^<]+</td><td class=\"num\">([^<]+)</td><td class=\"num\">([^<]+)</td>"
                            + "<td class=\"num\">([^<]+)</td>").matcher(dom);
                    assertTrue(cells.find(), backup.backupId() + " has its size, new content and bytes sent: " + dom);
                    assertEquals(List.of(ProgressLine.bytes(backup.bytes()), ProgressLine.bytes(backup.newBytes()),
                                    ProgressLine.bytes(backup.bytesSent())), List.of(cells.group(1), cells.group(2), cells.group(3)),
                            "the page shows the figures list shows, written as the CLI writes them");
                }
                assertTrue(dom.contains("<th>Size</th><th>New content</th><th>Sent</th>"), dom);
                assertTrue(dom.contains("Schedule: every 3600 s, next run"), dom);
                assertTrue(dom.contains("Last GC: "), dom);
                assertTrue(dom.contains("<title>Backups of " + A + "</title>"), dom);

                HttpResponse<String> json = HttpClient.newHttpClient().send(
                        HttpRequest.newBuilder(URI.create(base + "/backups.json")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, json.statusCode());
                JsonNode view = new ObjectMapper().readTree(json.body());
                assertEquals(ids.get(0), view.get("backups").get(0).get("backupId").asText());
                io.modbackup.core.engine.BackupSummary newest = engine.list(A, null, 1).backups().get(0);
                assertEquals(List.of(newest.bytes(), newest.newBytes(), newest.bytesSent()),
                        List.of(view.get("backups").get(0).get("bytes").asLong(), view.get("backups").get(0).get("newBytes").asLong(),
                                view.get("backups").get(0).get("bytesSent").asLong()), "the JSON has the same three figures");
                assertEquals(3600, view.get("schedule").get("periodSeconds").asLong());
                ModuleManifest newestBackup = engine.info(ids.get(0));
                assertEquals(List.of(newestBackup.backupId(), newestBackup.completedMillis()),
                        List.of(view.get("metrics").get("lastBackupId").asText(), view.get("metrics").get("lastSuccessMillis").asLong()),
                        "the last success the metrics saw is the scheduler's backup, the newest");

                String unknown = HeadlessChromium.render(dir, "http://127.0.0.1:" + server.getAddress().getPort()
                        + "/modules/com.nope.Missing/backups");
                assertTrue(unknown.contains("unknown module com.nope.Missing"), unknown);
            } finally {
                server.stop(0);
                scheduler.close();
            }
        }
    }
}
