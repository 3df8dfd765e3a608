package io.modbackup.testkit.provider;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.provider.BackupProvider;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BiFunction;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link BackupProvider#createObject} and {@link BackupProvider#createFile}, part of
 * {@link BackupProviderContractTest}: a create stores only where no object is, says which happened,
 * and, on a provider that claims {@link BackupProvider#atomicCreate()}, exactly one of many writers
 * racing for one key wins (a provider that does not claim it is held to the weaker promise: the object
 * is one winner's, whole).
 */
interface ConditionalCreateContract {
    /** Writers racing for each key. */
    int RACERS = 8;
    /** Keys raced for, one after another: a race that goes one way by luck is repeated. */
    int RACES = 6;

    /** The provider under test. */
    BackupProvider provider();

    /** A fresh scratch directory. */
    Path scratchDirectory();

    /**
     * Whether the races must have exactly one winner: the provider's {@link BackupProvider#atomicCreate()}.
     * A test whose server is weaker than the store the provider is made for (an emulator that checks, then
     * writes) overrides this with false and says why; the weaker promise is still checked.
     */
    default boolean expectAtomicCreate() {
        return provider().atomicCreate();
    }

    /** Waits for {@code future}, failing the test when it fails or hangs. */
    <T> T await(CompletableFuture<T> future);

    @Test
    @DisplayName("createObject stores where no object is, and leaves an existing object untouched")
    default void createStoresOnlyWhereAbsent() throws IOException {
        byte[] first = content(1, 10_000);
        byte[] second = content(2, 20_000);
        assertTrue(await(provider().createObject("claims/one", new ByteArrayInputStream(first), first.length)),
                "the first create of a key must create it");
        assertFalse(await(provider().createObject("claims/one", new ByteArrayInputStream(second), second.length)),
                "a create of an existing key must say it did not create it");
        assertArrayEquals(first, read("claims/one"), "a create must not replace an existing object");
        assertEquals(first.length, await(provider().objectSize("claims/one")));

        provider().putObject("claims/two", new ByteArrayInputStream(second), second.length).join();
        assertFalse(await(provider().createObject("claims/two", new ByteArrayInputStream(first), first.length)),
                "a create must see an object written by a put");
        assertArrayEquals(second, read("claims/two"));
    }

    @Test
    @DisplayName("createFile stores where no object is, and leaves an existing object untouched")
    default void createFileStoresOnlyWhereAbsent() throws IOException {
        Path one = Files.write(scratchDirectory().resolve("one"), content(3, 300_000));
        Path two = Files.write(scratchDirectory().resolve("two"), content(4, 1000));
        assertTrue(await(provider().createFile("claims/file", one)));
        assertFalse(await(provider().createFile("claims/file", two)));
        assertArrayEquals(Files.readAllBytes(one), read("claims/file"));
        assertTrue(await(provider().createFile("claims/empty", Files.write(scratchDirectory().resolve("empty"), new byte[0]))));
        assertArrayEquals(new byte[0], read("claims/empty"));
    }

    @Test
    @DisplayName("8 writers racing to create one key: exactly one wins and the object is its bytes (repeated for 6 keys)")
    default void racingCreatesHaveOneWinner() {
        raceFor("race/object-", (key, i) -> {
            byte[] bytes = content(i, 48_000 + i);
            return new Racer(bytes, () -> provider().createObject(key, new ByteArrayInputStream(bytes), bytes.length));
        });
    }

    @Test
    @DisplayName("8 writers racing to create one key from files: exactly one wins and the object is its file")
    default void racingFileCreatesHaveOneWinner() {
        raceFor("race/file-", (key, i) -> {
            byte[] bytes = content(100 + i, 96_000 + i);
            Path file;
            try {
                file = Files.write(scratchDirectory().resolve("racer-" + i + "-" + System.nanoTime()), bytes);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return new Racer(bytes, () -> provider().createFile(key, file));
        });
    }

    @Test
    @DisplayName("creates deferred to a barrier store only where no object is, and read back whole after it")
    default void deferredCreatesAreWholeAfterBarrier() throws IOException {
        BackupProvider.Durability later = BackupProvider.Durability.AT_BARRIER;
        await(provider().barrier()); // nothing pending: completes
        byte[] first = content(5, 70_000);
        byte[] second = content(6, 20_000);
        assertTrue(await(provider().createObject("deferred/one", new ByteArrayInputStream(first), first.length, later)));
        assertFalse(await(provider().createObject("deferred/one", new ByteArrayInputStream(second), second.length, later)),
                "a deferred create must see an object a deferred create stored");
        Path file = Files.write(scratchDirectory().resolve("deferred"), content(7, 300_000));
        assertTrue(await(provider().createFile("deferred/file", file, later)));
        assertFalse(await(provider().createFile("deferred/file", Files.write(scratchDirectory().resolve("other"),
                second), later)));
        provider().putObject("deferred/put", new ByteArrayInputStream(second), second.length).join();
        assertFalse(await(provider().createObject("deferred/put", new ByteArrayInputStream(first), first.length, later)),
                "a deferred create must see an object written by a put");
        assertTrue(await(provider().hasKey("deferred/one")), "a deferred create is visible before the barrier");
        await(provider().barrier());
        assertArrayEquals(first, read("deferred/one"));
        assertArrayEquals(Files.readAllBytes(file), read("deferred/file"));
        assertArrayEquals(second, read("deferred/put"));
        assertEquals(first.length, await(provider().objectSize("deferred/one")));
        await(provider().barrier()); // again, with nothing new
    }

    @Test
    @DisplayName("8 writers racing to create one key deferred to a barrier: exactly one wins")
    default void racingDeferredCreatesHaveOneWinner() {
        raceFor("race/deferred-", (key, i) -> {
            byte[] bytes = content(200 + i, 40_000 + i);
            return new Racer(bytes, () -> provider().createObject(key, new ByteArrayInputStream(bytes), bytes.length,
                    BackupProvider.Durability.AT_BARRIER));
        });
        await(provider().barrier());
    }

    /** One writer of a race: its bytes and the create it issues. */
    record Racer(byte[] bytes, java.util.function.Supplier<CompletableFuture<Boolean>> create) {
    }

    private void raceFor(String keyPrefix, BiFunction<String, Integer, Racer> racerOf) {
        ExecutorService starters = Executors.newFixedThreadPool(RACERS);
        try {
            for (int race = 0; race < RACES; race++) {
                String key = keyPrefix + race;
                List<Racer> racers = IntStream.range(0, RACERS).mapToObj(i -> racerOf.apply(key, i)).toList();
                CountDownLatch ready = new CountDownLatch(RACERS);
                CountDownLatch go = new CountDownLatch(1);
                List<CompletableFuture<CompletableFuture<Boolean>>> issued = new ArrayList<>();
                for (Racer racer : racers) {
                    issued.add(CompletableFuture.supplyAsync(() -> {
                        ready.countDown();
                        try {
                            go.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new IllegalStateException(e);
                        }
                        return racer.create().get();
                    }, starters));
                }
                try {
                    ready.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
                go.countDown();
                List<Integer> winners = new ArrayList<>();
                for (int i = 0; i < RACERS; i++) {
                    if (await(await(issued.get(i)))) {
                        winners.add(i);
                    }
                }
                byte[] stored = read(key);
                if (expectAtomicCreate()) {
                    assertEquals(1, winners.size(), "racers that created " + key + " (exactly one may): " + winners);
                    assertArrayEquals(racers.get(winners.get(0)).bytes(), stored, key + " must hold its one creator's bytes");
                } else {
                    assertFalse(winners.isEmpty(), "no racer created " + key);
                    assertTrue(winners.stream().anyMatch(i -> Arrays.equals(racers.get(i).bytes(), stored)),
                            key + " must hold the bytes of a racer that created it, whole");
                }
            }
        } finally {
            starters.shutdownNow();
        }
    }

    private byte[] read(String key) {
        InputStream in = await(provider().getObject(key));
        assertNotNull(in, "no object under '" + key + "'");
        try (in) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] content(int seed, int length) {
        byte[] bytes = new byte[length];
        new java.util.Random(seed).nextBytes(bytes);
        return bytes;
    }
}
