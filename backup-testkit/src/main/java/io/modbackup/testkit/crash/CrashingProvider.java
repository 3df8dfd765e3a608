package io.modbackup.testkit.crash;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.testkit.provider.FaultRule.Operation;
import io.modbackup.testkit.provider.StreamInterceptingProvider;
import java.io.InputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * A provider that kills its {@link CrashSwitch} at one point: before or after the {@code n}th call of
 * an operation on keys matching a pattern. "After" means the call took effect in the store and the
 * process died before hearing so. Once the switch is dead every call fails with {@link SimulatedCrash}
 * without reaching the store.
 */
public final class CrashingProvider extends StreamInterceptingProvider {
    private final CrashSwitch process;
    private final Trigger trigger;
    private final AtomicInteger matched = new AtomicInteger();

    /**
     * Where to crash.
     *
     * @param point the crash point's name, reported by {@link SimulatedCrash#point()}
     * @param operation the operation counted
     * @param keys whole-key pattern of the calls counted
     * @param nth crash at the nth matching call (1-based)
     * @param after crash after the call took effect rather than before it reached the store
     */
    public record Trigger(String point, Operation operation, Pattern keys, int nth, boolean after) {
        public static Trigger before(String point, Operation operation, String keys, int nth) {
            return new Trigger(point, operation, Pattern.compile(keys), nth, false);
        }

        public static Trigger after(String point, Operation operation, String keys, int nth) {
            return new Trigger(point, operation, Pattern.compile(keys), nth, true);
        }
    }

    /** @param trigger where to crash; {@code null} never crashes by itself (the switch may die elsewhere) */
    public CrashingProvider(BackupProvider delegate, CrashSwitch process, Trigger trigger) {
        super(delegate);
        this.process = process;
        this.trigger = trigger;
    }

    private <T> CompletableFuture<T> call(Operation op, String key, Supplier<CompletableFuture<T>> operation) {
        try {
            process.checkAlive();
            boolean fires = trigger != null && trigger.operation() == op && key != null
                    && trigger.keys().matcher(key).matches() && matched.incrementAndGet() == trigger.nth();
            if (fires && !trigger.after()) {
                process.crash(trigger.point());
            }
            CompletableFuture<T> result = operation.get();
            if (!fires) {
                return result;
            }
            return result.thenApply(value -> {
                throw process.crash(trigger.point());
            });
        } catch (SimulatedCrash crash) {
            return CompletableFuture.failedFuture(crash);
        }
    }

    @Override
    public CompletableFuture<Void> putObject(String key, InputStream in, long length) {
        return call(Operation.PUT, key, () -> delegate().putObject(key, in, length));
    }

    /** Counted as a {@link Operation#PUT}. */
    @Override
    public CompletableFuture<Boolean> createObject(String key, InputStream in, long length) {
        return call(Operation.PUT, key, () -> delegate().createObject(key, in, length));
    }

    @Override
    public CompletableFuture<InputStream> getObject(String key) {
        return call(Operation.GET, key, () -> delegate().getObject(key));
    }

    @Override
    public CompletableFuture<Boolean> hasKey(String key) {
        return call(Operation.HAS_KEY, key, () -> delegate().hasKey(key));
    }

    @Override
    public CompletableFuture<Long> objectSize(String key) {
        return call(Operation.HAS_KEY, key, () -> delegate().objectSize(key));
    }

    @Override
    public CompletableFuture<Void> deleteObject(String key) {
        return call(Operation.DELETE, key, () -> delegate().deleteObject(key));
    }

    @Override
    public CompletableFuture<KeysPage> listKeysRecursive(String prefix, String pageToken) {
        return call(Operation.LIST_RECURSIVE, prefix, () -> delegate().listKeysRecursive(prefix, pageToken));
    }

    @Override
    public CompletableFuture<KeysPage> listKeysNonRecursive(String prefix, String pageToken, int pageSize) {
        return call(Operation.LIST_NON_RECURSIVE, prefix, () -> delegate().listKeysNonRecursive(prefix, pageToken, pageSize));
    }

    /** Closes nothing: the store outlives the simulated process. */
    @Override
    public void close() {
    }
}
