package io.modbackup.core.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.testkit.provider.FaultInjectingProvider;
import io.modbackup.testkit.provider.FaultRule;
import io.modbackup.testkit.provider.FaultRule.Operation;
import io.modbackup.testkit.provider.InMemoryProvider;
import io.modbackup.core.async.Futures;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** The retry policy, attempt by attempt: how often, what is retried, and what never is. */
class RetryingProviderTest {
    private static final int ATTEMPTS = 4;
    private final InMemoryProvider store = new InMemoryProvider();
    private final FaultInjectingProvider faults = new FaultInjectingProvider(store, 7);
    private final BackupProvider retrying = new RetryingProvider(faults, ATTEMPTS, Duration.ofMillis(1));
    private static final byte[] DATA = "chunk bytes".getBytes(StandardCharsets.UTF_8);

    private static Throwable failure(java.util.concurrent.CompletableFuture<?> future) {
        return Futures.cause(assertThrows(ExecutionException.class, future::get));
    }

    @Test
    void aTransientFailureIsRetriedUntilItPassesAndTheBytesArriveWhole() throws Exception {
        faults.addRule(FaultRule.fail(Operation.PUT).times(ATTEMPTS - 1));
        retrying.putObject("k", new ByteArrayInputStream(DATA), DATA.length).get();
        assertEquals(ATTEMPTS - 1, faults.faultsInjected("k"));
        assertEquals(ATTEMPTS, faults.callCount(Operation.PUT), "three failures, then the fourth try");
        try (InputStream in = store.getObject("k").get()) {
            assertArrayEquals(DATA, in.readAllBytes(), "the stream was reset before each try");
        }
    }

    @Test
    void aBatchDeleteThatFailsIsCarriedThroughKeyByKeyWithRetries() throws Exception {
        java.util.List<String> keys = new java.util.ArrayList<>();
        for (int i = 0; i < 200; i++) {
            keys.add("k" + i);
            store.putObject("k" + i, new ByteArrayInputStream(DATA), DATA.length).get();
        }
        // One delete in 20 fails: a batch of 200 nearly always fails, each key alone soon passes.
        faults.addRule(FaultRule.fail(Operation.DELETE).withProbability(0.05));
        retrying.deleteObjects(keys).get();
        assertEquals(0, store.size(), "every key deleted");
        assertTrue(faults.faultsInjected() > 0);

        faults.clearRules();
        store.putObject("stuck", new ByteArrayInputStream(DATA), DATA.length).get();
        faults.addRule(FaultRule.fail(Operation.DELETE).forKeys("stuck"));
        Throwable error = failure(retrying.deleteObjects(java.util.List.of("stuck")));
        assertTrue(error.getMessage().contains("stuck"), error.getMessage());
        assertEquals(1 + ATTEMPTS, faults.faultsInjected("stuck"), "the batch once, then the key " + ATTEMPTS + " times");
    }

    @Test
    void aPersistentFailureIsTriedExactlyTheGivenNumberOfTimes() {
        faults.addRule(FaultRule.fail(Operation.GET));
        Throwable error = failure(retrying.getObject("k"));
        assertEquals(ATTEMPTS, faults.callCount(Operation.GET));
        assertTrue(error.getMessage().contains("injected failure of GET 'k'"), error.getMessage());
    }

    @Test
    void anInvalidArgumentIsNeverRetried() {
        BackupProvider refusing = new RetryingProvider(new io.modbackup.api.provider.ForwardingBackupProvider(new InMemoryProvider()) {
            @Override
            public java.util.concurrent.CompletableFuture<Boolean> hasKey(String key) {
                calls++;
                return java.util.concurrent.CompletableFuture.failedFuture(new IllegalArgumentException("bad key " + key));
            }
        }, ATTEMPTS, Duration.ofMillis(1));
        assertInstanceOf(IllegalArgumentException.class, failure(refusing.hasKey("../escape")));
        assertEquals(1, calls, "tried once");
    }

    private int calls;

    @Test
    void aPutWhoseStreamCannotBeResetIsTriedOnce() {
        faults.addRule(FaultRule.fail(Operation.PUT));
        InputStream oneShot = new FilterInputStream(new ByteArrayInputStream(DATA)) {
            @Override
            public boolean markSupported() {
                return false;
            }
        };
        failure(retrying.putObject("k", oneShot, DATA.length));
        assertEquals(1, faults.callCount(Operation.PUT), "a retry would send a half-read stream");
    }

    @Test
    void aPutThatFailsHalfwayIsRetriedFromWhereTheCallersStreamStood() throws Exception {
        java.util.concurrent.atomic.AtomicInteger attempts = new java.util.concurrent.atomic.AtomicInteger();
        BackupProvider halfway = new RetryingProvider(new io.modbackup.api.provider.ForwardingBackupProvider(store) {
            @Override
            public java.util.concurrent.CompletableFuture<Void> putObject(String key, InputStream in, long length) {
                if (attempts.incrementAndGet() == 1) {
                    try {
                        in.readNBytes(4);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    return java.util.concurrent.CompletableFuture.failedFuture(new java.io.IOException("connection reset"));
                }
                return super.putObject(key, in, length);
            }
        }, ATTEMPTS, Duration.ofMillis(1));
        byte[] prefixed = ("xyz" + new String(DATA, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
        InputStream in = new java.io.BufferedInputStream(new ByteArrayInputStream(prefixed));
        assertEquals(3, in.readNBytes(3).length, "the caller had read past a header");
        halfway.putObject("k", in, DATA.length).get();
        assertEquals(2, attempts.get());
        try (InputStream stored = store.getObject("k").get()) {
            assertArrayEquals(DATA, stored.readAllBytes(), "the retry sent the bytes from where the first try began");
        }
    }

    @Test
    void aStreamThatCannotRewindFailsThePutWithItsOwnErrorAndNeverReachesTheStore() {
        InputStream stuck = new FilterInputStream(new ByteArrayInputStream(DATA)) {
            @Override
            public synchronized void reset() throws java.io.IOException {
                throw new java.io.IOException("cannot rewind");
            }
        };
        Throwable error = failure(retrying.putObject("k", stuck, DATA.length));
        assertInstanceOf(java.io.IOException.class, error);
        assertEquals("cannot rewind", error.getMessage());
        assertEquals(0, faults.callCount(Operation.PUT));
    }

    @Test
    void oneAttemptMeansNoRetryAndFewerIsRefused() {
        faults.addRule(FaultRule.fail(Operation.GET));
        failure(new RetryingProvider(faults, 1, Duration.ofMillis(1)).getObject("k"));
        assertEquals(1, faults.callCount(Operation.GET));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new RetryingProvider(faults, 0, Duration.ofMillis(1)));
        assertEquals("attempts must be at least 1, got 0", e.getMessage());
    }

    @Test
    void retriesWithoutAPauseStillHappen() throws Exception {
        faults.addRule(FaultRule.fail(Operation.PUT).times(2));
        new RetryingProvider(faults, 3, Duration.ZERO).putObject("k", new ByteArrayInputStream(DATA), DATA.length)
                .get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(3, faults.callCount(Operation.PUT));
    }

    @Test
    void anErrorIsNeverRetried() {
        BackupProvider dying = new RetryingProvider(new io.modbackup.api.provider.ForwardingBackupProvider(new InMemoryProvider()) {
            @Override
            public java.util.concurrent.CompletableFuture<Boolean> hasKey(String key) {
                calls++;
                return java.util.concurrent.CompletableFuture.failedFuture(new OutOfMemoryError("simulated"));
            }
        }, ATTEMPTS, Duration.ofMillis(1));
        assertInstanceOf(OutOfMemoryError.class, failure(dying.hasKey("k")));
        assertEquals(1, calls, "tried once");
    }
}
