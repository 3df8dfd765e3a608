package io.modbackup.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.bucket4j.BlockingStrategy;
import io.github.bucket4j.TimeMeter;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The token buckets behind the transfer limits, on a clock the test moves (a wait moves it by what the
 * bucket asked to wait): a limited transfer's rate is its limit, and a new limit applies to what follows.
 */
class TransferLimitsTest {
    private final AtomicLong now = new AtomicLong();
    private final TimeMeter clock = new TimeMeter() {
        @Override
        public long currentTimeNanos() {
            return now.get();
        }

        @Override
        public boolean isWallClockBased() {
            return false;
        }
    };
    private final BlockingStrategy waitMovesTheClock = now::addAndGet;

    @Test
    void aLimitedUploadGoesAtItsLimitAndANewLimitAppliesToWhatFollows() {
        TransferLimits limits = new TransferLimits(clock, waitMovesTheClock);
        limits.acquireUpload(50_000_000); // unlimited: no wait
        assertEquals(0, now.get());

        limits.setUpload(100_000);
        for (int i = 0; i < 100; i++) {
            limits.acquireUpload(10_000); // 1 MB in 10 KB reads
        }
        double seconds = now.get() / 1e9;
        assertEquals(10.0, seconds, 0.01, "1 MB at 100 KB/s");
        assertEquals(1_000_000, limits.uploadedLimited());
        assertEquals(now.get(), limits.uploadWaitNanos());

        long before = now.get();
        limits.setUpload(400_000);
        limits.acquireUpload(2_000_000); // more than a second's worth in one call: taken a second's worth at a time
        assertEquals(5.0, (now.get() - before) / 1e9, 0.01, "2 MB at 400 KB/s");

        limits.setUpload(0);
        before = now.get();
        limits.acquireUpload(10_000_000);
        assertEquals(before, now.get(), "the limit lifted");
        assertEquals(0, limits.downloadWaitNanos(), "downloads have their own limit");
    }

    @Test
    void aNegativeLimitIsRefused() {
        TransferLimits limits = new TransferLimits(clock, waitMovesTheClock);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> limits.setDownload(-1));
        assertEquals("a transfer limit is 0 (none) or a positive number of bytes per second, got -1", e.getMessage());
    }
}
