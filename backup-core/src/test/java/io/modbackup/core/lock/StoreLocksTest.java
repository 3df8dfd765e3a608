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

    @Test
    void aGcWaitsForALiveBackupLeaseAndGivesUpAfterItsWaitNamingTheHolder() {
        InMemoryProvider store = new InMemoryProvider();
        MutableClock clock = new MutableClock(1_000_000);
        try (StoreLocks backups = new StoreLocks(store, clock, Duration.ofMinutes(1), Duration.ofSeconds(5));
             StoreLocks gcs = new StoreLocks(store, clock, Duration.ofMinutes(1), Duration.ofMillis(400));
             StoreLocks.Lease backup = backups.shared("m-0000000000000001-00")) {
            long started = System.nanoTime();
            io.modbackup.core.error.BackupException e = org.junit.jupiter.api.Assertions.assertThrows(
                    io.modbackup.core.error.BackupException.class, () -> gcs.exclusive("gc-1"));
            assertEquals(io.modbackup.core.error.BackupException.Problem.LOCK_TIMEOUT, e.problem());
            assertTrue(e.getMessage().contains("m-0000000000000001-00"), e.getMessage());
            assertTrue(System.nanoTime() - started >= Duration.ofMillis(400).toNanos(), "it waited its maximum");
            assertEquals(List.of(StoreLayout.backupLeaseKey("m-0000000000000001-00")),
                    keys(store), "the GC withdrew its own lease; the backup's stays");
        }
    }

    @Test
    void backupsShareTheStoreButWaitForALiveGcLease() throws Exception {
        InMemoryProvider store = new InMemoryProvider();
        MutableClock clock = new MutableClock(1_000_000);
        try (StoreLocks one = new StoreLocks(store, clock, Duration.ofMinutes(1), Duration.ofSeconds(10));
             StoreLocks two = new StoreLocks(store, clock, Duration.ofMinutes(1), Duration.ofSeconds(10))) {
            try (StoreLocks.Lease a = one.shared("m-0000000000000001-00");
                 StoreLocks.Lease b = two.shared("m-0000000000000002-00")) {
                assertEquals(2, keys(store).size(), "two backups hold the store at once");
            }
            StoreLocks.Lease gc = one.exclusive("gc-1");
            java.util.concurrent.CountDownLatch acquired = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CompletableFuture<List<String>> waiting = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try (StoreLocks.Lease after = two.shared("m-0000000000000003-00")) {
                    acquired.countDown();
                    return keys(store);
                }
            });
            assertFalse(acquired.await(300, java.util.concurrent.TimeUnit.MILLISECONDS), "a backup waits while a GC holds the store");
            gc.close();
            assertEquals(List.of(StoreLayout.backupLeaseKey("m-0000000000000003-00")),
                    waiting.get(10, java.util.concurrent.TimeUnit.SECONDS), "then it proceeds, the GC's lease gone");
        }
    }

    @Test
    void removeExpiredDeletesOnlyLeasesWhoseHeartbeatIsOlderThanTheTtl() throws Exception {
        InMemoryProvider store = new InMemoryProvider();
        MutableClock old = new MutableClock(1_000_000);
        MutableClock now = new MutableClock(1_000_000 + TTL.toMillis() + 1);
        try (StoreLocks dead = new StoreLocks(store, old, Duration.ofHours(1), Duration.ofSeconds(5));
             StoreLocks gcs = new StoreLocks(store, now, TTL, Duration.ofSeconds(5))) {
            dead.shared("m-0000000000000001-00"); // its process "dies" holding it: never closed, heartbeat stands still
            try (StoreLocks.Lease gc = gcs.exclusive("gc-1")) {
                assertEquals(1, gcs.removeExpired(gc), "the lease a TTL and 1 ms old goes");
                assertEquals(List.of(StoreLayout.gcLeaseKey("gc-1")), keys(store), "the GC's own lease stays");
                assertEquals(0, gcs.removeExpired(gc));
            }
        }
    }

    @Test
    void aGcRecordedAtTheSameMillisecondAsALeaseDoesNotCountAsOvertakingIt() {
        InMemoryProvider store = new InMemoryProvider();
        try (StoreLocks locks = new StoreLocks(store, new MutableClock(5_000), TTL, Duration.ofSeconds(5))) {
            assertFalse(locks.gcRanSince(5_000), "no GC ever ran");
            locks.recordGcRun(5_000);
            assertFalse(locks.gcRanSince(5_000));
            assertTrue(locks.gcRanSince(4_999));
        }
    }

    private static List<String> keys(InMemoryProvider store) {
        try {
            return store.listKeysRecursive(StoreLayout.LOCKS, null).get().keys();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
