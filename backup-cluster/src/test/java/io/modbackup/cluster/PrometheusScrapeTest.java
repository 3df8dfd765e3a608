package io.modbackup.cluster;

import static io.modbackup.sim.SampleModules.MODULE_A;
import static io.modbackup.sim.SampleModules.MODULE_B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.cluster.launch.ClusterProcesses;
import io.modbackup.cluster.launch.ClusterSpec;
import io.modbackup.cluster.node.ClusterAdmin;
import io.modbackup.cluster.node.ConductorProcess;
import io.modbackup.cluster.node.Endpoint;
import java.io.File;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Conductor's {@code /metrics}, scraped by a real Prometheus server (Debian's {@code prometheus}
 * package, which .ci/run installs) loaded with the alert rules of docs/prometheus/modbackup-alerts.yml:
 * the no-recent-backup alert fires for the module never backed up and not for the one {@code bin/backup}
 * just backed up.
 */
class PrometheusScrapeTest {
    private static final Path RULES = Path.of("..", "docs", "prometheus", "modbackup-alerts.yml");
    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();

    @TempDir
    Path dir;

    private static Optional<Path> prometheus() {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .map(d -> Path.of(d, "prometheus")).filter(Files::isExecutable).findFirst();
    }

    @Test
    void prometheusScrapesTheConductorAndTheNoRecentBackupAlertFiresForTheModuleNeverBackedUp() throws Exception {
        assumeTrue(prometheus().isPresent(), "Prometheus is not installed here (.ci/run installs it: apt-get install prometheus)");
        ClusterSpec spec = ClusterSpec.of(dir.resolve("cluster"), 2,
                ClusterFixture.LOCAL_PROVIDER + " " + dir.resolve("store"));
        try (ClusterFixture cluster = new ClusterFixture(spec, dir.resolve("scratch"))) {
            ClusterAdmin admin = cluster.admin;
            admin.deploy(MODULE_A, new Parallelism(2, 2, 1));
            admin.deploy(MODULE_B, new Parallelism(1, 2, 1));
            ClusterAdmin.CliResult backup = admin.runCli(List.of("--action", "backup", "--module", MODULE_A));
            assertEquals(0, backup.exitCode(), backup.err());
            admin.backup(MODULE_A); // a client's backup (the demo's) counts too: the newer one is reported
            long clientBackupEnded = System.currentTimeMillis();

            URI conductor = Endpoint.read(dir.resolve("cluster").resolve(ConductorProcess.NODE)).orElseThrow().uri();
            String metrics = http.send(HttpRequest.newBuilder(conductor.resolve("/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(metrics.contains("modbackup_backup_last_success_timestamp_seconds{module=\"" + MODULE_B + "\"} 0.0"),
                    metrics);
            assertTrue(metrics.contains("# TYPE modbackup_backup_failures_total counter"), metrics);

            int port;
            try (ServerSocket socket = new ServerSocket(0)) {
                port = socket.getLocalPort();
            }
            Path rules = Files.copy(RULES, dir.resolve("rules.yml"));
            Path config = Files.writeString(dir.resolve("prometheus.yml"), """
                    global:
                      scrape_interval: 1s
                      evaluation_interval: 1s
                    rule_files: ["%s"]
                    scrape_configs:
                      - job_name: modbackup
                        metrics_path: /metrics
                        static_configs:
                          - targets: ["%s"]
                    """.formatted(rules, conductor.getAuthority()));
            Process server = new ProcessBuilder(prometheus().get().toString(), "--config.file=" + config,
                    "--storage.tsdb.path=" + dir.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + port)
                    .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
            try {
                URI api = URI.create("http://127.0.0.1:" + port);
                JsonNode alerts = awaitAlerts(api, MODULE_B, server);
                List<String> firing = new java.util.ArrayList<>();
                for (JsonNode alert : alerts) {
                    if (alert.path("labels").path("alertname").asText().equals("ModbackupNoRecentBackup")
                            && alert.path("state").asText().equals("firing")) {
                        firing.add(alert.path("labels").path("module").asText());
                    }
                }
                assertTrue(firing.contains(MODULE_B), "fires for B, never backed up: " + alerts);
                assertFalse(firing.contains(MODULE_A), "not for A, backed up just now: " + alerts);
                JsonNode a = query(api, "modbackup_backup_last_success_timestamp_seconds{module=\"" + MODULE_A + "\"}");
                double seconds = a.path("data").path("result").get(0).path("value").get(1).asDouble();
                assertTrue(Math.abs(seconds * 1000 - clientBackupEnded) < 2000, "the client's backup, the last: " + a);
            } finally {
                server.destroy();
                server.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** Polls Prometheus's alerts until one names {@code module} firing (a condition, not a sleep, decides). */
    private JsonNode awaitAlerts(URI api, String module, Process server) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        JsonNode alerts = null;
        while (System.nanoTime() < until) {
            assertTrue(server.isAlive(), () -> "Prometheus exited: " + log());
            try {
                alerts = json.readTree(http.send(HttpRequest.newBuilder(api.resolve("/api/v1/alerts")).build(),
                        HttpResponse.BodyHandlers.ofString()).body()).path("data").path("alerts");
                for (JsonNode alert : alerts) {
                    if (alert.path("labels").path("module").asText().equals(module)
                            && alert.path("state").asText().equals("firing")) {
                        return alerts;
                    }
                }
            } catch (java.io.IOException notUpYet) {
                // Prometheus is still starting
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no firing alert for " + module + " within 60 s: " + alerts + "\n" + log());
    }

    private JsonNode query(URI api, String query) throws Exception {
        String q = java.net.URLEncoder.encode(query, java.nio.charset.StandardCharsets.UTF_8);
        return json.readTree(http.send(HttpRequest.newBuilder(api.resolve("/api/v1/query?query=" + q)).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("prometheus.log"));
        } catch (java.io.IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
