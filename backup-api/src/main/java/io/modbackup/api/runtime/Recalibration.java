package io.modbackup.api.runtime;

/**
 * Decides a topology's processed offset in a depot partition after the depot's module, or the
 * topology's own module, was restored. The runtime calls it before a topology reads from a depot
 * partition: restored state makes offsets beyond the restored end invalid, because entries appended
 * after the restore reuse those offsets.
 *
 * <p>Example (Rama's): topology {@code core} of module B processed module A's {@code *depot} up to
 * offset 205; A is restored to a backup whose depot ended at 107. New entries start at 107, so
 * {@code core} continues from 107.
 */
public final class Recalibration {
    private Recalibration() {
    }

    /**
     * The outcome for one depot partition.
     *
     * @param processedOffset the offset to continue from
     * @param epochSeen the restore epoch of the depot's module to remember with it
     * @param recalibrated whether the offset or the epoch changed (the caller persists them atomically)
     */
    public record Decision(long processedOffset, long epochSeen, boolean recalibrated) {
    }

    /**
     * @param processedOffset the offset the topology has processed up to (exclusive)
     * @param epochSeen the depot module's restore epoch the topology saw last (0 if never restored)
     * @param marker the depot module's current restore marker, or {@code null} when it was never restored
     * @param depot the depot's name in its module
     * @param partition the depot partition
     */
    public static Decision reconcile(long processedOffset, long epochSeen, RestoreMarker marker, String depot,
                                     int partition) {
        long currentEpoch = marker == null ? 0 : marker.epoch();
        if (currentEpoch == epochSeen) {
            return new Decision(processedOffset, epochSeen, false);
        }
        long restoredEnd = marker.depotEndOffsets().getOrDefault(depot, java.util.List.of()).size() > partition
                ? marker.depotEndOffsets().get(depot).get(partition)
                : 0L;
        return new Decision(Math.min(processedOffset, restoredEnd), currentEpoch, true);
    }
}
