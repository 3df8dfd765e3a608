package io.modbackup.core.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.crypto.MasterKeyProvider;
import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.provider.ForwardingBackupProvider;
import io.modbackup.core.crypto.LocalMasterKey;
import io.modbackup.core.error.BackupException;
import io.modbackup.core.error.BackupException.Problem;
import io.modbackup.core.manifest.ManifestCodec;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
import io.modbackup.core.seal.Compression;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writers that claim one store at the same instant, each with its own provider and store stack on one
 * directory, as separate processes would: the owner record and the format record are conditional
 * creates, so exactly one cluster owns the store and it has exactly one data key.
 */
class StoreClaimRaceTest {
    private static final int ROUNDS = 10;
    private static final int WRITERS = 4;

    @TempDir
    Path dir;
    private final ExecutorService threads = Executors.newFixedThreadPool(2 * WRITERS);
    private final List<BackupProvider> opened = new ArrayList<>();

    @AfterEach
    void close() {
        opened.forEach(BackupProvider::close);
        threads.shutdownNow();
    }

    @Test
    void clustersRacingForAnEmptyStoreLeaveExactlyOneOwnerAndRefuseTheRest() throws Exception {
        for (int round = 0; round < ROUNDS; round++) {
            Path store = Files.createDirectories(dir.resolve("owners-" + round));
            List<BackupStore> stores = new ArrayList<>();
            for (int i = 0; i < WRITERS; i++) {
                stores.add(storeOn(local(store), null));
            }
            List<Optional<BackupException>> outcomes = race(stores, (s, i) -> s.ownership().claim("cluster-" + i));
            List<Integer> owners = new ArrayList<>();
            for (int i = 0; i < WRITERS; i++) {
                if (outcomes.get(i).isEmpty()) {
                    owners.add(i);
                } else {
                    assertEquals(Problem.STORE_OWNED_ELSEWHERE, outcomes.get(i).get().problem(), outcomes.get(i).get().getMessage());
                }
            }
            assertEquals(1, owners.size(), "round " + round + ": clusters that believe they own the store: " + owners);
            assertEquals(Optional.of("cluster-" + owners.get(0)), storeOn(local(store), null).ownership().owner());
        }
    }

    @Test
    void processesCreatingOneEncryptedStoreAdoptOneDataKeyAndReadEachOthersObjects() throws Exception {
        MasterKeyProvider key = new LocalMasterKey(new byte[32]);
        for (int round = 0; round < ROUNDS; round++) {
            Path store = Files.createDirectories(dir.resolve("keys-" + round));
            List<BackupStore> stores = new ArrayList<>();
            for (int i = 0; i < WRITERS; i++) {
                stores.add(storeOn(local(store), key));
            }
            List<Optional<BackupException>> outcomes = race(stores, (s, i) -> s.ownership().claim("one-cluster"));
            assertEquals(List.of(), outcomes.stream().flatMap(Optional::stream).map(Throwable::getMessage).toList());
            // Each seals an object with the key it adopted; every other one opens it.
            for (int i = 0; i < WRITERS; i++) {
                byte[] content = ("written by process " + i).getBytes();
                stores.get(i).provider().putObject("backups/m/b/tasks/" + i + ".json", new ByteArrayInputStream(content),
                        content.length).get();
            }
            for (int i = 0; i < WRITERS; i++) {
                for (int reader = 0; reader < WRITERS; reader++) {
                    try (InputStream in = stores.get(reader).provider().getObject("backups/m/b/tasks/" + i + ".json").get()) {
                        assertArrayEquals(("written by process " + i).getBytes(), in.readAllBytes(),
                                "round " + round + ": process " + reader + " reads what process " + i + " sealed");
                    }
                }
            }
        }
    }

    @Test
    void processesWithDifferentKeysRacingToCreateAStoreLeaveOneKeyAndRefuseTheOthers() throws Exception {
        for (int round = 0; round < ROUNDS; round++) {
            Path store = Files.createDirectories(dir.resolve("two-keys-" + round));
            List<BackupStore> stores = new ArrayList<>();
            for (int i = 0; i < WRITERS; i++) {
                byte[] material = new byte[32];
                material[0] = (byte) (i + 1);
                stores.add(storeOn(local(store), new LocalMasterKey(material)));
            }
            List<Optional<BackupException>> outcomes = race(stores, (s, i) -> s.ownership().claim("one-cluster"));
            long refused = outcomes.stream().flatMap(Optional::stream)
                    .peek(e -> assertEquals(Problem.WRONG_KEY, e.problem(), e.getMessage())).count();
            assertEquals(WRITERS - 1, refused, "round " + round + ": exactly one key creates the store");
        }
    }

    /**
     * The control: with a create that checks, then puts (what a provider without conditional writes does),
     * racing clusters that both pass the check both believe they own the store. The barrier holds each
     * writer between its check and its put until both have checked.
     */
    @Test
    void aCheckThenPutCreateLetsTwoClustersBelieveTheyOwnTheStore() throws Exception {
        Path store = Files.createDirectories(dir.resolve("check-then-put"));
        CyclicBarrier bothChecked = new CyclicBarrier(2);
        List<BackupStore> stores = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            stores.add(storeOn(new ForwardingBackupProvider(local(store)) {
                @Override
                public CompletableFuture<Boolean> createObject(String key, InputStream in, long length) {
                    boolean present = hasKey(key).join();
                    if (key.equals(StoreLayout.OWNER_KEY)) {
                        try {
                            bothChecked.await();
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    }
                    return present ? CompletableFuture.completedFuture(false)
                            : putObject(key, in, length).thenApply(v -> true);
                }

                @Override
                public boolean atomicCreate() {
                    return false;
                }
            }, null));
        }
        List<Optional<BackupException>> outcomes = race(stores, (s, i) -> s.ownership().claim("cluster-" + i));
        assertEquals(List.of(Optional.empty(), Optional.empty()), outcomes, "both claims succeed: two owners");
    }

    private BackupProvider local(Path store) {
        BackupProvider provider = new LocalDirectoryProvider(store.toString());
        opened.add(provider);
        return provider;
    }

    private BackupStore storeOn(BackupProvider provider, MasterKeyProvider key) {
        SealingProvider sealing = new SealingProvider(provider, Compression.DEFAULT, key, threads);
        return new BackupStore(sealing, new ManifestCodec(), threads);
    }

    private interface Claim {
        void run(BackupStore store, int index);
    }

    /** Runs {@code claim} on every store at once; each outcome is empty or the {@link BackupException} it threw. */
    private List<Optional<BackupException>> race(List<BackupStore> stores, Claim claim) throws Exception {
        CyclicBarrier start = new CyclicBarrier(stores.size());
        List<CompletableFuture<Optional<BackupException>>> runs = new ArrayList<>();
        for (int i = 0; i < stores.size(); i++) {
            int index = i;
            runs.add(CompletableFuture.supplyAsync(() -> {
                try {
                    start.await();
                    claim.run(stores.get(index), index);
                    return Optional.empty();
                } catch (BackupException e) {
                    return Optional.of(e);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, threads));
        }
        List<Optional<BackupException>> outcomes = new ArrayList<>();
        for (CompletableFuture<Optional<BackupException>> run : runs) {
            outcomes.add(run.get());
        }
        return outcomes;
    }
}
