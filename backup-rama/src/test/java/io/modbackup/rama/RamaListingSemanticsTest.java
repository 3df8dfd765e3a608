package io.modbackup.rama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.rpl.rama.backup.BackupProvider.KeysPage;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
import io.modbackup.s3.S3ServerExtension;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The listing semantics of Rama's public provider tests, through our providers in their Rama form:
 * the local provider and the S3 provider on a real S3 server.
 */
class RamaListingSemanticsTest {
    @RegisterExtension
    static final S3ServerExtension S3 = S3ServerExtension.s3Proxy();

    @TempDir
    Path dir;

    static List<String> stores() {
        return List.of("local", "s3");
    }

    private ModbackupProviderForRama open(String store) {
        return store.equals("local") ? new ModbackupProviderForRama(new LocalDirectoryProvider(dir.resolve("store").toString()))
                : new S3ProviderForRama(S3.newBucketArgument("rama"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void anEmptyStoreListsNothingWithoutAMarker(String store) {
        try (ModbackupProviderForRama rama = open(store)) {
            KeysPage recursive = await(rama.listKeysRecursive("", null));
            assertEquals(List.of(), recursive.keys);
            assertNull(recursive.nextPageMarker);
            KeysPage flat = await(rama.listKeysNonRecursive("", null, -1));
            assertEquals(List.of(), flat.keys);
            assertNull(flat.nextPageMarker);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void nonRecursiveNamesHaveNoTrailingSlashAndRecursiveListingsIgnoreOne(String store) {
        try (ModbackupProviderForRama rama = open(store)) {
            put(rama, "a/b/c");
            assertEquals(List.of("c"), await(rama.listKeysNonRecursive("a/b/", null, -1)).keys);
            assertEquals(List.of("b"), await(rama.listKeysNonRecursive("a/", null, -1)).keys);
            for (String prefix : List.of("", "a", "a/", "a/b", "a/b/")) {
                assertEquals(List.of("a/b/c"), await(rama.listKeysRecursive(prefix, null)).keys, "prefix '" + prefix + "'");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void fiveKeysPagedTwoAtATime(String store) {
        try (ModbackupProviderForRama rama = open(store)) {
            for (int i = 1; i <= 5; i++) {
                put(rama, "k" + i);
            }
            assertEquals(List.of(List.of("k1", "k2"), List.of("k3", "k4"), List.of("k5")),
                    pages(marker -> rama.listKeysNonRecursive("", marker, 2)));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void elevenHundredKeysWithTheDefaultPageSizeGiveAThousandThenAHundred(String store) {
        try (ModbackupProviderForRama rama = open(store)) {
            List<CompletableFuture<Void>> puts = IntStream.range(0, 1100)
                    .mapToObj(i -> rama.putObject(String.format("many/%04d", i), new ByteArrayInputStream(new byte[] {1}), 1L))
                    .toList();
            puts.forEach(CompletableFuture::join);
            List<List<String>> pages = pages(marker -> rama.listKeysNonRecursive("many/", marker, -1));
            assertEquals(List.of(1000, 100), pages.stream().map(List::size).toList());
            assertEquals(List.of(1000, 100), pages(marker -> rama.listKeysRecursive("many/", marker)).stream()
                    .map(List::size).toList());
        }
    }

    private static List<List<String>> pages(Function<String, CompletableFuture<KeysPage>> list) {
        List<List<String>> pages = new ArrayList<>();
        String marker = null;
        do {
            KeysPage page = await(list.apply(marker));
            pages.add(page.keys);
            marker = page.nextPageMarker;
        } while (marker != null && pages.size() < 10);
        return pages;
    }

    private static void put(com.rpl.rama.backup.BackupProvider provider, String key) {
        await(provider.putObject(key, new ByteArrayInputStream(new byte[] {7}), 1L));
    }

    private static <T> T await(CompletableFuture<T> future) {
        return future.join();
    }
}
