package io.modbackup.core.lock;

import io.modbackup.api.provider.BackupProvider.KeysPage;
import io.modbackup.api.provider.BackupProvider;
import io.modbackup.core.async.Futures;
import io.modbackup.core.error.BackupException.Problem;
import io.modbackup.core.error.BackupException;
import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.store.BoundedRead;
import io.modbackup.core.store.StoreLayout;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps garbage collection from deleting anything a backup in progress relies on, within a process
 * and across processes sharing a store. Backups hold a <em>shared</em> lease, GC an
 * <em>exclusive</em> one:
 *
 * <ul>
 *   <li>In the process, a read-write lock: backups read, GC writes.</li>
 *   <li>In the store, each holder writes its lease ({@link StoreLayout#backupLeaseKey}, {@link StoreLayout#gcLeaseKey};
 *       a plain put, not a create: a lease is rewritten by its heartbeat and deleted on release, so it is the one
 *       claim a store's {@link io.modbackup.api.provider.ObjectRetention lock} must not hold) and then lists
 *       {@code locks/}: a backup that sees a live GC lease, or a GC that sees any other live lease,
 *       withdraws its own and retries after a random pause. Since each writes before it reads, at
 *       least one of two racing holders sees the other.</li>
 *   <li>Leases carry a heartbeat refreshed every third of the time-to-live; a lease whose heartbeat
 *       is older than the TTL belongs to a crashed process and is ignored (its orphans are then
 *       collected: the TTL is the grace period).</li>
 * </ul>
 *
 * A backup whose heartbeat stalled past the TTL may have been overtaken by a GC; it checks
 * {@link #gcRanSince(long)} before committing.
 */
public final class StoreLocks implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StoreLocks.class);

    private final BackupProvider provider;
    private final Clock clock;
    private final Duration ttl;
    private final Duration maxWait;
    private final ReentrantReadWriteLock local = new ReentrantReadWriteLock(true);
    private final ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "modbackup-lease-heartbeat");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param ttl how long a lease lives without a heartbeat
     * @param maxWait how long to wait for the other side before giving up
     */
    public StoreLocks(BackupProvider provider, Clock clock, Duration ttl, Duration maxWait) {
        this.provider = provider;
        this.clock = clock;
        this.ttl = ttl;
        this.maxWait = maxWait;
    }

    /** A held lease; closing it releases it. */
    public final class Lease implements AutoCloseable {
        private final String key;
        private final Lock localLock;
        private final long startedMillis;
        private final ScheduledFuture<?> heartbeat;

        private Lease(String key, Lock localLock, long startedMillis) {
            this.key = key;
            this.localLock = localLock;
            this.startedMillis = startedMillis;
            long every = Math.max(1, ttl.toMillis() / 3);
            this.heartbeat = heartbeats.scheduleAtFixedRate(this::beat, every, every, TimeUnit.MILLISECONDS);
        }

        /** When the lease was taken (store clock of this process). */
        public long startedMillis() {
            return startedMillis;
        }

        private void beat() {
            try {
                write(key, startedMillis);
            } catch (RuntimeException e) {
                log.warn("cannot refresh lease {}: {}", key, e.getMessage());
            }
        }

        @Override
        public void close() {
            heartbeat.cancel(false);
            try {
                Futures.await(provider.deleteObject(key), "release lease " + key);
            } catch (RuntimeException e) {
                log.warn("cannot release lease {} (it expires by itself): {}", key, e.getMessage());
            } finally {
                localLock.unlock();
            }
        }
    }

    /** Takes a shared lease for backup {@code backupId}, waiting while a GC holds the store. */
    public Lease shared(String backupId) {
        return acquire(StoreLayout.backupLeaseKey(backupId), local.readLock(), true);
    }

    /** Takes the exclusive lease for GC run {@code runId}, waiting while backups or another GC hold the store. */
    public Lease exclusive(String runId) {
        return acquire(StoreLayout.gcLeaseKey(runId), local.writeLock(), false);
    }

    private Lease acquire(String key, Lock localLock, boolean shared) {
        // Waiting is measured in real time; the clock (which tests move) only dates the leases.
        long deadline = System.nanoTime() + maxWait.toNanos();
        boolean locked = false;
        CompletableFuture<Void> lastWrite = null;
        try {
            locked = localLock.tryLock(maxWait.toMillis(), TimeUnit.MILLISECONDS);
            if (!locked) {
                String holders = shared ? "a garbage collection" : "backups";
                throw timeout(holders, "waited " + maxWait + " for " + holders + " in this process to finish");
            }
            while (true) {
                // The lease counts from the attempt that wins, not from the first try.
                long started = clock.millis();
                lastWrite = startWrite(key, started);
                Futures.await(lastWrite, "write lease " + key);
                List<String> blockers = liveBlockers(key, shared);
                if (blockers.isEmpty()) {
                    return new Lease(key, localLock, started);
                }
                Futures.await(provider.deleteObject(key), "withdraw lease " + key);
                if (System.nanoTime() > deadline) {
                    throw timeout(blockers.toString(), "waited " + maxWait + " for " + blockers + " in the backup store to finish");
                }
                Thread.sleep(50 + ThreadLocalRandom.current().nextInt(200));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            withdraw(key, lastWrite);
            if (locked) {
                localLock.unlock();
            }
            throw timeout(key, "interrupted while waiting for the backup store lock");
        } catch (RuntimeException e) {
            withdraw(key, lastWrite);
            if (locked) {
                localLock.unlock();
            }
            if (e instanceof BackupException backup && backup.problem() == Problem.LOCK_TIMEOUT) {
                throw backup;
            }
            throw new BackupException(Problem.LOCK_TIMEOUT, key, "cannot take the backup store lock: " + e.getMessage(), e);
        }
    }

    private static BackupException timeout(String holders, String message) {
        return new BackupException(Problem.LOCK_TIMEOUT, holders, message);
    }

    /** Live leases that keep {@code own} from proceeding: GC leases for a backup, any lease for a GC. */
    private List<String> liveBlockers(String own, boolean shared) {
        List<String> blockers = new ArrayList<>();
        long now = clock.millis();
        for (String key : leaseKeys()) {
            if (key.equals(own) || shared && !StoreLayout.isGcLease(key)) {
                continue;
            }
            long heartbeat = readHeartbeat(key);
            if (heartbeat >= 0 && now - heartbeat <= ttl.toMillis()) {
                blockers.add(StoreLayout.leaseHolder(key));
            }
        }
        return blockers;
    }

    /** The keys of every lease in the store, live or not. */
    private List<String> leaseKeys() {
        List<String> keys = new ArrayList<>();
        String token = null;
        do {
            KeysPage page = Futures.await(provider.listKeysRecursive(StoreLayout.LOCKS, token), "list the leases");
            keys.addAll(page.keys());
            token = page.nextPageToken();
        } while (token != null);
        return keys;
    }

    /**
     * Deletes the leases whose heartbeat stopped more than a TTL ago: left by processes that died
     * holding them. Called by a GC under its exclusive lease; a live lease is never touched.
     *
     * @return how many expired leases were deleted
     */
    public int removeExpired(Lease own) {
        int removed = 0;
        long now = clock.millis();
        for (String key : leaseKeys()) {
            long heartbeat = key.equals(own.key) ? -1 : readHeartbeat(key);
            if (heartbeat >= 0 && now - heartbeat > ttl.toMillis()) {
                Futures.await(provider.deleteObject(key), "remove expired lease " + key);
                log.info("removed expired lease {} (no heartbeat for {} ms)", key, now - heartbeat);
                removed++;
            }
        }
        return removed;
    }

    /**
     * Records that a GC started at {@code startedMillis}; backups that began earlier must not commit.
     * Throws when the record cannot be written (an interruption included): a GC must not go on without it.
     */
    public void recordGcRun(long startedMillis) {
        byte[] bytes = Long.toString(startedMillis).getBytes(StandardCharsets.UTF_8);
        Futures.await(provider.putObject(StoreLayout.LAST_GC_KEY, new ByteArrayInputStream(bytes), bytes.length),
                "record the GC run in " + StoreLayout.LAST_GC_KEY);
    }

    /**
     * Whether a GC started after {@code millis}: then a lease taken at {@code millis} was overtaken.
     *
     * @throws CorruptBackupException when the GC record is damaged: whether a GC ran cannot be told, so
     *     no backup may commit on the strength of it (the next GC rewrites the record)
     */
    public boolean gcRanSince(long millis) {
        String text = readText(StoreLayout.LAST_GC_KEY);
        if (text == null) {
            return false;
        }
        try {
            return Long.parseLong(text.strip()) > millis;
        } catch (NumberFormatException e) {
            throw new CorruptBackupException(StoreLayout.LAST_GC_KEY + " is damaged (it holds '" + abbreviate(text)
                    + "', not a time): a backup cannot tell whether a garbage collection overtook it; the next"
                    + " garbage collection rewrites the record");
        }
    }

    private static String abbreviate(String text) {
        String line = text.strip().replaceAll("\\p{Cntrl}", "?");
        return line.length() <= 40 ? line : line.substring(0, 40) + "...";
    }

    private void write(String key, long started) {
        Futures.await(startWrite(key, started), "write lease " + key);
    }

    private CompletableFuture<Void> startWrite(String key, long started) {
        byte[] bytes = (started + " " + clock.millis()).getBytes(StandardCharsets.UTF_8);
        return provider.putObject(key, new ByteArrayInputStream(bytes), bytes.length);
    }

    /**
     * Removes the lease {@code key} of an attempt that failed or was interrupted, once its last write
     * {@code lastWrite} (null when none was sent) has landed: a caller that gave up, say interrupted while
     * the write was in flight, must leave no lease for others to wait out until its TTL. The interrupt is
     * set aside for these waits and kept.
     */
    private void withdraw(String key, CompletableFuture<Void> lastWrite) {
        if (lastWrite == null) {
            return;
        }
        boolean interrupted = Thread.interrupted();
        try {
            try {
                lastWrite.get(maxWait.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException failed) {
                // The write failed: the delete below covers a write that took effect anyway.
            }
            Futures.await(provider.deleteObject(key), "withdraw lease " + key);
        } catch (RuntimeException | InterruptedException | TimeoutException e) {
            log.warn("cannot withdraw lease {} (it expires by itself): {}", key, e.toString());
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The heartbeat of a lease, or -1 when it vanished or is unreadable. */
    private long readHeartbeat(String key) {
        String text = readText(key);
        if (text == null) {
            return -1;
        }
        String[] parts = text.strip().split(" ");
        try {
            return Long.parseLong(parts[parts.length - 1]);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private String readText(String key) {
        InputStream in = Futures.await(provider.getObject(key), "read " + key);
        if (in == null) {
            return null;
        }
        try {
            return new String(BoundedRead.readAll(in, BoundedRead.MAX_SMALL_RECORD_BYTES, key), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + key, e);
        }
    }

    @Override
    public void close() {
        heartbeats.shutdownNow();
    }
}
