package io.modbackup.core.store;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BlockingStrategy;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.TimeMeter;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A process's limits on the bytes it moves to and from the store per second, one token bucket each
 * (Bucket4j; a second's worth of bytes may go at once), changed while transfers run: the engine sets them
 * from a module's dynamic options when an operation starts ({@code backup.upload.bytes.per.second},
 * {@code backup.restore.bytes.per.second}), so a change applies to the next operation without a restart. 0
 * means unlimited. {@link RateLimitedProvider} takes the tokens. Thread-safe.
 */
public final class TransferLimits {
    private final TimeMeter time;
    private final BlockingStrategy waiting;
    private final Limit upload = new Limit();
    private final Limit download = new Limit();

    /** Limits on the system's clock, waiting by parking the thread. */
    public TransferLimits() {
        this(TimeMeter.SYSTEM_NANOTIME, BlockingStrategy.PARKING);
    }

    /** Limits on {@code time}, waiting with {@code waiting} (a test's clock and a wait that moves it). */
    public TransferLimits(TimeMeter time, BlockingStrategy waiting) {
        this.time = time;
        this.waiting = waiting;
    }

    /** Uploads at most {@code bytesPerSecond} from now on; 0 lifts the limit. */
    public void setUpload(long bytesPerSecond) {
        upload.set(bytesPerSecond);
    }

    /** Downloads at most {@code bytesPerSecond} from now on; 0 lifts the limit. */
    public void setDownload(long bytesPerSecond) {
        download.set(bytesPerSecond);
    }

    /** The upload limit in force, 0 for none. */
    public long uploadLimit() {
        return upload.rate;
    }

    /** The download limit in force, 0 for none. */
    public long downloadLimit() {
        return download.rate;
    }

    /** Takes {@code bytes} of upload, waiting while the limit holds them back. */
    void acquireUpload(long bytes) {
        upload.acquire(bytes);
    }

    /** Takes {@code bytes} of download, waiting while the limit holds them back. */
    void acquireDownload(long bytes) {
        download.acquire(bytes);
    }

    /** Bytes uploaded under a limit so far, and how long the limit held them back in all (nanoseconds). */
    public long uploadedLimited() {
        return upload.bytes.get();
    }

    /** How long upload limits held transfers back in all, in nanoseconds of the limits' clock. */
    public long uploadWaitNanos() {
        return upload.waited.get();
    }

    /** Bytes downloaded under a limit so far. */
    public long downloadedLimited() {
        return download.bytes.get();
    }

    /** How long download limits held transfers back in all, in nanoseconds of the limits' clock. */
    public long downloadWaitNanos() {
        return download.waited.get();
    }

    /** One direction's bucket; null when unlimited. */
    private final class Limit {
        private volatile Bucket bucket;
        private volatile long rate;
        private final AtomicLong bytes = new AtomicLong();
        private final AtomicLong waited = new AtomicLong();

        synchronized void set(long bytesPerSecond) {
            if (bytesPerSecond < 0) {
                throw new IllegalArgumentException("a transfer limit is 0 (none) or a positive number of bytes per second, got "
                        + bytesPerSecond);
            }
            if (bytesPerSecond == rate) {
                return;
            }
            rate = bytesPerSecond;
            bucket = bytesPerSecond == 0 ? null : Bucket.builder().withCustomTimePrecision(time)
                    .addLimit(Bandwidth.builder().capacity(bytesPerSecond).refillGreedy(bytesPerSecond, Duration.ofSeconds(1))
                            .initialTokens(0).build())
                    .build();
        }

        void acquire(long n) {
            Bucket current = bucket;
            if (current == null || n <= 0) {
                return;
            }
            long before = time.currentTimeNanos();
            long left = n;
            try {
                while (left > 0) {
                    long slice = Math.min(left, rate);
                    current.asBlocking().consume(slice, waiting);
                    left -= slice;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while a transfer limit held it back", e);
            }
            bytes.addAndGet(n);
            waited.addAndGet(time.currentTimeNanos() - before);
        }
    }
}
