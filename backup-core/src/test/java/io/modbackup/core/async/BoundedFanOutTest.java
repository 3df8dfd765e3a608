package io.modbackup.core.async;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BoundedFanOutTest {
    private static final List<Integer> HUNDRED = IntStream.range(0, 100).boxed().toList();

    @Test
    void neverHasMoreThanTheBoundOutstandingAndKeepsTheItemsOrder() {
        List<CompletableFuture<Integer>> pending = new ArrayList<>();
        AtomicInteger outstanding = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        CompletableFuture<List<Integer>> all = BoundedFanOut.map(HUNDRED, 7, item -> {
            peak.accumulateAndGet(outstanding.incrementAndGet(), Math::max);
            CompletableFuture<Integer> future = new CompletableFuture<>();
            synchronized (pending) {
                pending.add(future);
            }
            return future.whenComplete((v, e) -> outstanding.decrementAndGet());
        });
        assertEquals(7, pending.size(), "exactly the bound is started up front");
        // Completing in reverse order of starting still yields results in the items' order.
        for (int done = 0; done < 100; done++) {
            CompletableFuture<Integer> last;
            synchronized (pending) {
                last = pending.remove(pending.size() - 1);
            }
            assertFalse(all.isDone());
            last.complete(done);
        }
        assertEquals(7, peak.get());
        List<Integer> results = all.join();
        assertEquals(100, results.size());
        assertEquals(HUNDRED.size(), results.stream().distinct().count());
    }

    @Test
    void resultsFollowTheItemsNotTheCompletions() {
        List<Integer> results = BoundedFanOut.map(HUNDRED, 3,
                item -> CompletableFuture.supplyAsync(() -> item * 2)).join();
        assertEquals(HUNDRED.stream().map(i -> i * 2).toList(), results);
    }

    @Test
    void aMillionOperationsThatCompleteAtOnceDoNotGrowTheStack() {
        List<Integer> items = IntStream.range(0, 1_000_000).boxed().toList();
        assertEquals(items, BoundedFanOut.map(items, 2, CompletableFuture::completedFuture).join());
    }

    @Test
    void stopsStartingAfterTheFirstFailureAndWaitsForTheStartedOnes() {
        AtomicInteger started = new AtomicInteger();
        List<CompletableFuture<Integer>> pending = new ArrayList<>();
        IllegalStateException boom = new IllegalStateException("item 5 failed");
        CompletableFuture<List<Integer>> all = BoundedFanOut.map(HUNDRED, 4, item -> {
            started.incrementAndGet();
            if (item == 5) {
                throw boom;
            }
            CompletableFuture<Integer> future = new CompletableFuture<>();
            pending.add(future);
            return future;
        });
        // Items 0-3 are outstanding; complete them: 4 and 5 start, 5 throws, nothing after it starts.
        for (int i = 0; i < 4; i++) {
            pending.get(i).complete(i);
        }
        assertFalse(all.isDone(), "item 4 is still running");
        pending.get(4).complete(4);
        CompletionException failure = assertThrows(CompletionException.class, all::join);
        assertSame(boom, failure.getCause());
        assertTrue(started.get() <= 9, "at most one more per lane after the failure, started " + started.get());
    }

    @Test
    void aFailedFutureFailsTheWholeWithItsOwnError() {
        IllegalArgumentException boom = new IllegalArgumentException("bad");
        CompletableFuture<List<Integer>> all = BoundedFanOut.map(HUNDRED, 5,
                item -> item == 50 ? CompletableFuture.failedFuture(boom) : CompletableFuture.completedFuture(item));
        assertSame(boom, assertThrows(CompletionException.class, all::join).getCause());
    }

    @Test
    void anEmptyListCompletesAtOnceAndABoundBelowOneIsRefused() {
        assertEquals(List.of(), BoundedFanOut.map(List.of(), 4, CompletableFuture::completedFuture).join());
        assertThrows(IllegalArgumentException.class, () -> BoundedFanOut.map(HUNDRED, 0, CompletableFuture::completedFuture));
    }
}
