package io.modbackup.core.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.modbackup.core.async.Futures;
import io.modbackup.core.error.BackupException;
import io.modbackup.core.error.BackupException.Problem;
import io.modbackup.core.error.CorruptBackupException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The store's owner record ({@code owner.json}): which cluster the store belongs to, claimed by the
 * first backup or GC with a conditional create (of two clusters racing for an empty store, one owns it
 * and the other is refused, on providers whose creates are atomic), refused to any other cluster unless
 * it takes the store over. Thread-safe; methods wait for the store.
 */
public final class StoreOwnership {
    private final SealingProvider provider;
    private final java.util.function.Function<String, CompletableFuture<byte[]>> reader;
    private final ObjectMapper ownerJson = new ObjectMapper();

    StoreOwnership(SealingProvider provider, java.util.function.Function<String, CompletableFuture<byte[]>> reader) {
        this.provider = provider;
        this.reader = reader;
    }

    /**
     * The cluster that owns the store, or empty when it was never written to.
     *
     * @throws CorruptBackupException when the owner record is damaged
     */
    public Optional<String> owner() {
        byte[] stored = Futures.await(reader.apply(StoreLayout.OWNER_KEY), "read " + StoreLayout.OWNER_KEY);
        if (stored == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(ownerJson.readValue(stored, StoreOwner.class).clusterId());
        } catch (IOException e) {
            throw new CorruptBackupException(StoreLayout.OWNER_KEY + " is not a valid owner record: " + e.getMessage(), e);
        }
    }

    /**
     * Makes sure {@code clusterId} owns the store, claiming a store nobody owns yet. Idempotent.
     *
     * @throws BackupException ({@link Problem#STORE_OWNED_ELSEWHERE}) when another cluster owns it
     */
    public void claim(String clusterId) {
        Optional<String> owner = owner();
        // Checked before the format record is made, so a foreign store is refused untouched.
        if (owner.isPresent() && !owner.get().equals(clusterId)) {
            throw ownedElsewhere(owner.get(), clusterId);
        }
        Futures.await(provider.keys().initialize(owner.isPresent()), "claim " + StoreLayout.FORMAT_KEY);
        if (owner.isEmpty() && !createOwner(clusterId)) {
            // Another cluster created the record between our read and our create (or a retry found ours).
            String winner = owner().orElseThrow(() -> new IllegalStateException(StoreLayout.OWNER_KEY
                    + " vanished right after a create found it"));
            if (!winner.equals(clusterId)) {
                throw ownedElsewhere(winner, clusterId);
            }
        }
    }

    private static BackupException ownedElsewhere(String owner, String clusterId) {
        return new BackupException(Problem.STORE_OWNED_ELSEWHERE, owner, "the backup store belongs to another"
                + " cluster (" + StoreLayout.OWNER_KEY + " names " + owner + ", this is " + clusterId + "); give"
                + " each cluster its own backup.provider config, or take the store over if this cluster replaces that one");
    }

    /**
     * Makes {@code clusterId} the owner whoever owned the store before, for a cluster that replaces the
     * one that wrote it. Idempotent.
     *
     * @return the previous owner, if any
     */
    public Optional<String> takeOver(String clusterId) {
        Optional<String> previous = owner();
        writeOwner(clusterId);
        return previous;
    }

    /**
     * Fails unless the store was ever written to: a read-only action on a mistyped location must say
     * so rather than report an empty store.
     *
     * @throws BackupException ({@link Problem#STORE_EMPTY}) when it has no owner record
     */
    public void requireExists() {
        if (owner().isEmpty()) {
            throw new BackupException(Problem.STORE_EMPTY, StoreLayout.OWNER_KEY, "the backup store has no "
                    + StoreLayout.OWNER_KEY + ": nothing was ever backed up to it, or backup.provider names the wrong location");
        }
    }

    private void writeOwner(String clusterId) {
        byte[] bytes = ownerRecord(clusterId);
        Futures.await(provider.putObject(StoreLayout.OWNER_KEY, new ByteArrayInputStream(bytes), bytes.length),
                "write " + StoreLayout.OWNER_KEY);
    }

    /** Creates the owner record where none is (atomic on providers that say so): whether this call did. */
    private boolean createOwner(String clusterId) {
        byte[] bytes = ownerRecord(clusterId);
        return Futures.await(provider.createObject(StoreLayout.OWNER_KEY, new ByteArrayInputStream(bytes), bytes.length),
                "create " + StoreLayout.OWNER_KEY);
    }

    private byte[] ownerRecord(String clusterId) {
        try {
            return ownerJson.writeValueAsBytes(new StoreOwner(clusterId));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The content of the owner record. */
    private record StoreOwner(String clusterId) {
    }
}
