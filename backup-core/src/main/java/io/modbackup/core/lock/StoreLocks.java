package io.modbackup.core.lock;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.provider.BackupProvider.KeysPage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
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
 *   <li>In the store, each holder writes {@code locks/<kind>-<id>.json} and then lists
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
    public static final String PREFIX = "locks/";
    public static final String LAST_GC_KEY = "gc/last-run.json";

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
                provider.deleteObject(key).get();
            } catch (ExecutionException e) {
                log.warn("cannot release lease {} (it expires by itself): {}", key, e.getCause().getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                localLock.unlock();
            }
        }
    }

    /** Takes a shared lease for backup {@code id}, waiting while a GC holds the store. */
    public Lease shared(String id) {
        return acquire("backup-" + id, local.readLock(), true);
    }

    /** Takes the exclusive lease for a GC run, waiting while backups or another GC hold the store. */
    public Lease exclusive(String id) {
        return acquire("gc-" + id, local.writeLock(), false);
    }

    private Lease acquire(String name, Lock localLock, boolean shared) {
        // Waiting is measured in real time; the clock (which tests move) only dates the leases.
        long deadline = System.nanoTime() + maxWait.toNanos();
        boolean locked = false;
        try {
            locked = localLock.tryLock(maxWait.toMillis(), TimeUnit.MILLISECONDS);
            if (!locked) {
                throw new LockTimeoutException("waited " + maxWait + " for " + (shared ? "a garbage collection" : "backups")
                        + " in this process to finish");
            }
            String key = PREFIX + name + ".json";
            while (true) {
                // The lease counts from the attempt that wins, not from the first try.
                long started = clock.millis();
                write(key, started);
                List<String> blockers = liveBlockers(key, shared);
                if (blockers.isEmpty()) {
                    return new Lease(key, localLock, started);
                }
                provider.deleteObject(key).get();
                if (System.nanoTime() > deadline) {
                    throw new LockTimeoutException("waited " + maxWait + " for " + blockers + " in the backup store to finish");
                }
                Thread.sleep(50 + ThreadLocalRandom.current().nextInt(200));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (locked) {
                localLock.unlock();
            }
            throw new LockTimeoutException("interrupted while waiting for the backup store lock");
        } catch (ExecutionException | RuntimeException e) {
            if (locked) {
                localLock.unlock();
            }
            if (e instanceof LockTimeoutException timeout) {
                throw timeout;
            }
            throw new LockTimeoutException("cannot take the backup store lock: " + (e.getCause() == null ? e : e.getCause()));
        }
    }

    /** Live leases that keep {@code own} from proceeding: GC leases for a backup, any lease for a GC. */
    private List<String> liveBlockers(String own, boolean shared) throws ExecutionException, InterruptedException {
        List<String> blockers = new ArrayList<>();
        long now = clock.millis();
        for (String key : leaseKeys()) {
            if (key.equals(own) || shared && !key.startsWith(PREFIX + "gc-")) {
                continue;
            }
            long heartbeat = readHeartbeat(key);
            if (heartbeat >= 0 && now - heartbeat <= ttl.toMillis()) {
                blockers.add(key.substring(PREFIX.length(), key.length() - ".json".length()));
            }
        }
        return blockers;
    }

    /** The keys of every lease in the store, live or not. */
    private List<String> leaseKeys() throws ExecutionException, InterruptedException {
        List<String> keys = new ArrayList<>();
        String token = null;
        do {
            KeysPage page = provider.listKeysRecursive(PREFIX, token).get();
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
        try {
            for (String key : leaseKeys()) {
                long heartbeat = key.equals(own.key) ? -1 : readHeartbeat(key);
                if (heartbeat >= 0 && now - heartbeat > ttl.toMillis()) {
                    provider.deleteObject(key).get();
                    log.info("removed expired lease {} (no heartbeat for {} ms)", key, now - heartbeat);
                    removed++;
                }
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot remove expired leases: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        return removed;
    }

    /** Records that a GC started at {@code startedMillis}; backups that began earlier must not commit. */
    public void recordGcRun(long startedMillis) {
        byte[] bytes = Long.toString(startedMillis).getBytes(StandardCharsets.UTF_8);
        try {
            provider.putObject(LAST_GC_KEY, new ByteArrayInputStream(bytes), bytes.length).get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot record the GC run: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether a GC started after {@code millis}: then a lease taken at {@code millis} was overtaken. */
    public boolean gcRanSince(long millis) {
        long last = readNumber(LAST_GC_KEY);
        return last > millis;
    }

    private void write(String key, long started) {
        byte[] bytes = (started + " " + clock.millis()).getBytes(StandardCharsets.UTF_8);
        try {
            provider.putObject(key, new ByteArrayInputStream(bytes), bytes.length).get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot write lease " + key + ": " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
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

    private long readNumber(String key) {
        String text = readText(key);
        try {
            return text == null ? -1 : Long.parseLong(text.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private String readText(String key) {
        try {
            InputStream in = provider.getObject(key).get();
            if (in == null) {
                return null;
            }
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } catch (ExecutionException | IOException e) {
            throw new IllegalStateException("cannot read " + key + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public void close() {
        heartbeats.shutdownNow();
    }
}
