package io.modbackup.core.async;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * Runs one asynchronous operation per item with at most a fixed number outstanding, so the work
 * queued at any moment is bounded by that number instead of by the number of items (a task of 50k
 * files holds a window of futures, not 50k of them). Stops starting items after the first failure.
 */
public final class BoundedFanOut<T, R> {
    private final List<T> items;
    private final Function<? super T, CompletableFuture<R>> operation;
    private final Object[] results;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger lanesRunning;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final CompletableFuture<List<R>> done = new CompletableFuture<>();

    private BoundedFanOut(List<T> items, int maxInFlight, Function<? super T, CompletableFuture<R>> operation) {
        this.items = items;
        this.operation = operation;
        this.results = new Object[items.size()];
        this.lanesRunning = new AtomicInteger(Math.max(1, Math.min(maxInFlight, items.size())));
    }

    /**
     * Applies {@code operation} to every item, at most {@code maxInFlight} at once, in the items'
     * order of starting. The result completes with the operations' results in the items' order once
     * all of them completed, or exceptionally with the first failure once every operation already
     * started has ended (none is abandoned mid-way); an operation that throws counts as failed.
     *
     * @param maxInFlight at least 1
     */
    public static <T, R> CompletableFuture<List<R>> map(List<T> items, int maxInFlight,
                                                        Function<? super T, CompletableFuture<R>> operation) {
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be at least 1, got " + maxInFlight);
        }
        BoundedFanOut<T, R> fanOut = new BoundedFanOut<>(items, maxInFlight, operation);
        int lanes = fanOut.lanesRunning.get();
        for (int i = 0; i < lanes; i++) {
            fanOut.runLane();
        }
        return fanOut.done;
    }

    /**
     * Starts items one after another on this lane until one is still running (its completion resumes
     * the lane) or none is left. Looping instead of recursing keeps the stack flat when operations
     * complete at once (a reused file entry).
     */
    private void runLane() {
        while (true) {
            int index = next.getAndIncrement();
            if (index >= items.size() || failure.get() != null) {
                laneEnded();
                return;
            }
            CompletableFuture<R> future;
            try {
                future = operation.apply(items.get(index));
            } catch (RuntimeException | Error e) {
                future = CompletableFuture.failedFuture(e);
            }
            if (!future.isDone()) {
                future.whenComplete((result, error) -> {
                    record(index, result, error);
                    runLane();
                });
                return;
            }
            R result = null;
            Throwable error = null;
            try {
                result = future.join();
            } catch (RuntimeException e) {
                error = e;
            }
            record(index, result, error);
        }
    }

    private void record(int index, R result, Throwable error) {
        if (error == null) {
            results[index] = result;
        } else {
            failure.compareAndSet(null, Futures.cause(error));
        }
    }

    @SuppressWarnings("unchecked")
    private void laneEnded() {
        if (lanesRunning.decrementAndGet() > 0) {
            return;
        }
        Throwable error = failure.get();
        if (error != null) {
            done.completeExceptionally(error);
        } else {
            done.complete((List<R>) Arrays.asList(results));
        }
    }
}
