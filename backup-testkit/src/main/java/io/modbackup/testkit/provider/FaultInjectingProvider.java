package io.modbackup.testkit.provider;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.testkit.provider.FaultRule.Effect;
import io.modbackup.testkit.provider.FaultRule.Operation;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Wraps any provider and makes chosen calls fail, slow down or move truncated data, following
 * {@link FaultRule}s; counts calls per operation. Thread-safe. Rules can be added and cleared while
 * calls are in flight. A probabilistic rule's draw for the k-th call it matches on a key is a hash of
 * the seed, the rule's position, the key and k: the same keys meet the same faults however concurrent
 * calls interleave.
 */
public final class FaultInjectingProvider extends StreamInterceptingProvider {
    private final long seed;
    private final List<ActiveRule> rules = new CopyOnWriteArrayList<>();
    private final Map<Operation, AtomicLong> calls = new EnumMap<>(Operation.class);
    private final AtomicLong faultsInjected = new AtomicLong();
    private final Map<String, AtomicLong> faultsByKey = new java.util.concurrent.ConcurrentHashMap<>();

    private static final class ActiveRule {
        final FaultRule rule;
        final int position;
        final AtomicLong matched = new AtomicLong();
        final AtomicLong applied = new AtomicLong();
        /** Per key: calls matched so far, and the faults applied in a row up to the last of them. */
        final Map<String, long[]> perKey = new java.util.concurrent.ConcurrentHashMap<>();

        ActiveRule(FaultRule rule, int position) {
            this.rule = rule;
            this.position = position;
        }
    }

    /** Wraps {@code delegate}; probabilistic rules draw as {@code seed} says (see the class comment). */
    public FaultInjectingProvider(BackupProvider delegate, long seed) {
        super(delegate);
        this.seed = seed;
        for (Operation op : Operation.values()) {
            calls.put(op, new AtomicLong());
        }
    }

    /** Adds a rule; later calls that it matches suffer its effect. Returns this provider. */
    public FaultInjectingProvider addRule(FaultRule rule) {
        synchronized (rules) {
            rules.add(new ActiveRule(rule, rules.size()));
        }
        return this;
    }

    /** Removes every rule; later calls go straight to the delegate(). */
    public void clearRules() {
        rules.clear();
    }

    /** Calls of {@code operation} so far ({@link Operation#ANY}: all calls). */
    public long callCount(Operation operation) {
        return calls.get(operation).get();
    }

    /** Faults injected so far into calls on {@code key}: how often the caller tried it and suffered. */
    public long faultsInjected(String key) {
        AtomicLong count = faultsByKey.get(key);
        return count == null ? 0 : count.get();
    }

    /** Faults injected so far, of every effect. */
    public long faultsInjected() {
        return faultsInjected.get();
    }

    @Override
    public CompletableFuture<Void> putObject(String key, InputStream in, long length) {
        FaultRule rule = match(Operation.PUT, key);
        if (rule != null && rule.effect() == Effect.TRUNCATE) {
            return delegate().putObject(key, new TruncatingInputStream(in, rule.truncateAfterBytes()), length);
        }
        return apply(rule, Operation.PUT, key, () -> delegate().putObject(key, in, length));
    }

    /** Faults of {@link Operation#PUT} apply to creates too. */
    @Override
    public CompletableFuture<Boolean> createObject(String key, InputStream in, long length) {
        FaultRule rule = match(Operation.PUT, key);
        if (rule != null && rule.effect() == Effect.TRUNCATE) {
            return delegate().createObject(key, new TruncatingInputStream(in, rule.truncateAfterBytes()), length);
        }
        return apply(rule, Operation.PUT, key, () -> delegate().createObject(key, in, length));
    }

    @Override
    public CompletableFuture<InputStream> getObject(String key) {
        FaultRule rule = match(Operation.GET, key);
        if (rule != null && rule.effect() == Effect.TRUNCATE) {
            return delegate().getObject(key)
                    .thenApply(in -> in == null ? null : new TruncatingInputStream(in, rule.truncateAfterBytes()));
        }
        return apply(rule, Operation.GET, key, () -> delegate().getObject(key));
    }

    @Override
    public CompletableFuture<Boolean> hasKey(String key) {
        return apply(match(Operation.HAS_KEY, key), Operation.HAS_KEY, key, () -> delegate().hasKey(key));
    }

    /** A metadata request like {@link #hasKey}: {@link Operation#HAS_KEY} rules apply to it. */
    @Override
    public CompletableFuture<Long> objectSize(String key) {
        return apply(match(Operation.HAS_KEY, key), Operation.HAS_KEY, key, () -> delegate().objectSize(key));
    }

    @Override
    public CompletableFuture<Void> deleteObject(String key) {
        return apply(match(Operation.DELETE, key), Operation.DELETE, key, () -> delegate().deleteObject(key));
    }

    @Override
    public CompletableFuture<KeysPage> listKeysRecursive(String prefix, String pageToken) {
        return apply(match(Operation.LIST_RECURSIVE, prefix), Operation.LIST_RECURSIVE, prefix,
                () -> delegate().listKeysRecursive(prefix, pageToken));
    }

    @Override
    public CompletableFuture<KeysPage> listKeysNonRecursive(String prefix, String pageToken, int pageSize) {
        return apply(match(Operation.LIST_NON_RECURSIVE, prefix), Operation.LIST_NON_RECURSIVE, prefix,
                () -> delegate().listKeysNonRecursive(prefix, pageToken, pageSize));
    }

    /** Counts the call and returns the first rule that fires for it, or null. */
    private FaultRule match(Operation op, String key) {
        calls.get(op).incrementAndGet();
        calls.get(Operation.ANY).incrementAndGet();
        for (ActiveRule active : rules) {
            FaultRule rule = active.rule;
            if (!rule.matches(op, key)) {
                continue;
            }
            long n = active.matched.incrementAndGet();
            if (n % rule.everyNth() != 0 || !fires(active, key == null ? "" : key)) {
                continue;
            }
            if (active.applied.incrementAndGet() > rule.maxTimes()) {
                continue;
            }
            faultsInjected.incrementAndGet();
            faultsByKey.computeIfAbsent(key, k -> new AtomicLong()).incrementAndGet();
            return rule;
        }
        return null;
    }

    /** Whether the rule applies to this call on {@code key}: its draw, and no more than its run per key. */
    private boolean fires(ActiveRule active, String key) {
        FaultRule rule = active.rule;
        long[] state = active.perKey.computeIfAbsent(key, k -> new long[2]);
        synchronized (state) {
            long call = state[0]++;
            boolean drawn = rule.probability() >= 1.0 || draw(active.position, key, call) < rule.probability();
            if (!drawn || state[1] >= rule.maxInARowPerKey()) {
                state[1] = 0;
                return false;
            }
            state[1]++;
            return true;
        }
    }

    /** A uniform draw in [0, 1) for the {@code call}-th matching call of rule {@code position} on {@code key}. */
    private double draw(int position, String key, long call) {
        long h = seed;
        h = mix(h ^ position);
        h = mix(h ^ key.hashCode());
        h = mix(h ^ key.length());
        h = mix(h ^ call);
        return (h >>> 11) * 0x1.0p-53;
    }

    /** SplitMix64's finalizer: spreads every input bit over the output. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    private static <T> CompletableFuture<T> apply(FaultRule rule, Operation op, String key,
                                                  Supplier<CompletableFuture<T>> call) {
        if (rule == null) {
            return call.get();
        }
        return switch (rule.effect()) {
            case FAIL -> CompletableFuture.failedFuture(
                    new InjectedFaultException("injected failure of " + op + " '" + key + "'"));
            case DELAY -> CompletableFuture.runAsync(() -> { },
                            CompletableFuture.delayedExecutor(rule.delay().toMillis(), TimeUnit.MILLISECONDS))
                    .thenCompose(ignored -> call.get());
            case TRUNCATE -> call.get();
        };
    }

    /** Ends the stream silently after a number of bytes, as a cut connection might. */
    private static final class TruncatingInputStream extends FilterInputStream {
        private long remaining;

        TruncatingInputStream(InputStream in, long limit) {
            super(in);
            this.remaining = limit;
        }

        @Override
        public int read() throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int b = super.read();
            if (b >= 0) {
                remaining--;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int n = super.read(b, off, (int) Math.min(len, remaining));
            if (n > 0) {
                remaining -= n;
            }
            return n;
        }
    }
}
