package io.modbackup.sim;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * How the Conductor calls its Supervisors: one at a time, or all of a set in parallel under one
 * deadline, failing with the first Supervisor that fails or does not answer in time (named in the
 * message). Thread-safe; owns the threads the parallel calls run on until {@link #close()}.
 */
final class SupervisorCalls implements AutoCloseable {
    private final Function<String, SupervisorChannel> channels;
    private final Duration deadline;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "conductor-call");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param channels reaches a Supervisor by ID; throws {@link IllegalStateException} for one not reachable
     * @param deadline how long a set of parallel calls may take
     */
    SupervisorCalls(Function<String, SupervisorChannel> channels, Duration deadline) {
        this.channels = channels;
        this.deadline = deadline;
    }

    Duration deadline() {
        return deadline;
    }

    /** The channel of one Supervisor. */
    SupervisorChannel of(String supervisorId) {
        return channels.apply(supervisorId);
    }

    /**
     * Calls every Supervisor of {@code supervisorIds} in parallel and returns their answers in order.
     *
     * @throws IllegalStateException naming the first Supervisor that failed or did not answer within the deadline
     */
    <T> List<T> all(List<String> supervisorIds, BiFunction<String, SupervisorChannel, T> call) throws InterruptedException {
        List<CompletableFuture<T>> futures = new ArrayList<>();
        for (String id : supervisorIds) {
            futures.add(CompletableFuture.supplyAsync(() -> call.apply(id, channels.apply(id)), executor));
        }
        long until = System.nanoTime() + deadline.toNanos();
        List<T> results = new ArrayList<>();
        for (int i = 0; i < futures.size(); i++) {
            try {
                results.add(futures.get(i).get(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS));
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                String message = String.valueOf(cause.getMessage());
                // A failure that names the Supervisor already (such as its being down) is not named twice.
                String named = "Supervisor " + supervisorIds.get(i);
                throw new IllegalStateException(message.startsWith(named) ? message : named + ": " + message, cause);
            } catch (TimeoutException e) {
                throw new IllegalStateException("Supervisor " + supervisorIds.get(i) + " did not answer within "
                        + deadline.toMillis() + " ms");
            }
        }
        return results;
    }

    /**
     * Calls every Supervisor of {@code supervisorIds} in parallel and waits for all of them within the
     * deadline; {@code onFailure} hears each that failed or did not answer in time, on this thread, in
     * the order of {@code supervisorIds}. Unlike {@link #all}, one failure does not end the wait for the others.
     */
    void each(List<String> supervisorIds, BiConsumer<String, SupervisorChannel> call, BiConsumer<String, Throwable> onFailure)
            throws InterruptedException {
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        for (String id : supervisorIds) {
            futures.add(CompletableFuture.runAsync(() -> call.accept(id, channels.apply(id)), executor));
        }
        long until = System.nanoTime() + deadline.toNanos();
        for (int i = 0; i < futures.size(); i++) {
            try {
                futures.get(i).get(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                onFailure.accept(supervisorIds.get(i), e.getCause());
            } catch (TimeoutException e) {
                onFailure.accept(supervisorIds.get(i), new IllegalStateException("Supervisor " + supervisorIds.get(i)
                        + " did not answer within " + deadline.toMillis() + " ms"));
            }
        }
    }

    /** Calls every Supervisor of {@code supervisorIds} without waiting; {@code onFailure} hears each failure. */
    void tell(List<String> supervisorIds, java.util.function.Consumer<SupervisorChannel> call,
              BiConsumer<String, Throwable> onFailure) {
        for (String id : supervisorIds) {
            CompletableFuture.runAsync(() -> call.accept(channels.apply(id)), executor).exceptionally(e -> {
                onFailure.accept(id, e);
                return null;
            });
        }
    }

    /** Runs {@code work} on these calls' threads. */
    void execute(Runnable work) {
        executor.execute(work);
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
