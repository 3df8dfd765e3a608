package io.modbackup.testkit.provider;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.testkit.provider.FaultRule.Operation;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FaultInjectingProviderTest {
    private final InMemoryProvider memory = new InMemoryProvider();
    private final FaultInjectingProvider provider = new FaultInjectingProvider(memory, 42);

    @AfterEach
    void close() {
        provider.close();
    }

    @Test
    void failRuleFailsOnlyMatchingKeysAndNeverCallsTheDelegate() throws Exception {
        provider.addRule(FaultRule.fail(Operation.PUT).forKeys("blobs/.*"));
        Throwable error = failure(put("blobs/aa", 3));
        assertInstanceOf(InjectedFaultException.class, error);
        assertTrue(error.getMessage().contains("blobs/aa"), error.getMessage());
        put("manifests/x", 3).get();
        assertEquals(1, memory.size(), "the failed put must not reach the delegate");
    }

    @Test
    void everyNthFailsExactlyTheNthCalls() throws Exception {
        provider.addRule(FaultRule.fail(Operation.HAS_KEY).everyNth(3));
        int failures = 0;
        for (int i = 0; i < 9; i++) {
            try {
                provider.hasKey("k" + i).get();
            } catch (ExecutionException e) {
                failures++;
                assertEquals(2, i % 3, "only calls 3, 6 and 9 fail");
            }
        }
        assertEquals(3, failures);
        assertEquals(9, provider.callCount(Operation.HAS_KEY));
        assertEquals(9, provider.callCount(Operation.ANY));
    }

    @Test
    void timesBoundsHowOftenARuleApplies() throws Exception {
        provider.addRule(FaultRule.fail(Operation.DELETE).times(2));
        assertInstanceOf(InjectedFaultException.class, failure(provider.deleteObject("a")));
        assertInstanceOf(InjectedFaultException.class, failure(provider.deleteObject("a")));
        provider.deleteObject("a").get();
        assertEquals(2, provider.faultsInjected());
    }

    @Test
    void probabilityWithASeedIsReproducible() {
        int first = countFailures(new FaultInjectingProvider(new InMemoryProvider(), 7));
        int second = countFailures(new FaultInjectingProvider(new InMemoryProvider(), 7));
        assertEquals(first, second, "the same seed gives the same schedule");
        assertTrue(first > 5 && first < 60, "about 10% of 300 calls fail, got " + first);
    }

    private static int countFailures(FaultInjectingProvider p) {
        p.addRule(FaultRule.fail(Operation.ANY).withProbability(0.1));
        int failures = 0;
        for (int i = 0; i < 300; i++) {
            try {
                p.hasKey("k").get();
            } catch (Exception e) {
                failures++;
            }
        }
        p.close();
        return failures;
    }

    @Test
    void truncatedGetEndsTheStreamEarlySilently() throws Exception {
        put("obj", 1000).get();
        provider.addRule(FaultRule.truncate(Operation.GET, 100));
        try (InputStream in = provider.getObject("obj").get()) {
            assertEquals(100, in.readAllBytes().length);
        }
        provider.clearRules();
        try (InputStream in = provider.getObject("obj").get()) {
            assertEquals(1000, in.readAllBytes().length);
        }
    }

    @Test
    void truncatedPutMakesTheDelegateFailAndStoresNothing() {
        provider.addRule(FaultRule.truncate(Operation.PUT, 10));
        failure(put("obj", 1000));
        assertEquals(0, memory.size());
    }

    @Test
    void delayedCallsStillComplete() throws Exception {
        provider.addRule(FaultRule.delay(Operation.ANY, Duration.ofMillis(20)));
        put("slow", 5).get();
        try (InputStream in = provider.getObject("slow").get()) {
            assertArrayEquals(new byte[5], in.readAllBytes());
        }
    }

    @Test
    void truncateIsOnlyForTransfers() {
        assertThrows(IllegalArgumentException.class, () -> FaultRule.truncate(Operation.DELETE, 1));
        assertThrows(IllegalArgumentException.class, () -> FaultRule.fail(Operation.PUT).withProbability(1.5));
    }

    private CompletableFuture<Void> put(String key, int size) {
        return provider.putObject(key, new ByteArrayInputStream(new byte[size]), size);
    }

    private static Throwable failure(CompletableFuture<?> future) {
        ExecutionException e = assertThrows(ExecutionException.class, future::get);
        return e.getCause();
    }
}
