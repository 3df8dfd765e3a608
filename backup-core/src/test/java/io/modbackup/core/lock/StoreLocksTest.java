package io.modbackup.core.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.core.error.BackupException;
import io.modbackup.core.error.BackupException.Problem;
import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.store.StoreLayout;
import io.modbackup.testkit.provider.InMemoryProvider;
import io.modbackup.testkit.time.MutableClock;
import java.io.ByteArrayInputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
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
            BackupException e = assertThrows(
                    BackupException.class, () -> gcs.exclusive("gc-1"));
            assertEquals(Problem.LOCK_TIMEOUT, e.problem());
            assertEquals("waited PT0.4S for [backup-m-0000000000000001-00] in the backup store to finish", e.getMessage());
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
            CountDownLatch acquired = new CountDownLatch(1);
            CompletableFuture<List<String>> waiting = CompletableFuture.supplyAsync(() -> {
                try (StoreLocks.Lease after = two.shared("m-0000000000000003-00")) {
                    acquired.countDown();
                    return keys(store);
                }
            });
            assertFalse(acquired.await(300, TimeUnit.MILLISECONDS), "a backup waits while a GC holds the store");
            gc.close();
            assertEquals(List.of(StoreLayout.backupLeaseKey("m-0000000000000003-00")),
                    waiting.get(10, TimeUnit.SECONDS), "then it proceeds, the GC's lease gone");
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

    @Test
    void heldLeasesStayLiveInRealTimeAndTheirHeartbeatThreadNeverKeepsAProcessAlive() throws Exception {
        InMemoryProvider store = new InMemoryProvider();
        Duration ttl = Duration.ofMillis(1500);
        try (StoreLocks locks = new StoreLocks(store, Clock.systemUTC(), ttl, Duration.ofSeconds(5));
             StoreLocks.Lease lease = locks.shared("m-0000000000000001-00")) {
            String key = StoreLayout.backupLeaseKey("m-0000000000000001-00");
            // On the real clock the heartbeat keeps rewriting the lease with later times (its cadence, a third
            // of the TTL, is checked on a test clock above): wait for three rewrites, with a bound.
            List<Long> beats = new java.util.ArrayList<>(List.of(Long.parseLong(read(store, key).split(" ")[1])));
            long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (beats.size() < 4) {
                assertTrue(System.nanoTime() < until, "the heartbeat did not rewrite the lease: " + beats);
                long beat = Long.parseLong(read(store, key).split(" ")[1]);
                if (beat != beats.get(beats.size() - 1)) {
                    assertTrue(beat > beats.get(beats.size() - 1), "a heartbeat moves the lease forward: " + beats + " then " + beat);
                    beats.add(beat);
                }
                Thread.sleep(20);
            }
            List<Thread> beaters = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("modbackup-lease-heartbeat")).toList();
            assertFalse(beaters.isEmpty());
            assertTrue(beaters.stream().allMatch(Thread::isDaemon), "a CLI holding a lease must still exit");
        }
    }

    @Test
    void aLeaseExactlyATtlOldIsLiveAndOneMillisecondOlderIsExpired() throws Exception {
        InMemoryProvider store = new InMemoryProvider();
        MutableClock old = new MutableClock(1_000_000);
        MutableClock now = new MutableClock(1_000_000 + TTL.toMillis());
        try (StoreLocks dead = new StoreLocks(store, old, Duration.ofHours(1), Duration.ofSeconds(5));
             StoreLocks backups = new StoreLocks(store, now, TTL, Duration.ofMillis(200));
             StoreLocks gcs = new StoreLocks(store, now, TTL, Duration.ofMillis(200))) {
            dead.exclusive("dead"); // its process "dies" holding it
            BackupException e = assertThrows(
                    BackupException.class, () -> backups.shared("m-0000000000000001-00"));
            assertTrue(e.getMessage().contains("[gc-dead]"), e.getMessage());
            try (StoreLocks.Lease gc = gcs.exclusive("gc-1")) {
                fail("a GC lease exactly a TTL old still holds the store");
            } catch (BackupException expected) {
                assertTrue(expected.getMessage().contains("gc-dead"), expected.getMessage());
            }
            now.advance(Duration.ofMillis(1));
            try (StoreLocks.Lease backup = backups.shared("m-0000000000000001-00")) {
                assertEquals(1_000_000 + TTL.toMillis() + 1, backup.startedMillis());
            }
            try (StoreLocks.Lease gc = gcs.exclusive("gc-1")) {
                assertEquals(1, gcs.removeExpired(gc));
            }
        }
    }

    @Test
    void removeExpiredKeepsALeaseExactlyATtlOld() throws Exception {
        InMemoryProvider store = new InMemoryProvider();
        MutableClock old = new MutableClock(1_000_000);
        MutableClock now = new MutableClock(1_000_000 + TTL.toMillis());
        try (StoreLocks dead = new StoreLocks(store, old, Duration.ofHours(1), Duration.ofSeconds(5));
             StoreLocks gcs = new StoreLocks(store, now, TTL, Duration.ofMillis(300))) {
            dead.shared("m-0000000000000001-00");
            now.advance(Duration.ofMillis(1)); // expired for the GC to take the store...
            try (StoreLocks.Lease gc = gcs.exclusive("gc-1")) {
                now.advance(Duration.ofMillis(-1)); // ...but exactly a TTL old when removal looks
                assertEquals(0, gcs.removeExpired(gc));
                assertEquals(2, keys(store).size());
            }
        }
    }

    @Test
    void aBlockedHolderPausesBetweenAttemptsRatherThanHammeringTheStore() throws Exception {
        InMemoryProvider memory = new InMemoryProvider();
        AtomicInteger writes = new AtomicInteger();
        BackupProvider counting = intercepting(memory, (method, args) -> {
            if (method.equals("putObject") && args[0].equals(StoreLayout.gcLeaseKey("gc-1"))) {
                writes.incrementAndGet();
            }
        });
        MutableClock clock = new MutableClock(1_000_000);
        try (StoreLocks backups = new StoreLocks(memory, clock, Duration.ofMinutes(1), Duration.ofSeconds(5));
             StoreLocks gcs = new StoreLocks(counting, clock, Duration.ofMinutes(1), Duration.ofMillis(1000));
             StoreLocks.Lease backup = backups.shared("m-0000000000000001-00")) {
            assertThrows(BackupException.class,
                    () -> gcs.exclusive("gc-1"));
        }
        // Pauses of 50 to 250 ms over a one-second wait: at most 21 attempts, far fewer on average.
        assertTrue(writes.get() >= 2 && writes.get() <= 21, "attempts: " + writes.get());
    }

    @Test
    void aHolderBlockedInThisProcessGivesUpAfterItsWaitWithoutTouchingTheStore() {
        InMemoryProvider store = new InMemoryProvider();
        try (StoreLocks locks = new StoreLocks(store, new MutableClock(1_000_000), TTL, Duration.ofMillis(200));
             StoreLocks.Lease backup = locks.shared("m-0000000000000001-00")) {
            BackupException e = assertThrows(
                    BackupException.class, () -> locks.exclusive("gc-1"));
            assertEquals(Problem.LOCK_TIMEOUT, e.problem());
            assertEquals("waited PT0.2S for backups in this process to finish", e.getMessage());
            assertEquals(List.of(StoreLayout.backupLeaseKey("m-0000000000000001-00")), keys(store));
        }
    }

    @Test
    void anInterruptedWaitGivesUpKeepsTheInterruptAndReleasesTheLocalLock() throws Exception {
        InMemoryProvider store = new InMemoryProvider();
        MutableClock clock = new MutableClock(1_000_000);
        try (StoreLocks locks = new StoreLocks(store, clock, Duration.ofMinutes(1), Duration.ofSeconds(30));
             StoreLocks other = new StoreLocks(store, clock, Duration.ofMinutes(1), Duration.ofSeconds(30))) {
            StoreLocks.Lease gc = other.exclusive("gc-other");
            CompletableFuture<Object[]> outcome = new CompletableFuture<>();
            Thread waiter = new Thread(() -> {
                try {
                    locks.shared("m-0000000000000001-00").close();
                    outcome.complete(new Object[] {null, Thread.currentThread().isInterrupted()});
                } catch (RuntimeException e) {
                    outcome.complete(new Object[] {e, Thread.currentThread().isInterrupted()});
                }
            });
            waiter.start();
            long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (waiter.getState() != Thread.State.TIMED_WAITING && waiter.getState() != Thread.State.WAITING) {
                assertTrue(System.nanoTime() < until, "the waiter never waited for the lock");
                Thread.sleep(5);
            }
            waiter.interrupt();
            Object[] result = outcome.get(10, TimeUnit.SECONDS);
            BackupException e = (BackupException) result[0];
            assertEquals(Problem.LOCK_TIMEOUT, e.problem());
            assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
            assertEquals(true, result[1], "the interrupt is kept for the caller");
            gc.close();
            try (StoreLocks.Lease mine = locks.exclusive("gc-mine")) {
                assertEquals(List.of(StoreLayout.gcLeaseKey("gc-mine")), keys(store), "the waiter left nothing behind");
            }
        }
    }

    /**
     * The waiter interrupted while its lease's write is still in flight (a loaded machine made this race
     * in a suite run: the lease landed after the waiter gave up, and the next GC waited for it until it
     * timed out): once the write lands, the lease is withdrawn.
     */
    @Test
    void aWaiterInterruptedWhileItsLeaseIsBeingWrittenLeavesNoLease() throws Exception {
        InMemoryProvider store = new InMemoryProvider();
        CompletableFuture<Void> held = new CompletableFuture<>();
        CountDownLatch writing = new CountDownLatch(1);
        BackupProvider slowLeaseWrites = new io.modbackup.api.provider.ForwardingBackupProvider(store) {
            @Override
            public CompletableFuture<Void> putObject(String key, java.io.InputStream in, long length) {
                if (!key.contains("m-0000000000000001-00")) {
                    return super.putObject(key, in, length);
                }
                CompletableFuture<Void> put = super.putObject(key, in, length);
                writing.countDown();
                // The put has taken effect in the store; its completion reaches the waiter only once released.
                return put.thenCombine(held, (a, b) -> null);
            }
        };
        MutableClock clock = new MutableClock(1_000_000);
        try (StoreLocks locks = new StoreLocks(slowLeaseWrites, clock, Duration.ofMinutes(1), Duration.ofSeconds(5));
             StoreLocks gcSide = new StoreLocks(store, clock, Duration.ofMinutes(1), Duration.ofSeconds(5))) {
            CompletableFuture<BackupException> outcome = new CompletableFuture<>();
            Thread waiter = new Thread(() -> {
                try {
                    locks.shared("m-0000000000000001-00").close();
                    outcome.complete(null);
                } catch (BackupException e) {
                    outcome.complete(e);
                }
            });
            waiter.start();
            assertTrue(writing.await(10, TimeUnit.SECONDS), "the lease's write never started");
            waiter.interrupt();
            // The write lands only once the waiter has given up (it waits for the write to withdraw it, or it
            // has ended): the waiter must withdraw what it wrote.
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (waiter.getState() != Thread.State.TIMED_WAITING && !outcome.isDone()) {
                assertTrue(System.nanoTime() < until, "the interrupted waiter neither gave up nor waited for its write");
                Thread.sleep(5);
            }
            held.complete(null);
            BackupException e = outcome.get(10, TimeUnit.SECONDS);
            assertEquals(Problem.LOCK_TIMEOUT, e.problem());
            assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
            waiter.join(10_000);
            assertEquals(List.of(), keys(store), "the interrupted waiter's lease is gone");
            try (StoreLocks.Lease gc = gcSide.exclusive("gc-after")) {
                assertEquals(List.of(StoreLayout.gcLeaseKey("gc-after")), keys(store));
            }
        }
    }

    @Test
    void aStoreFailureWhileTakingALeaseFailsWithLockTimeoutAndReleasesTheLocalLock() {
        InMemoryProvider memory = new InMemoryProvider();
        AtomicBoolean down = new AtomicBoolean(true);
        BackupProvider flaky = intercepting(memory, (method, args) -> {
            if (method.equals("putObject") && down.get()) {
                throw new IllegalStateException("the store is down");
            }
        });
        try (StoreLocks locks = new StoreLocks(flaky, new MutableClock(1_000_000), TTL, Duration.ofSeconds(5))) {
            BackupException e = assertThrows(
                    BackupException.class, () -> locks.shared("m-0000000000000001-00"));
            assertEquals(Problem.LOCK_TIMEOUT, e.problem());
            assertEquals("cannot take the backup store lock: the store is down", e.getMessage());
            down.set(false);
            try (StoreLocks.Lease gc = locks.exclusive("gc-1")) {
                assertEquals(List.of(StoreLayout.gcLeaseKey("gc-1")), keys(memory), "the failed attempt held nothing");
            }
        }
    }

    @Test
    void anUnreadableLeaseBlocksNobody() throws Exception {
        InMemoryProvider store = new InMemoryProvider();
        byte[] garbage = "not a lease".getBytes(StandardCharsets.UTF_8);
        store.putObject(StoreLayout.gcLeaseKey("gc-garbled"), new ByteArrayInputStream(garbage), garbage.length).get();
        // A clock near the epoch: an unreadable heartbeat must not read as time 0, which would be live here.
        try (StoreLocks locks = new StoreLocks(store, new MutableClock(100), TTL, Duration.ofMillis(300));
             StoreLocks.Lease backup = locks.shared("m-0000000000000001-00")) {
            assertEquals(2, keys(store).size());
        }
    }

    @Test
    void aLeaseListedButGoneWhenReadBlocksNobody() {
        InMemoryProvider memory = new InMemoryProvider();
        String phantom = StoreLayout.gcLeaseKey("vanished");
        BackupProvider listing = new io.modbackup.api.provider.ForwardingBackupProvider(memory) {
            @Override
            public CompletableFuture<io.modbackup.api.provider.BackupProvider.KeysPage> listKeysRecursive(String prefix,
                                                                                                   String token) {
                return super.listKeysRecursive(prefix, token).thenApply(page -> {
                    List<String> keys = new java.util.ArrayList<>(page.keys());
                    keys.add(phantom);
                    return new io.modbackup.api.provider.BackupProvider.KeysPage(keys, page.nextPageToken());
                });
            }
        };
        try (StoreLocks locks = new StoreLocks(listing, new MutableClock(100), TTL, Duration.ofMillis(300));
             StoreLocks.Lease backup = locks.shared("m-0000000000000001-00")) {
            assertEquals(List.of(StoreLayout.backupLeaseKey("m-0000000000000001-00")), keys(memory),
                    "a GC lease released between the listing and the read does not hold the store");
        }
    }

    @Test
    void aLeaseWrittenAtTheEpochItselfCountsLikeAnyOther() throws Exception {
        InMemoryProvider store = new InMemoryProvider();
        MutableClock zero = new MutableClock(0);
        MutableClock soon = new MutableClock(TTL.toMillis() / 2);
        try (StoreLocks dead = new StoreLocks(store, zero, Duration.ofHours(1), Duration.ofSeconds(5));
             StoreLocks backups = new StoreLocks(store, soon, TTL, Duration.ofMillis(200))) {
            dead.exclusive("at-zero");
            BackupException e = assertThrows(BackupException.class, () -> backups.shared("m-0000000000000001-00"));
            assertTrue(e.getMessage().contains("gc-at-zero"), e.getMessage());
        }
        MutableClock later = new MutableClock(TTL.toMillis() + 1);
        try (StoreLocks gcs = new StoreLocks(store, later, TTL, Duration.ofSeconds(5));
             StoreLocks.Lease gc = gcs.exclusive("gc-2")) {
            assertEquals(1, gcs.removeExpired(gc), "a lease whose heartbeat is 0 expires like any other");
        }
    }

    @Test
    void aDamagedGcRecordIsQuotedWholeUpToFortyCharacters() throws Exception {
        InMemoryProvider store = new InMemoryProvider();
        String forty = "x".repeat(40);
        byte[] garbage = forty.getBytes(StandardCharsets.UTF_8);
        store.putObject(StoreLayout.LAST_GC_KEY, new ByteArrayInputStream(garbage), garbage.length).get();
        try (StoreLocks locks = new StoreLocks(store, new MutableClock(5_000), TTL, Duration.ofSeconds(5))) {
            assertTrue(assertThrows(CorruptBackupException.class, () -> locks.gcRanSince(1)).getMessage()
                    .contains("holds '" + forty + "', not a time"));
            byte[] longer = (forty + "y").getBytes(StandardCharsets.UTF_8);
            store.putObject(StoreLayout.LAST_GC_KEY, new ByteArrayInputStream(longer), longer.length).get();
            assertTrue(assertThrows(CorruptBackupException.class, () -> locks.gcRanSince(1)).getMessage()
                    .contains("holds '" + forty + "...', not a time"));
        }
    }

    @Test
    void aDamagedGcRecordRefusesToSayNoGcRanUntilAGcRewritesIt() throws Exception {
        InMemoryProvider store = new InMemoryProvider();
        byte[] garbage = "12x".getBytes(StandardCharsets.UTF_8);
        store.putObject(StoreLayout.LAST_GC_KEY, new ByteArrayInputStream(garbage), garbage.length).get();
        try (StoreLocks locks = new StoreLocks(store, new MutableClock(5_000), TTL, Duration.ofSeconds(5))) {
            CorruptBackupException e = assertThrows(
                    CorruptBackupException.class, () -> locks.gcRanSince(5_000));
            assertEquals(StoreLayout.LAST_GC_KEY + " is damaged (it holds '12x', not a time): a backup cannot tell whether a"
                    + " garbage collection overtook it; the next garbage collection rewrites the record", e.getMessage());
            locks.recordGcRun(4_000);
            assertFalse(locks.gcRanSince(5_000));
        }
    }

    /** {@code delegate} with {@code before} told of every call (and able to fail it by throwing). */
    private static BackupProvider intercepting(BackupProvider delegate,
            BiConsumer<String, Object[]> before) {
        return (BackupProvider) Proxy.newProxyInstance(
                StoreLocksTest.class.getClassLoader(), new Class<?>[] {BackupProvider.class},
                (proxy, method, args) -> {
                    try {
                        before.accept(method.getName(), args);
                    } catch (RuntimeException e) {
                        return CompletableFuture.failedFuture(e);
                    }
                    try {
                        return method.invoke(delegate, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private static List<String> keys(InMemoryProvider store) {
        try {
            return store.listKeysRecursive(StoreLayout.LOCKS, null).get().keys();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
