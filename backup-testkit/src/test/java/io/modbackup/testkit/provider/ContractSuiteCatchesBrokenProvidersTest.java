package io.modbackup.testkit.provider;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.provider.ForwardingBackupProvider;
import io.modbackup.api.provider.BackupProvider.KeysPage;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

/**
 * The contract suite must fail where a provider breaks the contract. Each nested suite runs the kit
 * against a deliberately broken provider (surefire does not run nested classes on its own).
 */
class ContractSuiteCatchesBrokenProvidersTest {

    @Test
    void listingWithoutPagingFailsThePaginationTests() {
        Set<String> failed = failedTests(IgnoresPaging.class);
        assertTrue(failed.contains("recursivePaginationBeyondDefaultPageSize()"), failed.toString());
        assertTrue(failed.contains("nonRecursivePagination()"), failed.toString());
    }

    @Test
    void emptyStreamForAbsentKeyFailsTheAbsenceTests() {
        Set<String> failed = failedTests(AbsentAsEmpty.class);
        assertTrue(failed.contains("emptyStore()"), failed.toString());
        assertTrue(failed.contains("hasKeyFollowsPutAndDelete()"), failed.toString());
    }

    @Test
    void missingKeyValidationFailsTheInvalidKeyTests() {
        Set<String> failed = failedTests(NoKeyValidation.class);
        assertTrue(failed.stream().anyMatch(name -> name.startsWith("invalidKeysRefused")), failed.toString());
    }

    @Test
    void aCorrectProviderFailsNothing() {
        Set<String> failed = failedTests(Correct.class);
        assertTrue(failed.isEmpty(), failed.toString());
    }

    private static Set<String> failedTests(Class<?> suite) {
        Events events = EngineTestKit.engine("junit-jupiter").selectors(selectClass(suite)).execute().testEvents();
        return events.failed().stream()
                .map(e -> e.getTestDescriptor().getLegacyReportingName())
                .collect(Collectors.toSet());
    }

    /** Delegates everything to an in-memory provider; the broken variants override one method. */
    abstract static class Wrapping extends ForwardingBackupProvider {
        final InMemoryProvider inner;

        Wrapping() {
            this(new InMemoryProvider());
        }

        private Wrapping(InMemoryProvider inner) {
            super(inner);
            this.inner = inner;
        }
    }

    abstract static class SmallSuite extends BackupProviderContractTest {
        @Override
        protected long largeObjectSize() {
            return 1024 * 1024;
        }
    }

    static class IgnoresPaging extends SmallSuite {
        @Override
        protected BackupProvider createProvider() {
            return new Wrapping() {
                @Override
                public CompletableFuture<KeysPage> listKeysRecursive(String prefix, String pageToken) {
                    return collectAll(inner, prefix);
                }

                @Override
                public CompletableFuture<KeysPage> listKeysNonRecursive(String prefix, String pageToken, int pageSize) {
                    return inner.listKeysNonRecursive(prefix, pageToken, Integer.MAX_VALUE);
                }
            };
        }

        private static CompletableFuture<KeysPage> collectAll(InMemoryProvider inner, String prefix) {
            return CompletableFuture.supplyAsync(() -> {
                List<String> all = new java.util.ArrayList<>();
                String token = null;
                do {
                    KeysPage page = inner.listKeysRecursive(prefix, token).join();
                    all.addAll(page.keys());
                    token = page.nextPageToken();
                } while (token != null);
                return new KeysPage(all, null);
            });
        }
    }

    static class AbsentAsEmpty extends SmallSuite {
        @Override
        protected BackupProvider createProvider() {
            return new Wrapping() {
                @Override
                public CompletableFuture<InputStream> getObject(String key) {
                    return inner.getObject(key).thenApply(in -> in != null ? in : new ByteArrayInputStream(new byte[0]));
                }
            };
        }
    }

    static class NoKeyValidation extends SmallSuite {
        @Override
        protected BackupProvider createProvider() {
            return new Wrapping() {
                @Override
                public CompletableFuture<Boolean> hasKey(String key) {
                    return CompletableFuture.completedFuture(false);
                }
            };
        }
    }

    static class Correct extends SmallSuite {
        @Override
        protected BackupProvider createProvider() {
            return new Wrapping() { };
        }
    }
}
