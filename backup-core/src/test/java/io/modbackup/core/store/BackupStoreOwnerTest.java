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
        assertEquals(Optional.empty(), store.ownership().owner());
        BackupException empty = assertThrows(BackupException.class, store.ownership()::requireExists);
        assertEquals(Problem.STORE_EMPTY, empty.problem());

        store.ownership().claim("east");
        assertEquals(Optional.of("east"), store.ownership().owner());
        store.ownership().claim("east");
        store.ownership().requireExists();

        BackupException refused = assertThrows(BackupException.class, () -> store.ownership().claim("west"));
        assertEquals(Problem.STORE_OWNED_ELSEWHERE, refused.problem());
        assertEquals("east", refused.subject());
        assertEquals(Optional.of("east"), store.ownership().owner(), "a refused claim changes nothing");
    }

    @Test
    void takingOverNamesThePreviousOwner() {
        assertEquals(Optional.empty(), store.ownership().takeOver("east"), "nobody owned it");
        assertEquals(Optional.of("east"), store.ownership().owner());
        assertEquals(Optional.of("east"), store.ownership().takeOver("west"));
        assertEquals(Optional.of("west"), store.ownership().owner());
        store.ownership().claim("west");
    }
}
