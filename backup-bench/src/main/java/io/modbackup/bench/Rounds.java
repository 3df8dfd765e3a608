package io.modbackup.bench;

import io.modbackup.bench.Benchmark.Row;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Alternating timings of ours and a baseline; the row reports the median of the per-round ratios. */
final class Rounds {
    private final String name;
    private final List<Double> ours = new ArrayList<>();
    private final List<Double> baseline = new ArrayList<>();

    Rounds(String name) {
        this.name = name;
    }

    void ours(double seconds) {
        ours.add(seconds);
    }

    void baseline(double seconds) {
        baseline.add(seconds);
    }

    double oursMedian() {
        return median(ours);
    }

    double baselineMedian() {
        return median(baseline);
    }

    Row row(String measure, String baselineName, double target) {
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < ours.size(); i++) {
            ratios.add(ours.get(i) / baseline.get(i));
        }
        double ratio = median(ratios);
        String rounds = ours.size() > 1 ? " (median of " + ours.size() + ")" : "";
        return Rows.row(measure + rounds, median(ours), baselineName, median(baseline), ratio, target);
    }

    static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder(name + " rounds (ours / baseline s):");
        for (int i = 0; i < ours.size(); i++) {
            text.append(String.format(Locale.ROOT, " %.2f/%.2f", ours.get(i), baseline.get(i)));
        }
        return text.toString();
    }
}
