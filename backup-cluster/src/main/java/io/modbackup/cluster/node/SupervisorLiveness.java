package io.modbackup.cluster.node;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Conductor's view of which Supervisors are alive, from their heartbeats, and the calls waiting on
 * each. A Supervisor silent for the heartbeat timeout is <em>down</em>: every call waiting on it fails
 * at once, naming it, and new calls to it fail without being sent, until it reports again. A
 * Supervisor that reports but whose task worker moved no bytes for the stall timeout while tasks wait
 * on it fails those task calls: a task of a terabyte runs as long as bytes move, a stuck one fails in
 * bounded time. Thread-safe; a daemon thread checks every {@value #CHECK_MILLIS} ms until {@link #close()}.
 */
final class SupervisorLiveness implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SupervisorLiveness.class);
    static final long CHECK_MILLIS = 200;

    /** What a call waits for: any answer of the Supervisor, or a task whose bytes must keep moving. */
    enum CallKind { CALL, TASK }

    private record Pending(CompletableFuture<?> call, CallKind kind) {
    }

    /** One Supervisor's last report and the calls waiting on it. */
    private static final class State {
        volatile long lastHeartbeatNanos;
        volatile long pid;
        volatile long bytesMoved = -1;
        volatile long bytesMovedChangedNanos;
        volatile String downReason;
        final Set<Pending> pending = ConcurrentHashMap.newKeySet();
    }

    private final Duration heartbeatTimeout;
    private final Duration taskStall;
    private final LongSupplier nanoTime;
    private final Map<String, State> states = new ConcurrentHashMap<>();
    private final ScheduledExecutorService checker = Executors.newSingleThreadScheduledExecutor(
            io.modbackup.core.async.DaemonThreads.named("modbackup-liveness-"));

    /**
     * @param heartbeatTimeout how long a Supervisor may be silent before it is down
     * @param taskStall how long a Supervisor's worker may move no bytes while tasks wait on it
     */
    SupervisorLiveness(Duration heartbeatTimeout, Duration taskStall) {
        this(heartbeatTimeout, taskStall, System::nanoTime);
        checker.scheduleWithFixedDelay(this::check, CHECK_MILLIS, CHECK_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** A tracker on {@code nanoTime} that checks only when {@link #check()} is called (for tests of the rules). */
    SupervisorLiveness(Duration heartbeatTimeout, Duration taskStall, LongSupplier nanoTime) {
        if (heartbeatTimeout.isNegative() || heartbeatTimeout.isZero() || taskStall.isNegative() || taskStall.isZero()) {
            throw new IllegalArgumentException("the heartbeat timeout and the task stall timeout must be positive, got "
                    + heartbeatTimeout + " and " + taskStall);
        }
        this.heartbeatTimeout = heartbeatTimeout;
        this.taskStall = taskStall;
        this.nanoTime = nanoTime;
    }

    /** Records a heartbeat of {@code id} (process {@code pid}) whose worker has moved {@code bytesMoved} bytes so far. */
    void heartbeat(String id, long pid, long bytesMoved) {
        State state = states.computeIfAbsent(id, s -> new State());
        long now = nanoTime.getAsLong();
        state.lastHeartbeatNanos = now;
        if (state.pid != pid || state.bytesMoved != bytesMoved) {
            state.bytesMovedChangedNanos = now;
        }
        state.pid = pid;
        state.bytesMoved = bytesMoved;
        String wasDown = state.downReason;
        if (wasDown != null) {
            state.downReason = null;
            log.info("Supervisor {} (pid {}) reports again after it was marked down ({})", id, pid, wasDown);
        }
    }

    /**
     * Watches {@code call} to Supervisor {@code id}: it fails with an {@link IllegalStateException} naming
     * the Supervisor when the Supervisor goes down (or, for a task, stalls) before it completes; a call to
     * a Supervisor that is down fails at once. Returns the future the caller waits on.
     */
    <T> CompletableFuture<T> watch(String id, CallKind kind, CompletableFuture<T> call) {
        State state = states.computeIfAbsent(id, s -> {
            State fresh = new State();
            // A Supervisor not heard from yet gets one heartbeat timeout from its first call.
            fresh.lastHeartbeatNanos = nanoTime.getAsLong();
            fresh.bytesMovedChangedNanos = fresh.lastHeartbeatNanos;
            return fresh;
        });
        String down = state.downReason;
        if (down != null) {
            call.cancel(false);
            return CompletableFuture.failedFuture(new IllegalStateException(down));
        }
        CompletableFuture<T> watched = new CompletableFuture<>();
        Pending pending = new Pending(watched, kind);
        if (kind == CallKind.TASK && state.pending.stream().noneMatch(p -> p.kind() == CallKind.TASK)) {
            // The stall clock of a Supervisor starts when it is given work, not at its last byte of an earlier task.
            state.bytesMovedChangedNanos = nanoTime.getAsLong();
        }
        state.pending.add(pending);
        call.whenComplete((value, error) -> {
            state.pending.remove(pending);
            if (error != null) {
                watched.completeExceptionally(error);
            } else {
                watched.complete(value);
            }
        });
        return watched;
    }

    /** Why {@code id} is down, or null while it reports. */
    String downReason(String id) {
        State state = states.get(id);
        return state == null ? null : state.downReason;
    }

    /** Each Supervisor heard from, with why it is down, or "" while it reports. */
    Map<String, String> states() {
        Map<String, String> all = new TreeMap<>();
        states.forEach((id, state) -> all.put(id, state.downReason == null ? "" : state.downReason));
        return all;
    }

    /** Marks down the silent Supervisors and fails the calls of those down or stalled. Called every {@value #CHECK_MILLIS} ms. */
    void check() {
        long now = nanoTime.getAsLong();
        states.forEach((id, state) -> {
            long silent = now - state.lastHeartbeatNanos;
            if (state.downReason == null && silent > heartbeatTimeout.toNanos()) {
                state.downReason = "Supervisor " + id + " (pid " + state.pid + ") is down: no heartbeat for "
                        + TimeUnit.NANOSECONDS.toMillis(silent) + " ms (the heartbeat timeout is "
                        + heartbeatTimeout.toMillis() + " ms)";
                log.warn("{}; failing the {} call(s) waiting on it", state.downReason, state.pending.size());
            }
            if (state.downReason != null) {
                fail(state, null, state.downReason);
                return;
            }
            long still = now - state.bytesMovedChangedNanos;
            if (still > taskStall.toNanos() && state.pending.stream().anyMatch(p -> p.kind() == CallKind.TASK)) {
                String reason = "the task worker of Supervisor " + id + " moved no bytes for "
                        + TimeUnit.NANOSECONDS.toMillis(still) + " ms with tasks in flight (the task stall timeout is "
                        + taskStall.toMillis() + " ms)";
                log.warn("{}; failing its tasks", reason);
                fail(state, CallKind.TASK, reason);
                state.bytesMovedChangedNanos = now;
            }
        });
    }

    private static void fail(State state, CallKind kind, String reason) {
        for (Pending pending : Set.copyOf(state.pending)) {
            if (kind == null || pending.kind() == kind) {
                state.pending.remove(pending);
                pending.call().completeExceptionally(new IllegalStateException(reason));
            }
        }
    }

    @Override
    public void close() {
        checker.shutdownNow();
    }
}
