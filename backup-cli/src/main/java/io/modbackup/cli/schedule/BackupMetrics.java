package io.modbackup.cli.schedule;

import io.modbackup.core.gc.GcReport;

/**
 * Where the engine's operational events go, for alerting: a host binds it to its own metrics system;
 * {@link MetricsRecorder} keeps them for the Cluster UI and JSON. Called from engine threads;
 * implementations are thread-safe and quick.
 */
public interface BackupMetrics {
    /** A backup of {@code module} committed. */
    void backupSucceeded(String module, String backupId, long completedMillis, long durationMillis, long bytesSent);

    /** A backup of {@code module} failed; nothing was committed. */
    void backupFailed(String module, long atMillis, String error);

    /** A scheduled backup of {@code module} was skipped because the previous one was still running. */
    void backupSkipped(String module, long atMillis);

    /** A GC ran. */
    void gcCompleted(long atMillis, GcReport report);

    /** A scheduled (sampled) verify of {@code module}'s newest backup ran; {@code report.ok()} says whether it passed. */
    default void verifyCompleted(String module, long atMillis, io.modbackup.core.engine.VerifyReport report) {
    }
}
