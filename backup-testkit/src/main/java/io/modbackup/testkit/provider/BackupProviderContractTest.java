package io.modbackup.testkit.provider;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.provider.BackupProvider.Direction;
import io.modbackup.api.provider.BackupProvider.KeysPage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The {@link BackupProvider} contract as a JUnit 5 suite. A provider author extends this class with
 * one factory method, {@link #createProvider()}, returning a provider over empty storage, and runs
 * it with their tests:
 *
 * <pre>{@code
 * class MyProviderContractTest extends BackupProviderContractTest {
 *     protected BackupProvider createProvider() { return new MyProvider(freshBucket()); }
 * }
 * }</pre>
 *
 * The large-object test streams {@link #largeObjectSize()} bytes (256 MiB by default); run the tests
 * with a heap well below that ({@code -Xmx192m}) to prove the provider streams. Each test gets a new
 * provider over empty storage and closes it afterwards.
 */
public abstract class BackupProviderContractTest implements ConditionalCreateContract {
    private static final long MIB = 1024 * 1024;

    /** The provider under test, fresh for each test. */
    protected BackupProvider provider;

    /** A scratch directory for file transfers, fresh for each test. */
    @TempDir
    protected Path scratch;

    /**
     * Returns a new provider over storage that holds no objects. Called once before each test; the
     * suite closes it after the test.
     */
    protected abstract BackupProvider createProvider() throws Exception;

    /**
     * Size of the object streamed by the large-object test. Providers that keep objects in memory may
     * lower it; others should keep the default of 256 MiB.
     */
    protected long largeObjectSize() {
        return 256 * MIB;
    }

    /** How long one provider operation may take before the suite calls it hung. */
    protected Duration operationTimeout() {
        return Duration.ofSeconds(60);
    }

    @BeforeEach
    void openProvider() throws Exception {
        provider = createProvider();
        assertNotNull(provider, "createProvider() returned null");
    }

    @AfterEach
    void closeProvider() {
        if (provider != null) {
            provider.close();
        }
    }

    // ---------------------------------------------------------------- basic operations

    @Test
    @DisplayName("an empty store lists nothing, has no key and returns null for any get")
    void emptyStore() {
        assertEquals(new KeysPage(List.of(), null), await(provider.listKeysRecursive("", null)));
        assertEquals(new KeysPage(List.of(), null), await(provider.listKeysNonRecursive("", null, 0)));
        assertFalse(await(provider.hasKey("nothing/here")));
        assertNull(await(provider.getObject("nothing/here")));
    }

    @Test
    @DisplayName("a 0-byte object round-trips")
    void emptyObjectRoundTrips() throws IOException {
        put("empty", new byte[0]);
        assertTrue(await(provider.hasKey("empty")));
        assertArrayEquals(new byte[0], get("empty"));
        assertEquals(List.of("empty"), await(provider.listKeysRecursive("", null)).keys());
    }

    @Test
    @DisplayName("a 1-byte object round-trips")
    void oneByteObjectRoundTrips() throws IOException {
        put("one/byte", new byte[] {42});
        assertArrayEquals(new byte[] {42}, get("one/byte"));
    }

    @Test
    @DisplayName("a large object streams through put and get with memory independent of its size")
    void largeObjectStreams() throws IOException {
        long size = largeObjectSize();
        DeterministicStream source = new DeterministicStream(size, 7);
        await(provider.putObject("large/object.bin", source, size), operationTimeout().multipliedBy(5));
        assertEquals(size, source.produced(), "the provider must read exactly the given length");
        byte[] expected = source.digest();
        try (InputStream in = await(provider.getObject("large/object.bin"))) {
            assertNotNull(in, "getObject returned null for an object just stored");
            assertArrayEquals(expected, sha256(in, size), "the bytes read back differ from the bytes stored");
        }
    }

    @Test
    @DisplayName("putFile and getFile round-trip a multi-MiB file; getFile of an absent key is false and creates nothing")
    void fileTransfersRoundTrip() throws IOException {
        byte[] content = new DeterministicStream(3 * MIB + 17, 11).readAllBytes();
        Path source = Files.write(scratch.resolve("source.bin"), content);
        await(provider.putFile("files/source.bin", source));
        Path target = scratch.resolve("target.bin");
        assertTrue(await(provider.getFile("files/source.bin", target)));
        assertArrayEquals(content, Files.readAllBytes(target));

        Path absent = scratch.resolve("absent.bin");
        assertFalse(await(provider.getFile("files/absent.bin", absent)));
        assertFalse(Files.exists(absent), "getFile of an absent key must not create the target");
    }

    @Test
    @DisplayName("getFile into a directory that does not exist fails: the caller's mistake is never 'absent'")
    void getFileIntoAMissingDirectoryFails() {
        put("files/present", new byte[] {1, 2, 3});
        Path target = scratch.resolve("no-such-directory").resolve("target.bin");
        Throwable error = awaitFailure(provider.getFile("files/present", target));
        assertFalse(error instanceof IllegalArgumentException, "a storage failure, not an invalid argument: " + error);
        assertFalse(Files.exists(target.getParent()), "getFile creates no directory");
    }

    @Test
    @DisplayName("objectSize is the stored size, -1 for an absent key, and follows overwrites")
    void objectSizeFollowsPuts() {
        put("sizes/empty", new byte[0]);
        put("sizes/three-mib", new DeterministicStream(3 * MIB + 5, 9).readAllBytesUnchecked());
        assertEquals(0L, await(provider.objectSize("sizes/empty")));
        assertEquals(3 * MIB + 5, await(provider.objectSize("sizes/three-mib")));
        assertEquals(-1L, await(provider.objectSize("sizes/absent")));
        put("sizes/empty", new byte[] {1, 2});
        assertEquals(2L, await(provider.objectSize("sizes/empty")));
        await(provider.deleteObject("sizes/empty"));
        assertEquals(-1L, await(provider.objectSize("sizes/empty")));
    }

    @Test
    @DisplayName("a put replaces the object under the same key")
    void overwriteReplaces() throws IOException {
        put("k", "first version".getBytes(StandardCharsets.UTF_8));
        put("k", "second".getBytes(StandardCharsets.UTF_8));
        assertArrayEquals("second".getBytes(StandardCharsets.UTF_8), get("k"));
        assertEquals(List.of("k"), await(provider.listKeysRecursive("", null)).keys());
    }

    @Test
    @DisplayName("hasKey is true after put and false after delete")
    void hasKeyFollowsPutAndDelete() {
        assertFalse(await(provider.hasKey("a/b")));
        put("a/b", new byte[] {1, 2, 3});
        assertTrue(await(provider.hasKey("a/b")));
        assertFalse(await(provider.hasKey("a")), "a 'directory' is not an object");
        await(provider.deleteObject("a/b"));
        assertFalse(await(provider.hasKey("a/b")));
        assertNull(await(provider.getObject("a/b")));
    }

    @Test
    @DisplayName("delete is idempotent: deleting an absent or already deleted key succeeds")
    void deleteIsIdempotent() {
        await(provider.deleteObject("never/stored"));
        put("x/y", new byte[] {1});
        await(provider.deleteObject("x/y"));
        await(provider.deleteObject("x/y"));
        assertEquals(List.of(), await(provider.listKeysRecursive("", null)).keys());
        assertEquals(List.of(), await(provider.listKeysNonRecursive("", null, 0)).keys(),
                "a deleted object's 'directory' must not be listed once empty");
    }

    @Test
    @DisplayName("deleteObjects removes every key given and leaves the others")
    void deleteObjectsRemovesAll() {
        for (int i = 0; i < 20; i++) {
            put("batch/" + i, new byte[] {(byte) i});
        }
        List<String> doomed = IntStream.range(0, 15).mapToObj(i -> "batch/" + i).toList();
        await(provider.deleteObjects(new ArrayList<>(doomed)));
        assertEquals(Set.of("batch/15", "batch/16", "batch/17", "batch/18", "batch/19"),
                new HashSet<>(listAllRecursive("batch/")));
    }

    @Test
    @DisplayName("a put whose stream holds fewer bytes than its length fails and stores nothing")
    void shortStreamFails() {
        Throwable error = awaitFailure(provider.putObject("short", new ByteArrayInputStream(new byte[10]), 20));
        assertFalse(error instanceof IllegalArgumentException, "a short stream is a storage failure: " + error);
        assertFalse(await(provider.hasKey("short")), "a failed put must not leave an object");
    }

    // ---------------------------------------------------------------- listing

    private static final List<String> TREE = List.of("b", "a0", "a/c/d", "a/b", "ab/x", "a-c");

    @Test
    @DisplayName("recursive listing returns full keys under the prefix in lexicographic order")
    void recursiveListingInOrder() {
        TREE.forEach(key -> put(key, key.getBytes(StandardCharsets.UTF_8)));
        assertEquals(List.of("a-c", "a/b", "a/c/d", "a0", "ab/x", "b"), await(provider.listKeysRecursive("", null)).keys());
        assertEquals(List.of("a/b", "a/c/d"), await(provider.listKeysRecursive("a/", null)).keys());
        assertEquals(List.of("a-c", "a/b", "a/c/d", "a0", "ab/x"), await(provider.listKeysRecursive("a", null)).keys());
        assertEquals(List.of("a/c/d"), await(provider.listKeysRecursive("a/c", null)).keys());
        assertEquals(List.of(), await(provider.listKeysRecursive("zz", null)).keys());
    }

    @Test
    @DisplayName("non-recursive listing returns each object and directory name directly under the prefix once")
    void nonRecursiveListingNames() {
        TREE.forEach(key -> put(key, key.getBytes(StandardCharsets.UTF_8)));
        put("a/c/e", new byte[] {1});
        assertEquals(List.of("a-c", "a/", "a0", "ab/", "b"), await(provider.listKeysNonRecursive("", null, 0)).keys());
        assertEquals(List.of("b", "c/"), await(provider.listKeysNonRecursive("a/", null, 0)).keys());
        assertEquals(List.of("d", "e"), await(provider.listKeysNonRecursive("a/c/", null, 0)).keys());
        assertEquals(List.of(), await(provider.listKeysNonRecursive("nothing/", null, 0)).keys());
    }

    @Test
    @DisplayName("listing below an object's key, as if it were a directory, lists nothing")
    void listingBelowAnObjectListsNothing() {
        put("a/file", new byte[] {1});
        assertEquals(List.of(), await(provider.listKeysRecursive("a/file/", null)).keys());
        assertEquals(List.of(), await(provider.listKeysRecursive("a/file/x", null)).keys());
        assertEquals(List.of(), await(provider.listKeysNonRecursive("a/file/", null, 0)).keys());
        assertEquals(List.of("file"), await(provider.listKeysNonRecursive("a/", null, 0)).keys());
    }

    @Test
    @DisplayName("non-recursive listing pages by the requested size, each page with a token for the next")
    void nonRecursivePagination() {
        TREE.forEach(key -> put(key, key.getBytes(StandardCharsets.UTF_8)));
        KeysPage first = await(provider.listKeysNonRecursive("", null, 2));
        assertEquals(List.of("a-c", "a/"), first.keys());
        assertNotNull(first.nextPageToken());
        KeysPage second = await(provider.listKeysNonRecursive("", first.nextPageToken(), 2));
        assertEquals(List.of("a0", "ab/"), second.keys());
        KeysPage third = await(provider.listKeysNonRecursive("", second.nextPageToken(), 2));
        assertEquals(List.of("b"), third.keys());
        assertNull(third.nextPageToken(), "the last page has no token");
    }

    @Test
    @DisplayName("recursive listing of more than 1000 keys pages at 1000 with every key exactly once, in order")
    void recursivePaginationBeyondDefaultPageSize() {
        List<String> keys = seedManyKeys(2100);
        List<String> listed = new ArrayList<>();
        List<Integer> pageSizes = new ArrayList<>();
        String token = null;
        do {
            KeysPage page = await(provider.listKeysRecursive("many/", token));
            listed.addAll(page.keys());
            pageSizes.add(page.keys().size());
            token = page.nextPageToken();
        } while (token != null && pageSizes.size() < 10);
        assertEquals(keys.stream().sorted().toList(), listed);
        assertEquals(List.of(1000, 1000, 100), pageSizes);
    }

    @Test
    @DisplayName("non-recursive listing with the default page size (pageSize <= 0) pages at 1000")
    void nonRecursiveDefaultPageSize() {
        seedManyKeys(1050);
        put("many/sub/one", new byte[] {1});
        KeysPage first = await(provider.listKeysNonRecursive("many/", null, 0));
        assertEquals(1000, first.keys().size());
        KeysPage second = await(provider.listKeysNonRecursive("many/", first.nextPageToken(), -1));
        assertEquals(51, second.keys().size());
        assertNull(second.nextPageToken());
        assertEquals("sub/", second.keys().get(50));
    }

    @Test
    @DisplayName("a page token can be used again for the same page; a foreign or bogus token is refused")
    void pageTokensRoundTrip() {
        TREE.forEach(key -> put(key, key.getBytes(StandardCharsets.UTF_8)));
        KeysPage first = await(provider.listKeysNonRecursive("", null, 2));
        KeysPage again = await(provider.listKeysNonRecursive("", first.nextPageToken(), 2));
        KeysPage twice = await(provider.listKeysNonRecursive("", first.nextPageToken(), 2));
        assertEquals(again, twice);
        assertInstanceOf(IllegalArgumentException.class,
                awaitFailure(provider.listKeysNonRecursive("", "not-a-token-of-yours", 2)));
        assertInstanceOf(IllegalArgumentException.class,
                awaitFailure(provider.listKeysRecursive("", "not-a-token-of-yours")));
    }

    // ---------------------------------------------------------------- concurrency and progress

    @Test
    @DisplayName("64 concurrent puts then 64 concurrent gets each see their own bytes")
    void concurrentPutsAndGets() {
        int n = 64;
        List<byte[]> contents = IntStream.range(0, n)
                .mapToObj(i -> new DeterministicStream(64 * 1024 + i, i).readAllBytesUnchecked()).toList();
        List<CompletableFuture<Void>> puts = IntStream.range(0, n)
                .mapToObj(i -> provider.putObject("concurrent/" + i, new ByteArrayInputStream(contents.get(i)),
                        contents.get(i).length)).toList();
        await(CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)));
        List<CompletableFuture<byte[]>> gets = IntStream.range(0, n)
                .mapToObj(i -> provider.getObject("concurrent/" + i).thenApply(BackupProviderContractTest::readAll)).toList();
        for (int i = 0; i < n; i++) {
            assertArrayEquals(contents.get(i), await(gets.get(i)), "object concurrent/" + i);
        }
        assertEquals(n, listAllRecursive("concurrent/").size());
    }

    @Test
    @DisplayName("concurrent puts to one key leave exactly one of the written objects, never a mix")
    void concurrentOverwritesDoNotMix() {
        int n = 16;
        List<byte[]> contents = IntStream.range(0, n).mapToObj(i -> {
            byte[] b = new byte[128 * 1024];
            java.util.Arrays.fill(b, (byte) i);
            return b;
        }).toList();
        List<CompletableFuture<Void>> puts = IntStream.range(0, n)
                .mapToObj(i -> provider.putObject("contended", new ByteArrayInputStream(contents.get(i)), contents.get(i).length))
                .toList();
        await(CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)));
        byte[] stored = get("contended");
        assertTrue(contents.stream().anyMatch(c -> java.util.Arrays.equals(c, stored)),
                "the stored object must equal one of the puts");
    }

    @Test
    @DisplayName("puts and deletes racing in one directory all succeed (a delete may empty the directory a put needs)")
    void concurrentPutsAndDeletesInOneDirectory() {
        for (int round = 0; round < 50; round++) {
            List<CompletableFuture<Void>> ops = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                String key = "racy/dir/sub" + (i % 2) + "/k" + i;
                ops.add(provider.putObject(key, new ByteArrayInputStream(new byte[] {(byte) round}), 1)
                        .thenCompose(v -> provider.deleteObject(key)));
            }
            await(CompletableFuture.allOf(ops.toArray(CompletableFuture[]::new)));
        }
        assertEquals(List.of(), listAllRecursive("racy/"));
    }

    @Test
    @DisplayName("the progress listener sees the bytes of uploads and downloads")
    void progressListenerSeesBytes() throws IOException {
        AtomicLong uploaded = new AtomicLong();
        AtomicLong downloaded = new AtomicLong();
        provider.setProgressListener((direction, key, bytes) -> {
            if (key.equals("progress/object")) {
                (direction == Direction.UPLOAD ? uploaded : downloaded).addAndGet(bytes);
            }
        });
        int size = (int) (2 * MIB + 5);
        put("progress/object", new DeterministicStream(size, 3).readAllBytes());
        assertTrue(uploaded.get() >= size, "uploaded bytes reported: " + uploaded.get() + " of " + size);
        assertEquals(size, get("progress/object").length);
        assertTrue(downloaded.get() >= size, "downloaded bytes reported: " + downloaded.get() + " of " + size);
        provider.setProgressListener(null);
        put("progress/object", new byte[] {1});
    }

    // ---------------------------------------------------------------- invalid input

    @ParameterizedTest(name = "key \"{0}\" is refused by every keyed operation")
    @ValueSource(strings = {"", "/absolute", "a/../b", "..", "./a", "a//b", "a\\b", "a\u0000b", "a\nb", "dir/"})
    @DisplayName("invalid keys are refused with an IllegalArgumentException")
    void invalidKeysRefused(String key) {
        assertRefused(provider.putObject(key, new ByteArrayInputStream(new byte[1]), 1), key);
        assertRefused(provider.getObject(key), key);
        assertRefused(provider.hasKey(key), key);
        assertRefused(provider.objectSize(key), key);
        assertRefused(provider.deleteObject(key), key);
        assertEquals(List.of(), await(provider.listKeysRecursive("", null)).keys(), "nothing may be stored for '" + key + "'");
    }

    @Test
    @DisplayName("invalid listing prefixes are refused; non-recursive listing needs a '/'-ended prefix")
    void invalidPrefixesRefused() {
        assertRefused(provider.listKeysRecursive("/abs", null), "/abs");
        assertRefused(provider.listKeysRecursive("a/../", null), "a/../");
        assertRefused(provider.listKeysNonRecursive("a", null, 0), "a");
        assertRefused(provider.listKeysNonRecursive("a//", null, 0), "a//");
    }

    // ---------------------------------------------------------------- helpers

    /** Puts {@code data} under {@code key} and waits. */
    protected void put(String key, byte[] data) {
        await(provider.putObject(key, new ByteArrayInputStream(data), data.length));
    }

    /** Reads the object under {@code key} whole; fails when absent. */
    protected byte[] get(String key) {
        InputStream in = await(provider.getObject(key));
        assertNotNull(in, "no object under '" + key + "'");
        return readAll(in);
    }

    /** Every key under {@code prefix}, following page tokens. */
    protected List<String> listAllRecursive(String prefix) {
        List<String> keys = new ArrayList<>();
        String token = null;
        do {
            KeysPage page = await(provider.listKeysRecursive(prefix, token));
            keys.addAll(page.keys());
            token = page.nextPageToken();
        } while (token != null);
        return keys;
    }

    private List<String> seedManyKeys(int count) {
        List<String> keys = IntStream.range(0, count).mapToObj(i -> String.format("many/k%05d", i)).toList();
        List<CompletableFuture<Void>> puts = new ArrayList<>();
        for (String key : keys) {
            puts.add(provider.putObject(key, new ByteArrayInputStream(new byte[] {7}), 1));
            if (puts.size() == 64) {
                await(CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)));
                puts.clear();
            }
        }
        await(CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)));
        return keys;
    }

    @Override
    public BackupProvider provider() {
        return provider;
    }

    @Override
    public Path scratchDirectory() {
        return scratch;
    }

    /** Waits for {@code future} and returns its value, rethrowing its failure. */
    @Override
    public <T> T await(CompletableFuture<T> future) {
        return await(future, operationTimeout());
    }

    private <T> T await(CompletableFuture<T> future, Duration timeout) {
        assertNotNull(future, "a provider method returned null instead of a future");
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("provider operation failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError("provider operation did not complete within " + timeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Waits for {@code future} to fail and returns the cause; fails the test if it succeeds. */
    protected Throwable awaitFailure(CompletableFuture<?> future) {
        try {
            Object value = future.get(operationTimeout().toMillis(), TimeUnit.MILLISECONDS);
            return fail("expected the operation to fail, but it completed with " + value);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (TimeoutException | InterruptedException e) {
            return fail("operation neither failed nor completed: " + e);
        }
    }

    private void assertRefused(CompletableFuture<?> future, String key) {
        Throwable error = awaitFailure(future);
        assertInstanceOf(IllegalArgumentException.class, error, "'" + key + "' must be refused as invalid");
        String printable = key.chars().allMatch(c -> c >= 0x20) ? key : null;
        if (printable != null && !printable.isEmpty()) {
            assertTrue(error.getMessage().contains(printable), "the message must name '" + key + "': " + error.getMessage());
        }
    }

    private static byte[] readAll(InputStream in) {
        try (InputStream stream = in) {
            return stream.readAllBytes();
        } catch (IOException e) {
            throw new AssertionError("reading an object failed: " + e, e);
        }
    }

    private static byte[] sha256(InputStream in, long expectedSize) throws IOException {
        MessageDigest digest = newDigest();
        byte[] buffer = new byte[256 * 1024];
        long total = 0;
        for (int n; (n = in.read(buffer)) >= 0; ) {
            digest.update(buffer, 0, n);
            total += n;
        }
        assertEquals(expectedSize, total, "the object read back has the wrong length");
        return digest.digest();
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A reproducible pseudo-random stream of a given length that hashes what it produces. */
    private static final class DeterministicStream extends InputStream {
        private final long length;
        private final MessageDigest digest = newDigest();
        private long produced;
        private long state;

        DeterministicStream(long length, long seed) {
            this.length = length;
            this.state = seed * 0x9E3779B97F4A7C15L + 1;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (produced >= length) {
                return -1;
            }
            int n = (int) Math.min(len, length - produced);
            for (int i = 0; i < n; i++) {
                state ^= state << 13;
                state ^= state >>> 7;
                state ^= state << 17;
                b[off + i] = (byte) state;
            }
            digest.update(b, off, n);
            produced += n;
            return n;
        }

        long produced() {
            return produced;
        }

        byte[] digest() {
            return digest.digest();
        }

        byte[] readAllBytesUnchecked() {
            return readAll(this);
        }
    }
}
