package io.modbackup.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The provider runs its own event loops (so that closing it does not wait out the SDK client's 2 s quiet
 * period): closing it, or failing to open it, ends every one of their threads.
 */
class S3BackupProviderCloseTest {
    private static final String EVENT_LOOP_THREADS = "aws-java-sdk-NettyEventLoop";

    @RegisterExtension
    static final S3ServerExtension S3 = S3ServerExtension.s3Proxy();

    @Test
    void closingTheProviderEndsEveryEventLoopThreadItStarted() throws Exception {
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        try (S3BackupProvider provider = new S3BackupProvider(S3.newBucketArgument("close"))) {
            provider.putObject("k", new ByteArrayInputStream(new byte[] {1, 2, 3}), 3).get();
            try (InputStream in = provider.getObject("k").get()) {
                assertArrayEquals(new byte[] {1, 2, 3}, in.readAllBytes());
            }
            assertFalse(startedSince(before).isEmpty(), "an open provider runs " + EVENT_LOOP_THREADS + " threads");
        }
        assertEquals(List.of(), stillRunning(startedSince(before)), "event loop threads still running after close");
    }

    @Test
    void aProviderThatCannotReachItsEndpointLeavesNoEventLoopThreadRunning() throws Exception {
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        assertThrows(IllegalArgumentException.class, () -> new S3BackupProvider("http://127.0.0.1:1/bucket-x"));
        assertEquals(List.of(), stillRunning(startedSince(before)), "event loop threads still running after a failed open");
    }

    /** The event loop threads started since {@code before}. */
    private static List<Thread> startedSince(Set<Thread> before) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> !before.contains(t) && t.getName().startsWith(EVENT_LOOP_THREADS)).toList();
    }

    /** The names of the threads of {@code started} still alive once each was given 10 s to end. */
    private static List<String> stillRunning(List<Thread> started) throws InterruptedException {
        for (Thread thread : started) {
            // A terminated event loop's thread may still be leaving its run method.
            thread.join(10_000);
        }
        return started.stream().filter(Thread::isAlive).map(Thread::getName).sorted().toList();
    }
}
