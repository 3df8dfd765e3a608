package io.modbackup.api.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RecalibrationTest {
    private static RestoreMarker markerOfA(long epoch, long endOfPartition0) {
        return new RestoreMarker("A", epoch, "A-00000193E038B5F8-DE", 0, Map.of("*depot", List.of(endOfPartition0, 500L)));
    }

    @Test
    void ramasExampleASubscriberAt205WhoseDepotIsRestoredToEnd107ContinuesFrom107() {
        Recalibration.Decision decision = Recalibration.reconcile(205, 0, markerOfA(1, 107), "*depot", 0);
        assertTrue(decision.recalibrated());
        assertEquals(107, decision.processedOffset());
        assertEquals(1, decision.epochSeen());
    }

    @Test
    void aSubscriberBehindTheRestoredEndKeepsItsOffsetButRemembersTheEpoch() {
        Recalibration.Decision decision = Recalibration.reconcile(50, 0, markerOfA(1, 107), "*depot", 0);
        assertTrue(decision.recalibrated());
        assertEquals(50, decision.processedOffset());
        assertEquals(1, decision.epochSeen());
    }

    @Test
    void aRestoredSubscriberWhoseOffsetPredatesADepotRestoreIsClampedToTheRestoredEnd() {
        // The subscriber's own module was restored: its offset 205 comes from a backup taken before the
        // depot's module was restored (epoch 2) to end 107; entries since then reuse offsets 107 and up.
        Recalibration.Decision decision = Recalibration.reconcile(205, 1, markerOfA(2, 107), "*depot", 0);
        assertEquals(107, decision.processedOffset());
        assertEquals(2, decision.epochSeen());
    }

    @Test
    void nothingChangesWhenTheEpochIsTheOneSeen() {
        assertFalse(Recalibration.reconcile(300, 1, markerOfA(1, 107), "*depot", 0).recalibrated());
        assertFalse(Recalibration.reconcile(300, 0, null, "*depot", 0).recalibrated());
    }
}
