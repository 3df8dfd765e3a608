package io.modbackup.core.gc;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Which backups of a module to keep, from its dynamic options: delete backups older than
 * {@code backup.max.age.hours}, but always keep the newest {@code backup.min.backups.to.keep}.
 *
 * @param maxAge backups older than this may go; empty keeps every backup
 * @param minBackupsToKeep the newest this many are always kept
 */
public record RetentionPolicy(Optional<Duration> maxAge, int minBackupsToKeep) {
    public static final String MAX_AGE_HOURS = "backup.max.age.hours";
    public static final String MIN_BACKUPS_TO_KEEP = "backup.min.backups.to.keep";
    public static final String GC_PERIOD_SECONDS = "backup.gc.period.seconds";

    /** Keeps everything: for modules whose options are unknown. */
    public static final RetentionPolicy KEEP_ALL = new RetentionPolicy(Optional.empty(), Integer.MAX_VALUE);

    public RetentionPolicy {
        if (minBackupsToKeep < 0) {
            throw new IllegalArgumentException(MIN_BACKUPS_TO_KEEP + " must not be negative, got " + minBackupsToKeep);
        }
    }

    /**
     * The policy in {@code options}; {@code backup.min.backups.to.keep} defaults to 1.
     *
     * @throws IllegalArgumentException naming the option when a value is not a number or negative
     */
    public static RetentionPolicy fromDynamicOptions(Map<String, String> options) {
        Optional<Duration> maxAge = Optional.empty();
        String hours = options.get(MAX_AGE_HOURS);
        if (hours != null && !hours.isBlank()) {
            double h = number(MAX_AGE_HOURS, hours);
            maxAge = Optional.of(Duration.ofMillis(Math.round(h * 3_600_000)));
        }
        String keep = options.get(MIN_BACKUPS_TO_KEEP);
        int min = keep == null || keep.isBlank() ? 1 : (int) number(MIN_BACKUPS_TO_KEEP, keep);
        return new RetentionPolicy(maxAge, min);
    }

    private static double number(String option, String value) {
        try {
            double d = Double.parseDouble(value.strip());
            if (d >= 0 && !Double.isNaN(d) && !Double.isInfinite(d)) {
                return d;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new IllegalArgumentException("dynamic option " + option + "=" + value + " must be a non-negative number");
    }

    /** Whether the backup at position {@code newestFirstIndex}, created at {@code createdMillis}, goes. */
    public boolean deletes(int newestFirstIndex, long createdMillis, long nowMillis) {
        return newestFirstIndex >= minBackupsToKeep && maxAge.isPresent()
                && nowMillis - createdMillis > maxAge.get().toMillis();
    }
}
