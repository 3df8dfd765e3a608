package io.modbackup.core.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which backups a GC may delete: older than the maximum age, and never the newest minimum. */
class RetentionPolicyTest {
    private static final long NOW = 1_800_000_000_000L;

    @Test
    void aBackupExactlyTheMaxAgeOldIsKeptAndOneMillisecondOlderGoes() {
        RetentionPolicy policy = new RetentionPolicy(Optional.of(Duration.ofHours(2)), 1);
        long twoHours = Duration.ofHours(2).toMillis();
        assertFalse(policy.deletes(1, NOW - twoHours, NOW));
        assertTrue(policy.deletes(1, NOW - twoHours - 1, NOW));
    }

    @Test
    void theNewestMinimumIsKeptWhateverItsAge() {
        RetentionPolicy policy = new RetentionPolicy(Optional.of(Duration.ZERO), 2);
        assertFalse(policy.deletes(0, 0, NOW));
        assertFalse(policy.deletes(1, 0, NOW));
        assertTrue(policy.deletes(2, 0, NOW), "the third newest is past the minimum");
    }

    @Test
    void withoutAMaxAgeNothingGoes() {
        assertFalse(new RetentionPolicy(Optional.empty(), 0).deletes(5, 0, NOW));
        assertFalse(RetentionPolicy.KEEP_ALL.deletes(1_000, 0, NOW));
    }

    @Test
    void optionsAreReadWithTheirDefaultsAndBadValuesAreNamed() {
        assertEquals(new RetentionPolicy(Optional.empty(), 1), RetentionPolicy.fromDynamicOptions(Map.of()));
        assertEquals(new RetentionPolicy(Optional.of(Duration.ofMinutes(90)), 0), RetentionPolicy.fromDynamicOptions(
                Map.of(RetentionPolicy.MAX_AGE_HOURS, " 1.5 ", RetentionPolicy.MIN_BACKUPS_TO_KEEP, "0")));
        for (String bad : new String[] {"-1", "NaN", "Infinity", "ten"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> RetentionPolicy.fromDynamicOptions(Map.of(RetentionPolicy.MAX_AGE_HOURS, bad)));
            assertEquals("dynamic option backup.max.age.hours=" + bad + " must be a non-negative number", e.getMessage());
        }
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> new RetentionPolicy(Optional.empty(), -1));
        assertEquals("backup.min.backups.to.keep must not be negative, got -1", negative.getMessage());
    }
}
