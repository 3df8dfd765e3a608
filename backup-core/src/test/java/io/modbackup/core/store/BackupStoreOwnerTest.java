package io.modbackup.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.modbackup.core.error.BackupException;
import io.modbackup.core.error.BackupException.Problem;
import io.modbackup.core.manifest.ManifestCodec;
import io.modbackup.testkit.provider.InMemoryProvider;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The owner record: claimed once, refused to another cluster, taken over on purpose, required by read-only actions. */
class BackupStoreOwnerTest {
    private final BackupStore store = new BackupStore(SealingProvider.reader(new InMemoryProvider(), Runnable::run), new ManifestCodec(), Runnable::run);

    @Test
    void aStoreIsClaimedOnceAndRefusedToAnotherCluster() {
        assertEquals(Optional.empty(), store.owner());
        BackupException empty = assertThrows(BackupException.class, store::requireExists);
        assertEquals(Problem.STORE_EMPTY, empty.problem());

        store.claim("east");
        assertEquals(Optional.of("east"), store.owner());
        store.claim("east");
        store.requireExists();

        BackupException refused = assertThrows(BackupException.class, () -> store.claim("west"));
        assertEquals(Problem.STORE_OWNED_ELSEWHERE, refused.problem());
        assertEquals("east", refused.subject());
        assertEquals(Optional.of("east"), store.owner(), "a refused claim changes nothing");
    }

    @Test
    void takingOverNamesThePreviousOwner() {
        assertEquals(Optional.empty(), store.takeOver("east"), "nobody owned it");
        assertEquals(Optional.of("east"), store.owner());
        assertEquals(Optional.of("east"), store.takeOver("west"));
        assertEquals(Optional.of("west"), store.owner());
        store.claim("west");
    }
}
