package io.modbackup.testkit.provider;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.provider.ForwardingBackupProvider;
import io.modbackup.api.provider.LockedObjectsException;
import io.modbackup.api.provider.ObjectRetention;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A store with an {@link ObjectRetention} lock over any provider, on a clock the test moves: what S3 Object
 * Lock does, as the SPI describes it. Creates lock their object until creation plus one and a half periods
 * (a create that finds the key extends it); deletes leave locked objects and fail with a
 * {@link LockedObjectsException}; puts (mutable records) are not locked. Counts the keys it was asked to
 * extend, for request budgets.
 */
public final class RetentionLockingProvider extends ForwardingBackupProvider implements ObjectRetention {
    private final Clock clock;
    private final Duration period;
    private final Map<String, Instant> locks = new ConcurrentHashMap<>();
    private final AtomicLong extended = new AtomicLong();

    public RetentionLockingProvider(BackupProvider delegate, Clock clock, Duration period) {
        super(delegate);
        this.clock = clock;
        this.period = period;
    }

    @Override
    public Optional<ObjectRetention> retention() {
        return Optional.of(this);
    }

    @Override
    public Duration period() {
        return period;
    }

    private Instant createdLock() {
        return clock.instant().plus(period.multipliedBy(3).dividedBy(2));
    }

    @Override
    public CompletableFuture<Boolean> createObject(String key, InputStream in, long length) {
        return super.createObject(key, in, length).thenApply(created -> locked(key, created));
    }

    @Override
    public CompletableFuture<Boolean> createFile(String key, Path source) {
        return super.createFile(key, source).thenApply(created -> locked(key, created));
    }

    private boolean locked(String key, boolean created) {
        locks.merge(key, createdLock(), (a, b) -> a.isAfter(b) ? a : b);
        return created;
    }

    @Override
    public CompletableFuture<Void> deleteObject(String key) {
        return deleteObjects(List.of(key));
    }

    @Override
    public CompletableFuture<Void> deleteObjects(List<String> keys) {
        Instant now = clock.instant();
        Map<String, Instant> kept = new TreeMap<>();
        List<String> deletable = new ArrayList<>();
        for (String key : keys) {
            Instant until = locks.get(key);
            if (until != null && until.isAfter(now)) {
                kept.put(key, until);
            } else {
                deletable.add(key);
            }
        }
        return super.deleteObjects(deletable).thenRun(() -> {
            deletable.forEach(locks::remove);
            if (!kept.isEmpty()) {
                throw new LockedObjectsException(kept);
            }
        });
    }

    @Override
    public CompletableFuture<Optional<Instant>> lockedUntil(String key) {
        Instant until = locks.get(key);
        return CompletableFuture.completedFuture(until != null && until.isAfter(clock.instant()) ? Optional.of(until)
                : Optional.empty());
    }

    @Override
    public CompletableFuture<Void> extend(Collection<String> keys, Instant until) {
        extended.addAndGet(keys.size());
        List<CompletableFuture<Boolean>> present = new ArrayList<>();
        for (String key : keys) {
            present.add(hasKey(key).thenApply(has -> {
                if (has) {
                    locks.merge(key, until, (a, b) -> a.isAfter(b) ? a : b);
                }
                return has;
            }));
        }
        return CompletableFuture.allOf(present.toArray(CompletableFuture[]::new));
    }

    /** Until when {@code key} is locked, or null when it never was; whatever the clock says now. */
    public Instant lockOf(String key) {
        return locks.get(key);
    }

    /** Keys the engine asked to extend so far: the requests an S3 store would have served. */
    public long extendedKeys() {
        return extended.get();
    }
}
