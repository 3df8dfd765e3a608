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
import io.modbackup.api.runtime.ClusterRuntime;
import io.modbackup.cli.operation.OperationRecord;
import io.modbackup.cli.operation.Operations;
import io.modbackup.cli.operation.ProgressLine;
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
 * GET {base}/{module}/backups            HTML: the last committed backup, the running operation and its
 *                                        progress, recent operations, the restore epoch, backups newest
 *                                        first, schedule, last GC
 * GET {base}/{module}/backups.json       the same as JSON, with the module's metrics for alerting
 * ...?pageToken=T                        the next page
 * GET {base} or {base}/                  the modules, each linked to its page
 * </pre>
 *
 * <p>What it says of backups comes from the store (a backup committed by any process counts); what it
 * says of operations from the host's {@link Operations}; the scheduler's metrics count only its runs
 * since the host started, and are labelled so.
 */
public final class BackupsPageHandler implements HttpHandler {
    private static final int PAGE_SIZE = 20;

    private final String base;
    private final BackupEngine engine;
    private final BackupScheduler scheduler;
    private final MetricsRecorder metrics;
    private final ClusterRuntime runtime;
    private final Operations operations;
    private final ObjectMapper json = JsonMapper.builder().build();
    /** How many ended operations the page lists. */
    private static final int RECENT_OPERATIONS = 10;

    /**
     * @param base the path this handler is mounted at, e.g. {@code /modules}
     */
    public BackupsPageHandler(String base, BackupEngine engine, BackupScheduler scheduler, MetricsRecorder metrics,
                              ClusterRuntime runtime, Operations operations) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.engine = engine;
        this.scheduler = scheduler;
        this.metrics = metrics;
        this.runtime = runtime;
        this.operations = operations;
    }

    /**
     * Everything the page shows, as the JSON endpoint returns it.
     *
     * @param lastCommitted the newest backup in the store, or null when it holds none of the module
     * @param restoreEpoch the module's restore epoch: 0 until its first restore was installed
     * @param running the module's running operations (and those on the whole store)
     * @param recent its newest ended operations, newest first
     * @param modules every module of the cluster, for the links between their pages
     * @param metrics the scheduler's runs since the host started (not the CLI's)
     */
    public record View(String module, BackupSummary lastCommitted, long restoreEpoch, List<OperationRecord> running,
                       List<OperationRecord> recent, List<String> modules, List<BackupSummary> backups,
                       String nextPageToken, BackupScheduler.ScheduleStatus schedule, MetricsRecorder.ModuleMetrics metrics,
                       MetricsRecorder.GcSummary lastGc, long gcFreedBytesTotal,
                       BackupEngine.RestoreInProgress restoreInProgress) {
    }

    /** The view of {@code module}'s backups page {@code pageToken}. */
    public View view(String module, String pageToken) {
        if (!runtime.moduleNames().contains(module)) {
            throw new IllegalArgumentException("unknown module " + module + "; the cluster's modules are "
                    + runtime.moduleNames());
        }
        BackupPage page = engine.list(module, pageToken, PAGE_SIZE);
        BackupSummary last = pageToken == null ? page.backups().stream().findFirst().orElse(null)
                : engine.list(module, null, 1).backups().stream().findFirst().orElse(null);
        List<OperationRecord> all = operations.recent(module, RECENT_OPERATIONS + operations.running().size());
        List<OperationRecord> running = all.stream().filter(r -> !r.state().ended()).toList();
        List<OperationRecord> recent = all.stream().filter(r -> r.state().ended()).limit(RECENT_OPERATIONS).toList();
        long epoch = runtime.restoreMarker(module).map(io.modbackup.api.runtime.RestoreMarker::epoch).orElse(0L);
        return new View(module, last, epoch, running, recent, List.copyOf(runtime.moduleNames()), page.backups(),
                page.nextPageToken(), scheduler.status(module), metrics.module(module), metrics.lastGc().orElse(null),
                metrics.gcFreedBytesTotal(), engine.restoreInProgress(module).orElse(null));
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            if (!"GET".equals(exchange.getRequestMethod())) {
                send(exchange, 405, "text/plain", "only GET");
                return;
            }
            if (path.equals("/") || path.equals(base) || path.equals(base + "/")) {
                send(exchange, 200, "text/html; charset=utf-8", index());
                return;
            }
            String rest = path.startsWith(base + "/") ? path.substring(base.length() + 1) : "";
            boolean asJson = rest.endsWith("/backups.json");
            if (!asJson && !rest.endsWith("/backups")) {
                send(exchange, 404, "text/html; charset=utf-8", "<!doctype html><title>Not found</title><p>Not found: "
                        + escape(path) + ". The backups pages are at <a href=\"" + base + "/\">" + base + "/</a>.</p>");
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
                                : "<!doctype html><title>Backups</title><p class=\"error\">" + escape(e.getMessage())
                                + "</p><p><a href=\"" + base + "/\">All modules</a></p>");
                return;
            }
            if (asJson) {
                send(exchange, 200, "application/json", json.writeValueAsString(view));
            } else {
                send(exchange, 200, "text/html; charset=utf-8", html(view));
            }
        }
    }

    private static final String STYLE = "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
            + "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}.num{text-align:right}"
            + ".warning{color:#a60}.failed,.interrupted{color:#b00}</style>";

    /** The modules, each linked to its backups page. */
    private String index() {
        StringBuilder b = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\"><title>Modules</title>")
                .append(STYLE).append("</head><body><h1>Modules</h1><ul id=\"modules\">");
        for (String module : runtime.moduleNames()) {
            b.append("<li><a href=\"").append(link(module)).append("\">").append(escape(module)).append("</a></li>");
        }
        if (runtime.moduleNames().isEmpty()) {
            b.append("<li>No module is deployed.</li>");
        }
        return b.append("</ul></body></html>").toString();
    }

    private String link(String module) {
        return base + "/" + escape(java.net.URLEncoder.encode(module, StandardCharsets.UTF_8)) + "/backups";
    }

    private String html(View v) {
        StringBuilder b = new StringBuilder(4096);
        long now = System.currentTimeMillis();
        b.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>Backups of ").append(escape(v.module()))
                .append("</title>").append(STYLE).append("</head><body>");
        b.append("<p id=\"nav\"><a href=\"").append(base).append("/\">All modules</a>");
        for (String other : v.modules()) {
            if (!other.equals(v.module())) {
                b.append(" · <a class=\"module-link\" href=\"").append(link(other)).append("\">").append(escape(other))
                        .append("</a>");
            }
        }
        b.append(" · <a id=\"json\" href=\"").append(link(v.module())).append(".json\">JSON</a></p>");
        b.append("<h1>Backups of <span id=\"module\">").append(escape(v.module())).append("</span></h1>");
        b.append("<p id=\"last-committed\">Last committed backup: ");
        if (v.lastCommitted() == null) {
            b.append("none in the store");
        } else {
            b.append(escape(v.lastCommitted().backupId())).append(" at ").append(time(v.lastCommitted().completedMillis()))
                    .append(" (").append(Math.max(0, now - v.lastCommitted().completedMillis()) / 1000).append(" s ago)");
        }
        b.append("</p>");
        b.append("<p id=\"restore-epoch\">Restore epoch: ").append(v.restoreEpoch())
                .append(v.restoreEpoch() == 0 ? " (never restored)" : "").append("</p>");
        b.append("<p id=\"running\">Running: ");
        if (v.running().isEmpty()) {
            b.append("nothing");
        } else {
            b.append(v.running().stream().map(r -> escape(r.describe() + ", by " + r.origin() + ": "
                    + ProgressLine.of(r, now))).collect(java.util.stream.Collectors.joining("; ")));
        }
        b.append("</p>");
        b.append("<h2>Recent operations</h2><table id=\"operations\"><thead><tr><th>Operation</th><th>Kind</th>"
                + "<th>Of</th><th>By</th><th>Started</th><th>Took</th><th>State</th><th>Outcome</th></tr></thead><tbody>");
        if (v.recent().isEmpty()) {
            b.append("<tr><td colspan=\"8\">None since the operation history began.</td></tr>");
        }
        for (OperationRecord r : v.recent()) {
            String state = r.state().name().toLowerCase(Locale.ROOT);
            b.append("<tr class=\"operation ").append(state).append("\"><td class=\"op-id\">").append(escape(r.id()))
                    .append("</td><td>").append(escape(r.kind())).append("</td><td>")
                    .append(escape(r.subject().isEmpty() ? r.module() : r.subject())).append("</td><td>")
                    .append(escape(r.origin())).append("</td><td>").append(time(r.startedMillis()))
                    .append("</td><td class=\"num\">").append(ProgressLine.duration(r.endedMillis() - r.startedMillis()))
                    .append("</td><td class=\"state\">").append(state).append("</td><td>").append(escape(r.outcome()))
                    .append("</td></tr>");
        }
        b.append("</tbody></table><h2>Schedule</h2>");
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
        b.append("<p id=\"scheduled-runs\">Scheduled backups since the Conductor started: ")
                .append(m.lastSuccessMillis() < 0 ? "no success" : "last success " + time(m.lastSuccessMillis())
                        + " (took " + m.lastDurationMillis() + " ms)")
                .append("; failures: ").append(m.failures()).append("; skipped runs: ").append(m.skipped()).append("</p>");
        b.append("<p id=\"last-gc\">Last GC: ");
        if (v.lastGc() == null) {
            b.append("none since the Conductor started");
        } else {
            b.append(time(v.lastGc().atMillis())).append(", deleted ").append(v.lastGc().deletedBackups())
                    .append(" backups and ").append(v.lastGc().deletedChunks()).append(" chunks, freed ")
                    .append(ProgressLine.bytes(v.lastGc().freedBytes()));
        }
        b.append("</p>");
        if (v.restoreInProgress() != null) {
            b.append("<p id=\"restore\" class=\"warning\">Restore in progress from ")
                    .append(escape(v.restoreInProgress().backupId())).append(" since ")
                    .append(time(v.restoreInProgress().startedMillis())).append("</p>");
        }
        b.append("<h2>Backups in the store</h2><table id=\"backups\"><thead><tr><th>Backup ID</th><th>Time</th><th>Size</th><th>New content</th>"
                + "<th>Sent</th><th>Duration</th><th>Status</th></tr></thead><tbody>");
        if (v.backups().isEmpty()) {
            b.append("<tr><td colspan=\"7\">No backups yet.</td></tr>");
        }
        for (BackupSummary backup : v.backups()) {
            b.append("<tr class=\"backup\"><td class=\"id\">").append(escape(backup.backupId())).append("</td><td>")
                    .append(time(backup.createdMillis())).append("</td><td class=\"num\">").append(ProgressLine.bytes(backup.bytes()))
                    .append("</td><td class=\"num\">").append(ProgressLine.bytes(backup.newBytes())).append("</td><td class=\"num\">")
                    .append(ProgressLine.bytesSent(backup.bytesSent())).append("</td><td class=\"num\">")
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

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
