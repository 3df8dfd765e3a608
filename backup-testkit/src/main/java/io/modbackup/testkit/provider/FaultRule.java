package io.modbackup.testkit.provider;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One fault that a {@link FaultInjectingProvider} applies to the calls it matches: which operation,
 * which keys, when (every call, every Nth, with a probability, at most N times), and what happens
 * (fail, delay, truncate). Immutable; build with the static factories and the {@code with...}
 * methods, e.g. {@code FaultRule.fail(Operation.PUT).forKeys("blobs/.*").everyNth(3)}.
 *
 * @param operation the operation matched, or {@link Operation#ANY}
 * @param keyPattern keys (or listing prefixes) matched, whole-string; {@code null} matches all
 * @param effect what happens to a matched call
 * @param delay how long {@link Effect#DELAY} waits before the call proceeds
 * @param truncateAfterBytes how many bytes {@link Effect#TRUNCATE} lets through
 * @param everyNth applies to the Nth, 2Nth, ... matching call (1 = every call)
 * @param probability applies with this probability: the draw for the k-th matching call on a key depends
 *     only on the provider's seed, the rule, the key and k, never on the order of concurrent calls
 * @param maxTimes applies at most this many times ({@code Long.MAX_VALUE} = unbounded)
 * @param maxInARowPerKey applies to at most this many consecutive matching calls on one key: the next
 *     call on that key is spared ({@code Long.MAX_VALUE} = unbounded). With a retry budget above it, a
 *     caller that retries is sure to get through, whatever the draws
 */
public record FaultRule(Operation operation, Pattern keyPattern, Effect effect, Duration delay,
                        long truncateAfterBytes, long everyNth, double probability, long maxTimes, long maxInARowPerKey) {

    /** The provider operations a rule can match. */
    public enum Operation { PUT, GET, HAS_KEY, DELETE, LIST_RECURSIVE, LIST_NON_RECURSIVE, ANY }

    /** What a matched call suffers. */
    public enum Effect {
        /** The call's future fails with an {@link InjectedFaultException}; the delegate is not called. */
        FAIL,
        /** The call reaches the delegate after {@link #delay()}. */
        DELAY,
        /**
         * PUT: the delegate sees a stream that ends after {@link #truncateAfterBytes()} bytes. GET: the
         * caller's stream ends early, silently, as a cut connection might.
         */
        TRUNCATE
    }

    public FaultRule {
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(effect, "effect");
        Objects.requireNonNull(delay, "delay");
        if (everyNth < 1) {
            throw new IllegalArgumentException("everyNth must be at least 1, got " + everyNth);
        }
        if (probability < 0 || probability > 1) {
            throw new IllegalArgumentException("probability must be within [0, 1], got " + probability);
        }
        if (maxInARowPerKey < 1) {
            throw new IllegalArgumentException("maxInARowPerKey must be at least 1, got " + maxInARowPerKey);
        }
        if (maxTimes < 0 || truncateAfterBytes < 0) {
            throw new IllegalArgumentException("maxTimes and truncateAfterBytes must not be negative");
        }
    }

    /** Every matching call of {@code operation} fails. */
    public static FaultRule fail(Operation operation) {
        return new FaultRule(operation, null, Effect.FAIL, Duration.ZERO, 0, 1, 1.0, Long.MAX_VALUE, Long.MAX_VALUE);
    }

    /** Every matching call of {@code operation} is delayed by {@code delay}. */
    public static FaultRule delay(Operation operation, Duration delay) {
        return new FaultRule(operation, null, Effect.DELAY, delay, 0, 1, 1.0, Long.MAX_VALUE, Long.MAX_VALUE);
    }

    /** Every matching PUT or GET moves only {@code bytes} bytes. */
    public static FaultRule truncate(Operation operation, long bytes) {
        if (operation != Operation.PUT && operation != Operation.GET) {
            throw new IllegalArgumentException("only PUT and GET transfer bytes to truncate, not " + operation);
        }
        return new FaultRule(operation, null, Effect.TRUNCATE, Duration.ZERO, bytes, 1, 1.0, Long.MAX_VALUE, Long.MAX_VALUE);
    }

    /** This rule, matching only keys that match {@code regex} as a whole. */
    public FaultRule forKeys(String regex) {
        return new FaultRule(operation, Pattern.compile(regex), effect, delay, truncateAfterBytes, everyNth, probability, maxTimes, maxInARowPerKey);
    }

    /** This rule, applying to every {@code n}th matching call only. */
    public FaultRule everyNth(long n) {
        return new FaultRule(operation, keyPattern, effect, delay, truncateAfterBytes, n, probability, maxTimes, maxInARowPerKey);
    }

    /** This rule, applying to each matching call with probability {@code p}. */
    public FaultRule withProbability(double p) {
        return new FaultRule(operation, keyPattern, effect, delay, truncateAfterBytes, everyNth, p, maxTimes, maxInARowPerKey);
    }

    /** This rule, applying at most {@code n} times. */
    public FaultRule times(long n) {
        return new FaultRule(operation, keyPattern, effect, delay, truncateAfterBytes, everyNth, probability, n, maxInARowPerKey);
    }

    /** This rule, applying to at most {@code n} consecutive matching calls on one key. */
    public FaultRule atMostInARowPerKey(long n) {
        return new FaultRule(operation, keyPattern, effect, delay, truncateAfterBytes, everyNth, probability, maxTimes, n);
    }

    boolean matches(Operation op, String key) {
        return (operation == Operation.ANY || operation == op)
                && (keyPattern == null || (key != null && keyPattern.matcher(key).matches()));
    }
}
