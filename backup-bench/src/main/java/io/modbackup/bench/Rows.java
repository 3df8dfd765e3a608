package io.modbackup.bench;

import io.modbackup.bench.Benchmark.Row;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/** A benchmark's rows: a ratio against its baseline and the verdict against its target, and their table. */
final class Rows {
    private Rows() {
    }

    static Row row(String measure, double ours, String baseline, double base, double target) {
        return row(measure, ours, baseline, base, ours / base, target);
    }

    static Row row(String measure, double ours, String baseline, double base, double ratio, double target) {
        if (Double.isNaN(target)) {
            // A cost to know, with no bar to meet.
            return new Row(measure, fmt(ours) + " s", baseline + " " + fmt(base) + " s", ratio, "-", "(measured)");
        }
        return new Row(measure, fmt(ours) + " s", baseline + " " + fmt(base) + " s", ratio,
                "<= " + String.format(Locale.ROOT, "%.2f", target), ratio <= target ? "met" : "MISSED");
    }

    /** Prints the rows as a table. */
    public static void printTable(List<Row> rows, PrintStream out) {
        out.println();
        out.printf("| %-52s | %-14s | %-34s | %-7s | %-22s | %-15s |%n", "measure", "ours", "baseline", "ratio", "target", "verdict");
        out.println("|" + "-".repeat(54) + "|" + "-".repeat(16) + "|" + "-".repeat(36) + "|" + "-".repeat(9) + "|"
                + "-".repeat(24) + "|" + "-".repeat(17) + "|");
        for (Row r : rows) {
            out.printf("| %-52s | %-14s | %-34s | %-7s | %-22s | %-15s |%n", r.measure(), r.ours(), r.baseline(),
                    Double.isNaN(r.ratio()) ? "-" : String.format(Locale.ROOT, "%.3f", r.ratio()), r.target(), r.verdict());
        }
    }

    static String fmt(double seconds) {
        return String.format(Locale.ROOT, "%.2f", seconds);
    }
}
