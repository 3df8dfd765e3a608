package io.modbackup.cli.ui;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.modbackup.core.engine.BackupEngine;
import io.modbackup.core.error.BackupException;
import io.modbackup.core.engine.BackupPage;
import io.modbackup.core.engine.BackupSummary;
import io.modbackup.cli.schedule.BackupScheduler;
import io.modbackup.cli.schedule.MetricsRecorder;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The backups section of a module's page in the Cluster UI, for a host to mount on its HTTP server
 * (the JDK's {@code HttpServer} in the demo):
 *
 * <pre>
 * GET {base}/{module}/backups            HTML: backups newest first, schedule, last GC, restore in progress
 * GET {base}/{module}/backups.json       the same as JSON, with the module's metrics for alerting
 * ...?pageToken=T                        the next page
 * </pre>
 */
public final class BackupsPageHandler implements HttpHandler {
    private static final int PAGE_SIZE = 20;

    private final String base;
    private final BackupEngine engine;
    private final BackupScheduler scheduler;
    private final MetricsRecorder metrics;
    private final ObjectMapper json = JsonMapper.builder().build();

    /**
     * @param base the path this handler is mounted at, e.g. {@code /modules}
     */
    public BackupsPageHandler(String base, BackupEngine engine, BackupScheduler scheduler, MetricsRecorder metrics) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.engine = engine;
        this.scheduler = scheduler;
        this.metrics = metrics;
    }

    /** Everything the page shows, as the JSON endpoint returns it. */
    public record View(String module, List<BackupSummary> backups, String nextPageToken,
                       BackupScheduler.ScheduleStatus schedule, MetricsRecorder.ModuleMetrics metrics,
                       MetricsRecorder.GcSummary lastGc, long gcFreedBytesTotal,
                       BackupEngine.RestoreInProgress restoreInProgress) {
    }

    /** The view of {@code module}'s backups page {@code pageToken}. */
    public View view(String module, String pageToken) {
        BackupPage page = engine.list(module, pageToken, PAGE_SIZE);
        return new View(module, page.backups(), page.nextPageToken(), scheduler.status(module), metrics.module(module),
                metrics.lastGc().orElse(null), metrics.gcFreedBytesTotal(), engine.restoreInProgress(module).orElse(null));
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            if (!"GET".equals(exchange.getRequestMethod())) {
                send(exchange, 405, "text/plain", "only GET");
                return;
            }
            String rest = path.startsWith(base + "/") ? path.substring(base.length() + 1) : "";
            boolean asJson = rest.endsWith("/backups.json");
            if (!asJson && !rest.endsWith("/backups")) {
                send(exchange, 404, "text/plain", "not found: use " + base + "/<module>/backups or /backups.json");
                return;
            }
            String module = URLDecoder.decode(rest.substring(0, rest.lastIndexOf('/')), StandardCharsets.UTF_8);
            String token = query(exchange).get("pageToken");
            View view;
            try {
                view = view(module, token);
            } catch (BackupException | IllegalArgumentException e) {
                send(exchange, 400, asJson ? "application/json" : "text/html; charset=utf-8",
                        asJson ? json.writeValueAsString(Map.of("error", e.getMessage()))
                                : "<!doctype html><title>Backups</title><p class=\"error\">" + escape(e.getMessage()) + "</p>");
                return;
            }
            if (asJson) {
                send(exchange, 200, "application/json", json.writeValueAsString(view));
            } else {
                send(exchange, 200, "text/html; charset=utf-8", html(view));
            }
        }
    }

    private String html(View v) {
        StringBuilder b = new StringBuilder(4096);
        b.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>Backups of ").append(escape(v.module()))
                .append("</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
                        + "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}.num{text-align:right}</style>"
                        + "</head><body>");
        b.append("<h1>Backups of <span id=\"module\">").append(escape(v.module())).append("</span></h1>");
        BackupScheduler.ScheduleStatus s = v.schedule();
        b.append("<p id=\"schedule\">Schedule: ");
        if (s.periodSeconds() <= 0) {
            b.append("off (set the dynamic option backup.period.seconds)");
        } else {
            b.append("every ").append(s.periodSeconds()).append(" s, next run ").append(time(s.nextRunMillis()))
                    .append(s.running() ? " (a backup is running now)" : "");
        }
        b.append("</p>");
        MetricsRecorder.ModuleMetrics m = v.metrics();
        b.append("<p id=\"last-success\">Last successful backup: ")
                .append(m.lastSuccessMillis() < 0 ? "none since start" : time(m.lastSuccessMillis()) + " ("
                        + m.millisSinceLastSuccess() / 1000 + " s ago, took " + m.lastDurationMillis() + " ms)")
                .append("; failures: ").append(m.failures()).append("; skipped runs: ").append(m.skipped()).append("</p>");
        b.append("<p id=\"last-gc\">Last GC: ");
        if (v.lastGc() == null) {
            b.append("none since start");
        } else {
            b.append(time(v.lastGc().atMillis())).append(", deleted ").append(v.lastGc().deletedBackups())
                    .append(" backups and ").append(v.lastGc().deletedChunks()).append(" chunks, freed ")
                    .append(size(v.lastGc().freedBytes()));
        }
        b.append("</p>");
        if (v.restoreInProgress() != null) {
            b.append("<p id=\"restore\" class=\"warning\">Restore in progress from ")
                    .append(escape(v.restoreInProgress().backupId())).append(" since ")
                    .append(time(v.restoreInProgress().startedMillis())).append("</p>");
        }
        b.append("<table id=\"backups\"><thead><tr><th>Backup ID</th><th>Time</th><th>Size</th><th>New bytes</th>"
                + "<th>Duration</th><th>Status</th></tr></thead><tbody>");
        if (v.backups().isEmpty()) {
            b.append("<tr><td colspan=\"6\">No backups yet.</td></tr>");
        }
        for (BackupSummary backup : v.backups()) {
            b.append("<tr class=\"backup\"><td class=\"id\">").append(escape(backup.backupId())).append("</td><td>")
                    .append(time(backup.createdMillis())).append("</td><td class=\"num\">").append(size(backup.bytes()))
                    .append("</td><td class=\"num\">").append(size(backup.newBytes())).append("</td><td class=\"num\">")
                    .append(backup.durationMillis()).append(" ms</td><td>committed</td></tr>");
        }
        b.append("</tbody></table>");
        if (v.nextPageToken() != null) {
            b.append("<p><a id=\"next\" href=\"?pageToken=").append(escape(v.nextPageToken())).append("\">Older backups</a></p>");
        }
        return b.append("</body></html>").toString();
    }

    private static Map<String, String> query(HttpExchange exchange) {
        Map<String, String> params = new LinkedHashMap<>();
        String q = exchange.getRequestURI().getRawQuery();
        if (q != null) {
            for (String pair : q.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    params.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return params;
    }

    private static void send(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static String time(long millis) {
        return millis < 0 ? "-" : Instant.ofEpochMilli(millis).toString();
    }

    private static String size(long bytes) {
        return bytes < 1024 * 1024 ? String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0)
                : String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
