package io.modbackup.api.provider;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A store that locks objects against deletion and replacement for a time (S3 Object Lock, an
 * immutability policy), offered by {@link BackupProvider#retention()}. On such a store:
 *
 * <ul>
 *   <li>every object a {@link BackupProvider#createObject create} stores is locked until at least its
 *       creation plus one and a half {@link #period()}s; objects written with {@code putObject} (the store's
 *       mutable records: leases, GC state) are not locked;</li>
 *   <li>a create that finds its key taken extends that object's lock as if it had created it (the caller
 *       reuses it);</li>
 *   <li>{@link BackupProvider#deleteObject} and {@link BackupProvider#deleteObjects} never remove a locked
 *       object: they delete the others and then fail with a {@link LockedObjectsException} naming the locked
 *       ones and until when, so that a caller can skip them and try again later.</li>
 * </ul>
 *
 * <p>The engine keeps every object a backup reaches locked until at least the backup's time plus
 * {@link #period()}: it extends the objects a backup reuses when their lock would end sooner, once per half
 * period. Thread-safe; methods do not block their caller.
 */
public interface ObjectRetention {
    /** How long past a backup its objects stay locked, at least (the store's retention setting). */
    Duration period();

    /**
     * Until when the object under {@code key} is locked; empty when it is not locked now or is absent. One
     * metadata request.
     */
    CompletableFuture<Optional<Instant>> lockedUntil(String key);

    /**
     * Locks each object of {@code keys} until at least {@code until}, never shortening a lock; absent keys are
     * skipped. Idempotent. About one request per key.
     */
    CompletableFuture<Void> extend(Collection<String> keys, Instant until);
}
