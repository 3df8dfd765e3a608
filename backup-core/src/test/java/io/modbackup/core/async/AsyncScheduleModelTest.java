package io.modbackup.core.async;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * {@link OrderedWindow} and {@link BoundedFanOut} under random schedules: random item counts, bounds,
 * completion orders, completions at once and failures, each checked against what the contract says
 * must happen. A failing schedule names its seed; {@code -Dmodbackup.model.seed=S} replays it alone.
 */
class AsyncScheduleModelTest {
    private static final int SCHEDULES = 400;

    /** The seeds to run: the one asked for, or a fixed series. */
    private static List<Long> seeds() {
        String one = System.getProperty("modbackup.model.seed");
        return one != null ? List.of(Long.parseLong(one)) : IntStream.range(0, SCHEDULES).mapToObj(i -> 7919L * i + 1).toList();
    }

    /** One schedule: which items fail, which complete at once, and in what order the rest complete. */
    private record Schedule(long seed, int items, int bound, boolean[] fails, boolean[] atOnce, Random order) {
        static Schedule of(long seed) {
            Random random = new Random(seed);
            int items = random.nextInt(40);
            boolean[] fails = new boolean[items];
            boolean[] atOnce = new boolean[items];
            double failure = random.nextBoolean() ? 0 : 0.1;
            for (int i = 0; i < items; i++) {
                fails[i] = random.nextDouble() < failure;
                atOnce[i] = random.nextDouble() < 0.3;
            }
            return new Schedule(seed, items, 1 + random.nextInt(8), fails, atOnce, random);
        }

        String describe() {
            return "seed " + seed + " (replay: -Dmodbackup.model.seed=" + seed + "): " + items + " items, bound " + bound;
        }
    }

    /** The operations a run started, as futures the schedule completes. */
    private static final class Started {
        final List<Integer> items = new ArrayList<>();
        final List<CompletableFuture<Integer>> futures = new ArrayList<>();
        final List<Integer> pending = new ArrayList<>();

        CompletableFuture<Integer> start(Schedule s, int item) {
            items.add(item);
            CompletableFuture<Integer> future = new CompletableFuture<>();
            futures.add(future);
            if (s.atOnce()[item]) {
                complete(s, item, future);
            } else {
                pending.add(item);
            }
            return future;
        }

        /** Completes one pending operation, chosen by the schedule; false when none is pending. */
        boolean completeOne(Schedule s) {
            if (pending.isEmpty()) {
                return false;
            }
            int item = pending.remove(s.order().nextInt(pending.size()));
            complete(s, item, futures.get(items.indexOf(item)));
            return true;
        }

        private static void complete(Schedule s, int item, CompletableFuture<Integer> future) {
            if (s.fails()[item]) {
                future.completeExceptionally(new IllegalStateException("item " + item + " failed"));
            } else {
                future.complete(item * 10);
            }
        }
    }

    @Test
    void anOrderedWindowConsumesInOrderWithinItsWindowAndStopsAtAFailure() {
        for (long seed : seeds()) {
            Schedule s = Schedule.of(seed);
            Started started = new Started();
            List<Integer> consumed = new ArrayList<>();
            int[] mostAhead = {0};
            CompletableFuture<Void> done = OrderedWindow.run(IntStream.range(0, s.items()).iterator(), s.bound(), item -> {
                CompletableFuture<Integer> future = started.start(s, item);
                mostAhead[0] = Math.max(mostAhead[0], started.items.size() - consumed.size());
                return future;
            }, consumed::add);
            while (started.completeOne(s)) {
                assertTrue(started.items.size() - consumed.size() <= s.bound(), s.describe() + ": more than the window ahead");
            }
            String what = s.describe();
            assertTrue(done.isDone(), what + ": every started operation ended, so the run did");
            assertTrue(mostAhead[0] <= s.bound(), what + ": " + mostAhead[0] + " started ahead of the consumer");
            assertEquals(IntStream.range(0, started.items.size()).boxed().toList(), started.items, what + ": started in order");
            int k = consumed.size();
            assertEquals(IntStream.range(0, k).map(i -> i * 10).boxed().toList(), consumed, what + ": results in the items' order");
            boolean anyStartedFailed = started.items.stream().anyMatch(i -> s.fails()[i]);
            if (!anyStartedFailed) {
                assertTrue(!done.isCompletedExceptionally(), what);
                assertEquals(s.items(), started.items.size(), what + ": every item started");
                assertEquals(s.items(), k, what + ": and consumed");
            } else {
                CompletionException e = org.junit.jupiter.api.Assertions.assertThrows(CompletionException.class, done::join, what);
                int reported = Integer.parseInt(e.getCause().getMessage().replaceAll("item (\\d+) failed", "$1"));
                assertTrue(s.fails()[reported] && started.items.contains(reported), what + ": reports a failed operation");
                assertTrue(IntStream.range(0, k).noneMatch(i -> s.fails()[i]) && reported >= k,
                        what + ": nothing consumed at or past the failure reported (item " + reported + ", " + k + " consumed)");
                assertTrue(started.items.size() <= k + s.bound(), what + ": nothing started after the failure was seen, "
                        + started.items.size() + " started, " + k + " consumed");
            }
        }
    }

    @Test
    void aBoundedFanOutKeepsItsBoundStartsInOrderAndReportsTheFirstFailureOnceTheStartedOnesEnd() {
        for (long seed : seeds()) {
            Schedule s = Schedule.of(seed);
            Started started = new Started();
            int[] mostOutstanding = {0};
            List<Throwable> failuresSeen = new ArrayList<>();
            int[] startedAtFirstFailure = {-1};
            List<Integer> items = IntStream.range(0, s.items()).boxed().toList();
            CompletableFuture<List<Integer>> done = BoundedFanOut.map(items, s.bound(), item -> {
                CompletableFuture<Integer> future = started.start(s, item);
                mostOutstanding[0] = Math.max(mostOutstanding[0], started.pending.size());
                future.whenComplete((r, e) -> {
                    if (e != null) {
                        if (failuresSeen.isEmpty()) {
                            startedAtFirstFailure[0] = started.items.size();
                        }
                        failuresSeen.add(e);
                    }
                });
                return future;
            });
            while (!started.pending.isEmpty()) {
                assertTrue(!done.isDone(), s.describe() + ": ended while operations were still running");
                started.completeOne(s);
            }
            String what = s.describe();
            assertTrue(done.isDone(), what);
            assertTrue(mostOutstanding[0] <= s.bound(), what + ": " + mostOutstanding[0] + " outstanding");
            assertEquals(IntStream.range(0, started.items.size()).boxed().toList(), started.items, what + ": started in order");
            if (failuresSeen.isEmpty()) {
                assertEquals(items.stream().map(i -> i * 10).toList(), done.join(), what + ": every result, in the items' order");
            } else {
                CompletionException e = org.junit.jupiter.api.Assertions.assertThrows(CompletionException.class, done::join, what);
                assertEquals(failuresSeen.get(0).getMessage(), e.getCause().getMessage(), what + ": the first failure");
                assertEquals(startedAtFirstFailure[0], started.items.size(), what + ": nothing started after it");
            }
        }
    }
}
