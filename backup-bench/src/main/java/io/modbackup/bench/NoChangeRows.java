package io.modbackup.bench;

import static io.modbackup.bench.Rows.fmt;
import static io.modbackup.bench.Rows.row;
import static io.modbackup.bench.Timing.time;

import io.modbackup.bench.Benchmark.Row;
import io.modbackup.core.engine.BackupEngine;
import io.modbackup.core.manifest.ModuleManifest;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The rows of backups with nothing changed since the last one: time against the full backup and the
 * baselines' own no-change backups, and bytes sent.
 */
final class NoChangeRows {
    /** The rows, and the last no-change backup (what the incremental row compares against). */
    record Measured(List<Row> rows, ModuleManifest last) {
    }

    private NoChangeRows() {
    }

    /** No-change backups timed in a row; the steady row is the median of the last {@link #STEADY}. */
    static final int BACKUPS = 40;
    static final int STEADY = 10;

    /**
     * {@link #BACKUPS} no-change backups of {@code module} in a row: the first few dozen after a full one
     * also pay for the JIT's compiling the reuse path (a Conductor pays that once per process start); the
     * median of the last {@link #STEADY} is the steady state a periodic schedule sees, the target's
     * measure. Fifteen, as this ran before, were still falling at their end (on 1,903 files, medians by
     * position: 1-5 70 ms, 11-15 58, 21-30 54, 31-40 48, after 300 backups 28). The median of the first
     * five is reported beside it. {@code restic} and {@code borg} are null when not installed.
     */
    static Measured measure(BackupEngine engine, String module, double fullSeconds, ModuleManifest full,
                            BaselineTools.ToolTimes restic, BaselineTools.ToolTimes borg, PrintStream log) throws Exception {
        ModuleManifest[] same = new ModuleManifest[1];
        double[] noChanges = new double[BACKUPS];
        for (int i = 0; i < noChanges.length; i++) {
            noChanges[i] = time(() -> same[0] = engine.backup(module), false);
        }
        log.printf("no-change backups, in order: %s s%n", Arrays.toString(noChanges));
        double steady = Rounds.median(Arrays.stream(noChanges, BACKUPS - STEADY, BACKUPS).boxed().toList());
        double warming = Rounds.median(Arrays.stream(noChanges, 0, 5).boxed().toList());
        List<Row> rows = new ArrayList<>();
        rows.add(row("no-change backup: time (steady: median of the last " + STEADY + " of " + BACKUPS + ")", steady,
                "full backup", fullSeconds, 0.02));
        rows.add(new Row("  the first 5 after a full one (median; JIT compiling)", fmt(warming) + " s",
                "full backup " + fmt(fullSeconds) + " s", warming / fullSeconds, "-", "(for reference)"));
        if (restic != null) {
            rows.add(new Row("no-change backup: time (steady)", fmt(steady) + " s",
                    "restic, no change " + fmt(restic.noChange()) + " s", steady / restic.noChange(), "-",
                    "(for reference)"));
        }
        if (borg != null) {
            rows.add(row("no-change backup: time (steady)", steady, "borg, no change", borg.noChange(), 1.0));
        }
        ModuleManifest last = same[0];
        rows.add(new Row("no-change backup: bytes sent", Benchmark.size(last.totals().bytesSent()),
                Benchmark.size(full.totals().bytesSent()) + " (full)",
                (double) last.totals().bytesSent() / full.totals().bytesSent(), "manifests only",
                last.totals().chunksUploaded() == 0 && last.totals().newBytes() == 0 ? "met (0 chunks)" : "MISSED"));
        return new Measured(rows, last);
    }
}
