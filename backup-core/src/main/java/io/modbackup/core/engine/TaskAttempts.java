package io.modbackup.core.engine;

import io.modbackup.core.async.Futures;
import io.modbackup.core.error.BackupException;
import io.modbackup.core.error.CorruptBackupException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one task's call on its worker with a deadline per attempt and a bounded number of attempts, so a
 * Supervisor that dies or hangs fails its task in bounded time and a transient failure does not fail
 * the whole backup. A corrupt backup, a refused request or an invalid argument is not retried: the
 * same call would fail the same way.
 */
final class TaskAttempts {
    private static final Logger log = LoggerFactory.getLogger(TaskAttempts.class);

    private TaskAttempts() {
    }

    /**
     * Calls {@code call} up to {@code attempts} times, each bounded by {@code timeout}.
     *
     * @param what the task, for messages: "task 3 of backup X on supervisor-1"
     */
    static <T> CompletableFuture<T> run(Supplier<CompletableFuture<T>> call, Duration timeout, int attempts, String what) {
        return attempt(call, timeout, attempts, 1, what);
    }

    private static <T> CompletableFuture<T> attempt(Supplier<CompletableFuture<T>> call, Duration timeout, int attempts,
                                                    int attempt, String what) {
        CompletableFuture<T> result;
        try {
            result = call.get();
        } catch (RuntimeException e) {
            result = CompletableFuture.failedFuture(e);
        }
        return result.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).handle((value, error) -> {
            if (error == null) {
                return CompletableFuture.completedFuture(value);
            }
            Throwable cause = Futures.cause(error);
            if (cause instanceof TimeoutException) {
                cause = new IllegalStateException(what + " did not finish within " + timeout.toMillis() + " ms", cause);
            }
            if (attempt >= attempts || !retryable(cause)) {
                return CompletableFuture.<T>failedFuture(cause);
            }
            log.warn("{} failed (attempt {} of {}), retrying: {}", what, attempt, attempts, cause.toString());
            return attempt(call, timeout, attempts, attempt + 1, what);
        }).thenCompose(f -> f);
    }

    private static boolean retryable(Throwable cause) {
        return !(cause instanceof CorruptBackupException || cause instanceof BackupException
                || cause instanceof IllegalArgumentException);
    }
}
