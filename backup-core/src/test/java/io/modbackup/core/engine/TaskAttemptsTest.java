package io.modbackup.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.core.async.Futures;
import io.modbackup.core.error.CorruptBackupException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** A task's call on its worker: bounded attempts, a deadline per attempt, no retry where it cannot help. */
class TaskAttemptsTest {
    private static final Duration DEADLINE = Duration.ofMillis(200);

    private static Throwable failure(CompletableFuture<?> result) {
        return Futures.cause(assertThrows(CompletionException.class, result::join));
    }

    @Test
    void aFailedAttemptIsRetriedAndItsSuccessCounts() {
        AtomicInteger attempts = new AtomicInteger();
        Supplier<CompletableFuture<String>> call = () -> attempts.incrementAndGet() == 1
                ? CompletableFuture.failedFuture(new IllegalStateException("Supervisor s1 did not answer"))
                : CompletableFuture.completedFuture("done");
        assertEquals("done", TaskAttempts.run(call, DEADLINE, 2, "task 1").join());
        assertEquals(2, attempts.get());
    }

    @Test
    void aHungWorkerFailsEachAttemptAtItsDeadlineAndTheTaskAfterTheLast() {
        AtomicInteger attempts = new AtomicInteger();
        long started = System.nanoTime();
        Throwable error = failure(TaskAttempts.run(() -> {
            attempts.incrementAndGet();
            return new CompletableFuture<String>();
        }, DEADLINE, 3, "task 2 of backup X on s2"));
        assertEquals(3, attempts.get());
        assertInstanceOf(IllegalStateException.class, error);
        assertEquals("task 2 of backup X on s2 did not finish within 200 ms", error.getMessage());
        assertTrue(System.nanoTime() - started >= DEADLINE.toNanos() * 3, "each attempt waited its deadline");
    }

    @Test
    void aCorruptBackupOrAnInvalidRequestIsNotRetried() {
        for (RuntimeException cause : new RuntimeException[] {new CorruptBackupException("chunk abc is damaged"),
                new IllegalArgumentException("no such task")}) {
            AtomicInteger attempts = new AtomicInteger();
            Throwable error = failure(TaskAttempts.run(() -> {
                attempts.incrementAndGet();
                return CompletableFuture.failedFuture(cause);
            }, DEADLINE, 5, "task 3"));
            assertEquals(1, attempts.get(), cause.toString());
            assertEquals(cause, error);
        }
    }

    @Test
    void aCallThatThrowsCountsAsAFailedAttempt() {
        AtomicInteger attempts = new AtomicInteger();
        Throwable error = failure(TaskAttempts.run(() -> {
            attempts.incrementAndGet();
            throw new IllegalStateException("connection refused");
        }, DEADLINE, 2, "task 4"));
        assertEquals(2, attempts.get());
        assertEquals("connection refused", error.getMessage());
    }
}
