package io.modbackup.cli.schedule;

import io.modbackup.core.gc.GcReport;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/** Keeps the latest metrics per module in memory, as the UI and the JSON endpoint show them. */
public final class MetricsRecorder implements BackupMetrics {
    private final Clock clock;
    private final Map<String, ModuleMetrics> modules = new ConcurrentHashMap<>();
    private volatile GcSummary lastGc;
    private final Map<String, VerifySummary> verifies = new ConcurrentHashMap<>();
    private volatile long gcFreedBytesTotal;

    public MetricsRecorder(Clock clock) {
        this.clock = clock;
    }

    /**
     * One module's metrics.
     *
     * @param lastSuccessMillis when the last backup committed, or -1
     * @param millisSinceLastSuccess how long ago, or -1 when never
     * @param lastBackupId the last committed backup
     * @param lastDurationMillis how long it took
     * @param bytesSentTotal bytes sent to the store by the backups this recorder saw since start (each backup's {@code Totals.bytesSent})
     * @param failures failed backups since start
     * @param lastError the last failure's message, or null
     * @param skipped scheduled backups skipped because the previous one still ran
     */
    public record ModuleMetrics(long lastSuccessMillis, long millisSinceLastSuccess, String lastBackupId,
                                long lastDurationMillis, long bytesSentTotal, long failures, String lastError,
                                long skipped) {
        static final ModuleMetrics NONE = new ModuleMetrics(-1, -1, null, -1, 0, 0, null, 0);
    }

    /**
     * The last scheduled verify of a module: when, which backup and part, what it read, and its problems.
     *
     * @param chunksReadTotal chunks re-hashed by this module's scheduled verifies since start
     * @param bytesReadTotal their content bytes
     */
    public record VerifySummary(long atMillis, String backupId, String sample, long chunks, long chunksRead, long bytesRead,
                                int problems, long chunksReadTotal, long bytesReadTotal) {
    }

    @Override
    public void verifyCompleted(String module, long atMillis, io.modbackup.core.engine.VerifyReport report) {
        verifies.merge(module, new VerifySummary(atMillis, report.backupId(), String.valueOf(report.sample()), report.chunks(),
                report.chunksRead(), report.bytesRead(), report.problems().size(), report.chunksRead(), report.bytesRead()),
                (old, now) -> new VerifySummary(now.atMillis(), now.backupId(), now.sample(), now.chunks(), now.chunksRead(),
                        now.bytesRead(), now.problems(), old.chunksReadTotal() + now.chunksRead(),
                        old.bytesReadTotal() + now.bytesRead()));
    }

    /** The last scheduled verify of {@code module}, if one ran. */
    public Optional<VerifySummary> lastVerify(String module) {
        return Optional.ofNullable(verifies.get(module));
    }

    /** The last GC: when, what it deleted and freed. */
    public record GcSummary(long atMillis, int deletedBackups, long deletedChunks, long freedBytes, long durationMillis) {
    }

    @Override
    public void backupSucceeded(String module, String backupId, long completedMillis, long durationMillis, long bytesSent) {
        modules.merge(module, new ModuleMetrics(completedMillis, -1, backupId, durationMillis, bytesSent, 0, null, 0),
                (old, now) -> new ModuleMetrics(completedMillis, -1, backupId, durationMillis,
                        old.bytesSentTotal() + bytesSent, old.failures(), old.lastError(), old.skipped()));
    }

    @Override
    public void backupFailed(String module, long atMillis, String error) {
        modules.merge(module, new ModuleMetrics(-1, -1, null, -1, 0, 1, error, 0),
                (old, now) -> new ModuleMetrics(old.lastSuccessMillis(), -1, old.lastBackupId(), old.lastDurationMillis(),
                        old.bytesSentTotal(), old.failures() + 1, error, old.skipped()));
    }

    @Override
    public void backupSkipped(String module, long atMillis) {
        modules.merge(module, new ModuleMetrics(-1, -1, null, -1, 0, 0, null, 1),
                (old, now) -> new ModuleMetrics(old.lastSuccessMillis(), -1, old.lastBackupId(), old.lastDurationMillis(),
                        old.bytesSentTotal(), old.failures(), old.lastError(), old.skipped() + 1));
    }

    @Override
    public synchronized void gcCompleted(long atMillis, GcReport report) {
        lastGc = new GcSummary(atMillis, report.deletedBackups().size(), report.deletedChunks(), report.freedBytes(),
                report.durationMillis());
        gcFreedBytesTotal += report.freedBytes();
    }

    /** A module's metrics now (with the time since its last success). */
    public ModuleMetrics module(String module) {
        ModuleMetrics m = modules.getOrDefault(module, ModuleMetrics.NONE);
        long since = m.lastSuccessMillis() < 0 ? -1 : clock.millis() - m.lastSuccessMillis();
        return new ModuleMetrics(m.lastSuccessMillis(), since, m.lastBackupId(), m.lastDurationMillis(),
                m.bytesSentTotal(), m.failures(), m.lastError(), m.skipped());
    }

    /** Every module's metrics now. */
    public Map<String, ModuleMetrics> modules() {
        Map<String, ModuleMetrics> all = new TreeMap<>();
        modules.keySet().forEach(m -> all.put(m, module(m)));
        return all;
    }

    /** The last GC, if one ran. */
    public Optional<GcSummary> lastGc() {
        return Optional.ofNullable(lastGc);
    }

    /** Bytes freed by all GCs since start. */
    public long gcFreedBytesTotal() {
        return gcFreedBytesTotal;
    }
}
