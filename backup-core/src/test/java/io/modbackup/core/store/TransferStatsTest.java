package io.modbackup.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What a backup counts, counted from many threads at once. */
class TransferStatsTest {
    @Test
    void everyCountAddsUpAcrossThreads() throws Exception {
        TransferStats stats = new TransferStats();
        ExecutorService threads = Executors.newFixedThreadPool(4);
        for (int i = 0; i < 1000; i++) {
            threads.execute(() -> {
                stats.read(3);
                stats.added(2);
                stats.uploaded();
                stats.reused(5);
                stats.fileReused();
            });
        }
        threads.shutdown();
        threads.awaitTermination(10, TimeUnit.SECONDS);
        assertEquals(List.of(3000L, 2000L, 1000L, 5000L, 1000L), List.of(stats.bytesRead(), stats.newBytes(),
                stats.chunksUploaded(), stats.chunksReused(), stats.filesReused()));
    }
}
