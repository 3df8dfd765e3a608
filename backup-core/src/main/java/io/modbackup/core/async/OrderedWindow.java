package io.modbackup.core.async;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Runs one asynchronous operation per item, starting them in order, and hands the results to a
 * consumer in the same order, with at most {@code window} items started and not yet consumed. Memory
 * is bounded by the window however many items there are: a slow item holds back the start of items
 * more than a window behind it, instead of letting finished results pile up. This is what lets a task
 * of any number of files be backed up while its file list is written out as it goes.
 *
 * <p>The consumer runs on whichever thread completed the item it is given (or the caller's), one call
 * at a time. The result completes once every item was consumed, or exceptionally with the first
 * failure (of an operation or of the consumer) once every operation already started has ended; no
 * item is started after a failure.
 */
public final class OrderedWindow<T, R> {
    private final Iterator<T> items;
    private final int window;
    private final Function<? super T, CompletableFuture<R>> operation;
    private final Consumer<? super R> consumer;
    private final Runnable onStall;
    private final Deque<CompletableFuture<R>> started = new ArrayDeque<>();
    private final AtomicInteger pending = new AtomicInteger();
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private Throwable failure;
    private boolean exhausted;

    private OrderedWindow(Iterator<T> items, int window, Function<? super T, CompletableFuture<R>> operation,
                          Consumer<? super R> consumer, Runnable onStall) {
        this.items = items;
        this.window = window;
        this.operation = operation;
        this.consumer = consumer;
        this.onStall = onStall;
    }

    /**
     * Starts the operations and completes when every result was consumed.
     *
     * @param window at least 1
     */
    public static <T, R> CompletableFuture<Void> run(Iterator<T> items, int window,
                                                     Function<? super T, CompletableFuture<R>> operation,
                                                     Consumer<? super R> consumer) {
        return run(items, window, operation, consumer, () -> { });
    }

    /**
     * {@link #run(Iterator, int, Function, Consumer)}, calling {@code onStall} each time the run can start
     * nothing more (the window is full, every item was started, or one failed) while the item at its head
     * is not done. For operations that complete only once something batches them (a pack of small files that is
     * sent when full): {@code onStall} sends what is batched, or the run would wait for ever. It runs on
     * the thread pumping the window, may be called again before what it started ends, and must not block.
     *
     * @param window at least 1
     */
    public static <T, R> CompletableFuture<Void> run(Iterator<T> items, int window,
                                                     Function<? super T, CompletableFuture<R>> operation,
                                                     Consumer<? super R> consumer, Runnable onStall) {
        if (window < 1) {
            throw new IllegalArgumentException("window must be at least 1, got " + window);
        }
        OrderedWindow<T, R> run = new OrderedWindow<>(items, window, operation, consumer, onStall);
        run.pump();
        return run.done;
    }

    /**
     * Consumes finished results at the head, starts items while the window has room, and ends the run
     * when nothing is left. Re-entrant calls (a completion while pumping) only ask for one more pass.
     */
    private void pump() {
        if (pending.getAndIncrement() > 0) {
            return;
        }
        do {
            step();
        } while (pending.decrementAndGet() > 0);
    }

    private void step() {
        while (true) {
            CompletableFuture<R> head = started.peekFirst();
            if (head != null && head.isDone()) {
                started.pollFirst();
                if (failure == null) {
                    try {
                        consumer.accept(head.join());
                    } catch (RuntimeException | Error e) {
                        failure = Futures.cause(e);
                    }
                }
                continue;
            }
            if (failure == null && !exhausted && started.size() < window) {
                if (!items.hasNext()) {
                    exhausted = true;
                    continue;
                }
                CompletableFuture<R> future;
                try {
                    future = operation.apply(items.next());
                } catch (RuntimeException | Error e) {
                    future = CompletableFuture.failedFuture(e);
                }
                started.addLast(future);
                if (!future.isDone()) {
                    future.whenComplete((result, error) -> pump());
                }
                continue;
            }
            break;
        }
        // A failed operation anywhere in the window stops the starting of new items.
        if (failure == null) {
            for (CompletableFuture<R> future : started) {
                if (future.isCompletedExceptionally()) {
                    try {
                        future.join();
                    } catch (RuntimeException e) {
                        failure = Futures.cause(e);
                    }
                    break;
                }
            }
            if (failure != null) {
                step();
                return;
            }
        }
        CompletableFuture<R> head = started.peekFirst();
        if (head != null && !head.isDone() && (failure != null || exhausted || started.size() >= window)) {
            try {
                onStall.run();
            } catch (RuntimeException | Error e) {
                failure = failure != null ? failure : Futures.cause(e);
            }
        }
        boolean allEnded = started.stream().allMatch(CompletableFuture::isDone);
        if (failure != null && allEnded) {
            started.clear();
            done.completeExceptionally(failure);
        } else if (failure == null && exhausted && started.isEmpty()) {
            done.complete(null);
        }
    }
}
