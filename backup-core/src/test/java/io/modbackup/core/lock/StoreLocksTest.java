package io.modbackup.core.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.core.store.StoreLayout;
import io.modbackup.testkit.provider.InMemoryProvider;
import io.modbackup.testkit.time.MutableClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Leases in the store: their heartbeat, and the GC record that tells a stalled backup it was overtaken. */
class StoreLocksTest {
    private static final Duration TTL = Duration.ofMillis(300);

    private static String read(InMemoryProvider store, String key) throws Exception {
        try (var in = store.getObject(key).get()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void aHeldLeaseBeatsEveryThirdOfItsTtlWithItsClocksTime() throws Exception {
        InMemoryProvider store = new InMemoryProvider();
        MutableClock clock = new MutableClock(1_000_000);
        try (StoreLocks locks = new StoreLocks(store, clock, TTL, Duration.ofSeconds(5));
             StoreLocks.Lease lease = locks.shared("m-0000000000000001-00")) {
            String key = StoreLayout.backupLeaseKey("m-0000000000000001-00");
            assertEquals("1000000 1000000", read(store, key), "written with its start and first heartbeat");
            clock.advance(Duration.ofMinutes(5));
            long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (!read(store, key).equals("1000000 1300000") && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            assertEquals("1000000 1300000", read(store, key), "a heartbeat rewrote it with the clock's new time");
            assertEquals(1_000_000, lease.startedMillis());
        }
        assertEquals(List.of(), store.listKeysRecursive(StoreLayout.LOCKS, null).get().keys(), "released on close");
    }

    @Test
    void aGcThatFindsAStalledLeaseGoesOnAndTheBackupLearnsItWasOvertaken() throws Exception {
        InMemoryProvider store = new InMemoryProvider();
        MutableClock backupClock = new MutableClock(1_000_000);
        // The GC's process sees a later time: the backup's heartbeats (dated by its own, stalled clock) are stale.
        MutableClock gcClock = new MutableClock(1_000_000 + TTL.toMillis() * 4);
        try (StoreLocks backups = new StoreLocks(store, backupClock, TTL, Duration.ofSeconds(5));
             StoreLocks gcs = new StoreLocks(store, gcClock, TTL, Duration.ofSeconds(5));
             StoreLocks.Lease backup = backups.shared("m-0000000000000001-00")) {
            assertFalse(backups.gcRanSince(backup.startedMillis()));
            try (StoreLocks.Lease gc = gcs.exclusive("gc-1")) {
                gcs.recordGcRun(gc.startedMillis());
            }
            assertTrue(backups.gcRanSince(backup.startedMillis()), "the backup must not commit");
        }
    }
}
