package io.modbackup.cli.operation;

import io.modbackup.core.engine.Progress;
import java.util.Locale;

/**
 * An operation's progress in one line, as the CLI, {@code status} and the page show it:
 * {@code "op-7 backup: 3/8 tasks, 120/310 files, 1.2 MiB of 4.0 MiB, 2.1 MiB/s, about 2 s left (5 s)"}, with
 * {@code " (limited to 8.0 MiB/s per Supervisor)"} after the bytes when a transfer limit holds.
 * The rate is the bytes done over the time since the operation began; the estimate assumes it holds.
 */
public final class ProgressLine {
    private ProgressLine() {
    }

    /** The line for {@code operation} at {@code nowMillis}. */
    public static String of(OperationRecord operation, long nowMillis) {
        long end = operation.state().ended() ? operation.endedMillis() : nowMillis;
        long elapsedMillis = Math.max(0, end - operation.startedMillis());
        StringBuilder line = new StringBuilder(operation.id()).append(' ').append(operation.kind());
        Progress p = operation.progress();
        if (p == null) {
            line.append(": starting");
        } else {
            line.append(": ").append(p.tasksDone()).append('/').append(p.tasksTotal()).append(" tasks, ")
                    .append(p.filesDone()).append('/').append(p.filesTotal()).append(" files, ")
                    .append(bytes(p.bytesDone())).append(" of ").append(bytes(p.bytesTotal()));
            if (p.bytesPerSecondLimit() > 0) {
                line.append(" (limited to ").append(bytes(p.bytesPerSecondLimit())).append("/s per Supervisor)");
            }
            if (elapsedMillis > 0 && p.bytesDone() > 0) {
                double perSecond = p.bytesDone() * 1000.0 / elapsedMillis;
                line.append(", ").append(bytes((long) perSecond)).append("/s");
                long left = p.bytesTotal() - p.bytesDone();
                if (left > 0 && !operation.state().ended()) {
                    line.append(", about ").append(duration((long) (left * 1000.0 / perSecond))).append(" left");
                }
            }
        }
        return line.append(" (").append(duration(elapsedMillis)).append(')').toString();
    }

    /** A backup's bytes sent as people read them; "not counted" for a backup made before they were (null). */
    public static String bytesSent(Long n) {
        return n == null ? "not counted" : bytes(n);
    }

    /** Bytes as people read them: "512 B", "1.5 KiB", "3.2 MiB", "1.07 GiB". */
    public static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        if (n < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
        }
        if (n < 1024L * 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f MiB", n / (1024.0 * 1024));
        }
        return String.format(Locale.ROOT, "%.2f GiB", n / (1024.0 * 1024 * 1024));
    }

    /** A duration as people read it: "340 ms", "42 s", "3 min 5 s", "2 h 10 min". */
    public static String duration(long millis) {
        if (millis < 1000) {
            return Math.max(0, millis) + " ms";
        }
        long s = millis / 1000;
        if (s < 60) {
            return s + " s";
        }
        if (s < 3600) {
            return s / 60 + " min " + s % 60 + " s";
        }
        return s / 3600 + " h " + s % 3600 / 60 + " min";
    }
}
