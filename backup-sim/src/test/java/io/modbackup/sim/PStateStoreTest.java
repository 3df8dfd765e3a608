package io.modbackup.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * A closed PState store refuses calls with a named error. Before, a microbatch step that raced a
 * module's close reached a freed RocksDB handle and aborted the JVM ("pthread lock: Invalid
 * argument", exit 134) in CI.
 */
class PStateStoreTest {
    @TempDir
    Path dir;

    @Test
    void everyCallOnAClosedStoreFailsNamingTheStoreAndCloseIsIdempotent() {
        PStateStore store = PStateStore.open(dir.resolve("store"), List.of("counts"));
        store.commit(Map.of("counts", Map.of("a", "1")), Map.of("m/d/0", 1L), Map.of(), 1L);
        store.close();
        store.close();
        List<Executable> calls = List.of(
                store::progress,
                () -> store.get("counts", "a"),
                () -> store.content("counts"),
                () -> store.commit(Map.of(), Map.of(), Map.of(), 2L),
                () -> store.pin(dir.resolve("pin"), "pstates/counts"),
                store::flush,
                store::settle,
                store::liveSstFiles);
        for (Executable call : calls) {
            IllegalStateException e = assertThrows(IllegalStateException.class, call);
            assertEquals("PState store " + dir.resolve("store") + " is closed", e.getMessage());
        }
        try (PStateStore reopened = PStateStore.open(dir.resolve("store"), List.of("counts"))) {
            assertEquals(1, reopened.progress().commitId());
            assertEquals("1", reopened.get("counts", "a"));
        }
    }

    @Test
    void closingWhileOtherThreadsCommitEndsEachCommitOrRefusesItAndTheCommittedStateReopens() throws Exception {
        int writers = 4;
        PStateStore store = PStateStore.open(dir.resolve("store"), List.of("counts"));
        CountDownLatch everyWriterCommitted = new CountDownLatch(writers);
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        List<Future<Long>> results = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            String key = "writer-" + w;
            results.add(pool.submit(() -> {
                long committed = 0;
                try {
                    while (true) {
                        store.commit(Map.of("counts", Map.of(key, Long.toString(committed + 1))), Map.of(), Map.of(), null);
                        committed++;
                        if (committed == 1) {
                            everyWriterCommitted.countDown();
                        }
                    }
                } catch (IllegalStateException e) {
                    assertTrue(e.getMessage().endsWith(" is closed"), e.getMessage());
                    return committed;
                }
            }));
        }
        everyWriterCommitted.await();
        store.close();
        pool.shutdown();
        assertTrue(pool.awaitTermination(1, TimeUnit.MINUTES));
        try (PStateStore reopened = PStateStore.open(dir.resolve("store"), List.of("counts"))) {
            for (int w = 0; w < writers; w++) {
                long committed = results.get(w).get();
                assertTrue(committed >= 1);
                assertEquals(Long.toString(committed), reopened.get("counts", "writer-" + w));
            }
        }
    }
}
