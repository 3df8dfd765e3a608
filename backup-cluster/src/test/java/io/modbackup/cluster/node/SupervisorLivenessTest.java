package io.modbackup.cluster.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The liveness rules on a clock the test moves: the shipped timeouts, 5 s of silence and 2 min without bytes. */
class SupervisorLivenessTest {
    private final AtomicLong now = new AtomicLong();
    private final SupervisorLiveness liveness = new SupervisorLiveness(ConductorProcess.DEFAULT_HEARTBEAT_TIMEOUT,
            ConductorProcess.DEFAULT_TASK_STALL, now::get);

    private void at(Duration elapsed) {
        now.set(elapsed.toNanos());
        liveness.check();
    }

    private static String failure(CompletableFuture<?> call) {
        assertTrue(call.isCompletedExceptionally(), "the call failed");
        try {
            call.join();
            throw new AssertionError("unreachable");
        } catch (CompletionException e) {
            return e.getCause().getMessage();
        }
    }

    @Test
    void aSupervisorSilentForTheHeartbeatTimeoutIsDownAndEveryCallWaitingOnItFailsNamingIt() {
        liveness.heartbeat("supervisor-0", 42, 0);
        liveness.heartbeat("supervisor-1", 43, 0);
        CompletableFuture<String> sent = new CompletableFuture<>();
        CompletableFuture<String> call = liveness.watch("supervisor-0", SupervisorLiveness.CallKind.CALL, sent);
        CompletableFuture<String> task = liveness.watch("supervisor-0", SupervisorLiveness.CallKind.TASK,
                new CompletableFuture<>());
        at(Duration.ofMillis(4000));
        liveness.heartbeat("supervisor-1", 43, 0);
        at(Duration.ofMillis(5000));
        assertFalse(call.isDone(), "silent for exactly the timeout is not down yet");
        at(Duration.ofMillis(5200));
        String expected = "Supervisor supervisor-0 (pid 42) is down: no heartbeat for 5200 ms (the heartbeat timeout is"
                + " 5000 ms)";
        assertEquals(expected, failure(call));
        assertEquals(expected, failure(task));
        assertEquals(Map.of("supervisor-0", expected, "supervisor-1", ""), liveness.states());

        CompletableFuture<String> unsent = new CompletableFuture<>();
        assertEquals(expected, failure(liveness.watch("supervisor-0", SupervisorLiveness.CallKind.CALL, unsent)),
                "a call to a Supervisor that is down fails at once");
        assertTrue(unsent.isCancelled(), "and its request is abandoned");

        liveness.heartbeat("supervisor-0", 77, 0);
        assertEquals("", liveness.states().get("supervisor-0"), "a Supervisor that reports again is up");
        CompletableFuture<String> again = liveness.watch("supervisor-0", SupervisorLiveness.CallKind.CALL,
                CompletableFuture.completedFuture("answer"));
        assertEquals("answer", again.join());
    }

    @Test
    void aTaskRunsAsLongAsItsSupervisorMovesBytesAndFailsAfterTheStallTimeoutWithoutAny() {
        liveness.heartbeat("supervisor-0", 42, 1000);
        CompletableFuture<String> task = liveness.watch("supervisor-0", SupervisorLiveness.CallKind.TASK,
                new CompletableFuture<>());
        CompletableFuture<String> call = liveness.watch("supervisor-0", SupervisorLiveness.CallKind.CALL,
                new CompletableFuture<>());
        // An hour of a task that keeps moving bytes, heartbeating every second: it is not failed.
        long bytes = 1000;
        for (int second = 1; second <= 3600; second++) {
            bytes += 1 << 20;
            now.set(TimeUnit.SECONDS.toNanos(second));
            liveness.heartbeat("supervisor-0", 42, bytes);
            liveness.check();
        }
        assertFalse(task.isDone(), "a long task that moves bytes goes on");
        // Then its bytes stand still while the Supervisor keeps reporting.
        for (int second = 3601; second <= 3600 + 120; second++) {
            now.set(TimeUnit.SECONDS.toNanos(second));
            liveness.heartbeat("supervisor-0", 42, bytes);
            liveness.check();
        }
        assertFalse(task.isDone(), "120 s without bytes is the timeout, not past it");
        at(Duration.ofSeconds(3600 + 120).plusMillis(200));
        assertEquals("the task worker of Supervisor supervisor-0 moved no bytes for 120200 ms with tasks in flight"
                + " (the task stall timeout is 120000 ms)", failure(task));
        assertFalse(call.isDone(), "a call that is no task waits for the Supervisor, which still reports");
        assertEquals("", liveness.states().get("supervisor-0"));
    }

    @Test
    void theStallClockStartsWhenTheSupervisorIsGivenATaskNotAtItsLastBytes() {
        liveness.heartbeat("supervisor-0", 42, 5);
        for (int second = 1; second <= 600; second++) {
            now.set(TimeUnit.SECONDS.toNanos(second));
            liveness.heartbeat("supervisor-0", 42, 5);
            liveness.check();
        }
        CompletableFuture<String> task = liveness.watch("supervisor-0", SupervisorLiveness.CallKind.TASK,
                new CompletableFuture<>());
        at(Duration.ofSeconds(601));
        liveness.heartbeat("supervisor-0", 42, 5);
        assertFalse(task.isDone(), "ten idle minutes before the task do not count against it");
        CompletableFuture<String> done = new CompletableFuture<>();
        CompletableFuture<String> quick = liveness.watch("supervisor-0", SupervisorLiveness.CallKind.TASK, done);
        done.complete("ok");
        assertEquals("ok", quick.join());
    }
}
