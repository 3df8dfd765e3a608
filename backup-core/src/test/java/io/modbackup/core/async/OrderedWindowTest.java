package io.modbackup.core.async;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class OrderedWindowTest {
    private static final List<Integer> HUNDRED = IntStream.range(0, 100).boxed().toList();

    @Test
    void consumesInOrderAndNeverStartsMoreThanAWindowAheadOfTheConsumer() {
        Map<Integer, CompletableFuture<Integer>> started = new ConcurrentHashMap<>();
        List<Integer> consumed = new ArrayList<>();
        CompletableFuture<Void> done = OrderedWindow.run(HUNDRED.iterator(), 5, item -> {
            CompletableFuture<Integer> future = new CompletableFuture<>();
            started.put(item, future);
            return future;
        }, consumed::add);
        assertEquals(5, started.size(), "a window is started up front");
        // Items 1-4 finish, item 0 does not: nothing is consumed and nothing more starts.
        for (int i = 1; i < 5; i++) {
            started.get(i).complete(i);
        }
        assertEquals(List.of(), consumed);
        assertEquals(5, started.size(), "a slow head holds back new starts instead of piling up results");
        started.get(0).complete(0);
        assertEquals(List.of(0, 1, 2, 3, 4), consumed);
        assertEquals(10, started.size());
        // Finish the rest out of order: always the newest started item first.
        while (!done.isDone()) {
            int newest = started.keySet().stream().filter(i -> !started.get(i).isDone()).max(Integer::compare).orElseThrow();
            started.get(newest).complete(newest);
        }
        assertTrue(done.isDone());
        assertEquals(HUNDRED, consumed);
    }

    @Test
    void operationsThatOnlyABatchCompletesAreSentByTheStallHookWhenTheWindowIsFullOrTheItemsRunOut() {
        // Each operation waits in a batch that nothing sends but the stall hook: the run ends only through it.
        List<CompletableFuture<Integer>> batch = new ArrayList<>();
        List<Integer> batchSizes = new ArrayList<>();
        List<Integer> consumed = new ArrayList<>();
        List<Integer> items = IntStream.range(0, 7).boxed().toList();
        CompletableFuture<Void> done = OrderedWindow.run(items.iterator(), 3, item -> {
            CompletableFuture<Integer> future = new CompletableFuture<>();
            batch.add(future);
            return future.thenApply(v -> item);
        }, consumed::add, () -> {
            List<CompletableFuture<Integer>> sent = new ArrayList<>(batch);
            batch.clear();
            if (!sent.isEmpty()) {
                batchSizes.add(sent.size());
            }
            sent.forEach(future -> future.complete(0));
        });
        assertTrue(done.isDone());
        assertEquals(items, consumed, "in order");
        assertEquals(List.of(3, 3, 1), batchSizes, "a full window twice, then the last item once the items ran out");
    }

    @Test
    void aFailureStillCallsTheStallHookSoTheStartedOperationsEnd() {
        List<CompletableFuture<Integer>> batch = new ArrayList<>();
        CompletableFuture<Void> done = OrderedWindow.run(List.of(0, 1, 2).iterator(), 5, item -> {
            if (item == 1) {
                return CompletableFuture.failedFuture(new IllegalStateException("item 1"));
            }
            CompletableFuture<Integer> future = new CompletableFuture<>();
            batch.add(future);
            return future;
        }, item -> { }, () -> {
            List<CompletableFuture<Integer>> sent = new ArrayList<>(batch);
            batch.clear();
            sent.forEach(future -> future.complete(0));
        });
        CompletionException e = assertThrows(CompletionException.class, done::join);
        assertEquals("item 1", e.getCause().getMessage());
    }

    @Test
    void operationsThatCompleteAtOnceRunWithoutDeepRecursion() {
        List<Integer> consumed = new ArrayList<>();
        List<Integer> many = IntStream.range(0, 200_000).boxed().toList();
        OrderedWindow.run(many.iterator(), 3, CompletableFuture::completedFuture, consumed::add).join();
        assertEquals(200_000, consumed.size());
    }

    @Test
    void aFailureStopsNewStartsAndIsReportedOnceTheStartedOnesEnd() {
        Map<Integer, CompletableFuture<Integer>> started = new ConcurrentHashMap<>();
        List<Integer> consumed = new ArrayList<>();
        CompletableFuture<Void> done = OrderedWindow.run(HUNDRED.iterator(), 4, item -> {
            CompletableFuture<Integer> future = new CompletableFuture<>();
            started.put(item, future);
            return future;
        }, consumed::add);
        started.get(2).completeExceptionally(new IllegalStateException("item 2 failed"));
        started.get(0).complete(0);
        assertFalse(done.isDone(), "items 1 and 3 are still running");
        started.get(1).complete(1);
        started.get(3).complete(3);
        assertEquals(4, started.size(), "nothing started after the failure");
        CompletionException e = assertThrows(CompletionException.class, done::join);
        assertEquals("item 2 failed", e.getCause().getMessage());
        assertTrue(consumed.size() <= 2 && consumed.equals(List.of(0, 1).subList(0, consumed.size())),
                "only what came before the failure may have been consumed, in order: " + consumed);
    }

    @Test
    void aConsumerThatThrowsFailsTheRun() {
        CompletableFuture<Void> done = OrderedWindow.run(HUNDRED.iterator(), 4, CompletableFuture::completedFuture, item -> {
            if (item == 10) {
                throw new IllegalArgumentException("out of order at 10");
            }
        });
        CompletionException e = assertThrows(CompletionException.class, done::join);
        assertEquals("out of order at 10", e.getCause().getMessage());
    }
}
