package io.modbackup.cli.ui;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.modbackup.api.runtime.ClusterRuntime;
import io.modbackup.cli.operation.OperationRecord;
import io.modbackup.cli.operation.Operations;
import io.modbackup.cli.schedule.MetricsRecorder;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code GET /metrics}: the Conductor's backup metrics in Prometheus's text format, for a Prometheus server
 * to scrape, built afresh from the metrics recorder and the operations history at each scrape. Per module:
 * when the last backup succeeded (a scheduled one, or one {@code bin/backup} or a client ran), how long it took, bytes
 * sent, failed and skipped scheduled backups, the last sampled verify; the last GC; the operations running.
 * Read-only, like the backups page, and served beside it (the same host checks apply).
 */
public final class MetricsEndpoint implements HttpHandler {
    /** Operations of a module looked through for its last backup (the history keeps about this many). */
    private static final int HISTORY = 500;

    private final MetricsRecorder metrics;
    private final Operations operations;
    private final ClusterRuntime runtime;

    public MetricsEndpoint(MetricsRecorder metrics, Operations operations, ClusterRuntime runtime) {
        this.metrics = metrics;
        this.operations = operations;
        this.runtime = runtime;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!exchange.getRequestMethod().equals("GET")) {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            PrometheusTextFormatWriter.create().write(body, collect(), EscapingScheme.DEFAULT);
            exchange.getResponseHeaders().set("Content-Type", PrometheusTextFormatWriter.CONTENT_TYPE);
            exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
            exchange.sendResponseHeaders(200, body.size());
            try (OutputStream out = exchange.getResponseBody()) {
                body.writeTo(out);
            }
        }
    }

    /** The metrics now. */
    public MetricSnapshots collect() {
        Gauge lastSuccess = new Gauge("modbackup_backup_last_success_timestamp_seconds",
                "When the module's last backup committed (0: never since the Conductor started)");
        Gauge lastDuration = new Gauge("modbackup_backup_last_duration_seconds", "How long the module's last backup took");
        Counter sent = new Counter("modbackup_backup_sent_bytes", "Bytes scheduled backups sent to the store");
        Counter failures = new Counter("modbackup_backup_failures", "Backups of the module that failed");
        Counter skipped = new Counter("modbackup_backup_skipped", "Scheduled backups skipped: the previous one still ran");
        Gauge verified = new Gauge("modbackup_verify_last_timestamp_seconds", "When the last scheduled verify ran (0: never)");
        Gauge verifyProblems = new Gauge("modbackup_verify_last_problems", "Problems the last scheduled verify found");
        Gauge running = new Gauge("modbackup_operations_running", "Operations running now, by module and kind");
        for (String module : runtime.moduleNames()) {
            Labels labels = Labels.of("module", module);
            MetricsRecorder.ModuleMetrics m = metrics.module(module);
            long success = m.lastSuccessMillis();
            long duration = m.lastDurationMillis();
            long failed = m.failures();
            for (OperationRecord op : operations.recent(module, HISTORY)) {
                if (!op.kind().equals("backup") || !op.module().equals(module) || "scheduler".equals(op.origin())) {
                    continue; // the scheduler's runs are in the recorder already; the CLI's and clients' are not
                }
                if (op.state() == OperationRecord.State.SUCCEEDED && op.endedMillis() > success) {
                    success = op.endedMillis();
                    duration = op.endedMillis() - op.startedMillis();
                } else if (op.state() == OperationRecord.State.FAILED) {
                    failed++;
                }
            }
            lastSuccess.add(labels, Math.max(0, success) / 1000.0);
            lastDuration.add(labels, Math.max(0, duration) / 1000.0);
            sent.add(labels, m.bytesSentTotal());
            failures.add(labels, failed);
            skipped.add(labels, m.skipped());
            metrics.lastVerify(module).ifPresent(v -> {
                verified.add(labels, v.atMillis() / 1000.0);
                verifyProblems.add(labels, v.problems());
            });
        }
        Map<List<String>, Integer> runningByKind = new TreeMap<>(java.util.Comparator.comparing(Object::toString));
        for (OperationRecord op : operations.running()) {
            runningByKind.merge(List.of(op.module(), op.kind()), 1, Integer::sum);
        }
        runningByKind.forEach((key, n) -> running.add(Labels.of("module", key.get(0), "kind", key.get(1)), n));
        List<MetricSnapshot> all = new ArrayList<>(List.of(lastSuccess.build(), lastDuration.build(), sent.build(),
                failures.build(), skipped.build(), verified.build(), verifyProblems.build(), running.build()));
        Gauge gcLast = new Gauge("modbackup_gc_last_run_timestamp_seconds", "When the last scheduled GC ended (0: never)");
        Gauge gcDeleted = new Gauge("modbackup_gc_last_deleted_backups", "Backups the last scheduled GC deleted");
        Counter gcFreed = new Counter("modbackup_gc_freed_bytes", "Bytes scheduled GCs freed");
        metrics.lastGc().ifPresent(gc -> {
            gcLast.add(Labels.EMPTY, gc.atMillis() / 1000.0);
            gcDeleted.add(Labels.EMPTY, gc.deletedBackups());
        });
        gcFreed.add(Labels.EMPTY, metrics.gcFreedBytesTotal());
        all.addAll(List.of(gcLast.build(), gcDeleted.build(), gcFreed.build()));
        return new MetricSnapshots(all);
    }

    private static final class Gauge {
        private final GaugeSnapshot.Builder builder;

        Gauge(String name, String help) {
            builder = GaugeSnapshot.builder().name(name).help(help);
        }

        void add(Labels labels, double value) {
            builder.dataPoint(GaugeDataPointSnapshot.builder().labels(labels).value(value).build());
        }

        GaugeSnapshot build() {
            return builder.build();
        }
    }

    private static final class Counter {
        private final CounterSnapshot.Builder builder;

        Counter(String name, String help) {
            builder = CounterSnapshot.builder().name(name).help(help);
        }

        void add(Labels labels, double value) {
            builder.dataPoint(CounterDataPointSnapshot.builder().labels(labels).value(value).build());
        }

        CounterSnapshot build() {
            return builder.build();
        }
    }
}
