package io.modbackup.core.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.modbackup.api.crypto.MasterKeyProvider;
import io.modbackup.api.provider.BackupProvider;
import io.modbackup.core.error.BackupException.Problem;
import io.modbackup.core.error.BackupException;
import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.hash.ContentHash;
import io.modbackup.core.seal.Compression;
import io.modbackup.core.seal.Envelope;
import io.modbackup.core.seal.StoreFormat;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A store's format record ({@code format.json}) and its data keys: reads the record the first time it
 * is needed, unwraps an encrypted store's data key with the configured master key and derives the
 * sealing and naming keys from it, writes the record when a writer first claims the store, and
 * rewraps the data key on rotation. A missing or wrong key, or a key for a store that is not
 * encrypted, fails with a {@link BackupException} before anything is read or written.
 *
 * <p>Thread-safe. No method blocks its caller on I/O: each completes a future on the provider's
 * threads. Once the record is known (or an unencrypted store is found to have none), {@link #sealing()}
 * completes at once.
 */
public final class StoreKeys {
    private static final String CIPHER = "AES-256-GCM";
    private static final byte[] WRAP_CONTEXT = "modbackup data key v1".getBytes(StandardCharsets.UTF_8);

    private final BackupProvider provider;
    private final Compression compression;
    private final MasterKeyProvider masterKey;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper();
    /** How objects are sealed, once decided; null until then. */
    private volatile CompletableFuture<Sealing> resolved;
    /** The format record's read in flight, shared by the callers that wait for it; null when none. */
    private CompletableFuture<Sealing> pending;
    /** A claim's record being written: one at a time in this process, so it adopts one data key. */
    private CompletableFuture<Void> initializing;

    /**
     * How objects are sealed: the envelope (compression, and the cipher of an encrypted store), how
     * content is named, whether it may be written (an encrypted store not yet claimed may not), and
     * whether it came from a stored record (then it never changes: a rotation only rewraps the key).
     */
    record Sealing(Envelope envelope, ContentHash hash, boolean writable, boolean recorded) {
    }

    /** The keys of the store behind {@code provider} (the layer under sealing, which it reads raw). */
    StoreKeys(BackupProvider provider, Compression compression, MasterKeyProvider masterKey, Clock clock) {
        this.provider = provider;
        this.compression = compression;
        this.masterKey = masterKey;
        this.clock = clock;
    }

    /** Whether a master key is configured. */
    boolean keyed() {
        return masterKey != null;
    }

    /**
     * How the store's objects are sealed, reading the format record the first time. Fails with a
     * {@link BackupException} when this process's key cannot open the store.
     */
    CompletableFuture<Sealing> sealing() {
        CompletableFuture<Sealing> known = resolved;
        if (known != null) {
            return known;
        }
        synchronized (this) {
            if (resolved != null) {
                return resolved;
            }
            // Callers that arrive while the record is being read share that read: one per process.
            CompletableFuture<Sealing> reading = pending;
            if (reading == null) {
                reading = lookUp();
                pending = reading;
                CompletableFuture<Sealing> mine = reading;
                reading.whenComplete((s, e) -> {
                    synchronized (this) {
                        if (pending == mine) {
                            pending = null; // a failure or an unclaimed store is looked up again next time
                        }
                    }
                });
            }
            return reading;
        }
    }

    private CompletableFuture<Sealing> lookUp() {
        return readFormat().thenCompose(stored -> {
            if (stored.isPresent()) {
                return remember(open(stored.get()));
            }
            if (masterKey == null) {
                return remember(new Sealing(Envelope.of(null, compression), ContentHash.SHA256, true, false));
            }
            return provider.hasKey(StoreLayout.OWNER_KEY).thenApply(owned -> {
                if (owned) {
                    throw notEncrypted();
                }
                // A new store nobody claimed yet: nothing to read, and nothing may be written before the claim
                // creates its key. Not remembered, so that the claim's record is read next time.
                return new Sealing(Envelope.of(null, compression), ContentHash.SHA256, false, false);
            });
        });
    }

    private CompletableFuture<Sealing> remember(Sealing sealing) {
        CompletableFuture<Sealing> done = CompletableFuture.completedFuture(sealing);
        resolved = done;
        return done;
    }

    /**
     * Makes sure the store has a format record, as a writer claiming it: a new store (nothing written,
     * {@code storeWritten} false) gets one for these settings, encrypted under the master key with a
     * new random data key when one is configured; a format-1 store gets a record of format 2 without
     * encryption. Idempotent. Should writers create a record at once, the record is created only where
     * none is, and all adopt the one stored (the first, on a provider with atomic creates; the last, on
     * one without), before any seals anything; a writer whose master key cannot open it is refused.
     *
     * @return completes exceptionally with a {@link BackupException} when the record exists and this
     *     process cannot open it, or a master key is configured for a format-1 store that holds backups
     */
    public synchronized CompletableFuture<Void> initialize(boolean storeWritten) {
        CompletableFuture<Sealing> known = resolved;
        if (known != null && known.join().recorded()) { // resolved is always complete: join does not wait
            return CompletableFuture.completedFuture(null);
        }
        if (initializing == null || initializing.isDone()) {
            initializing = create(storeWritten);
        }
        return initializing;
    }

    private CompletableFuture<Void> create(boolean storeWritten) {
        return readFormat().thenCompose(stored -> {
            if (stored.isPresent()) {
                return remember(open(stored.get())).thenApply(s -> (Void) null);
            }
            if (masterKey != null && storeWritten) {
                throw notEncrypted();
            }
            StoreFormat.Encryption encryption = null;
            if (masterKey != null) {
                byte[] dataKey = new byte[32];
                new SecureRandom().nextBytes(dataKey);
                encryption = new StoreFormat.Encryption(CIPHER, masterKey.keyId(),
                        Base64.getEncoder().encodeToString(masterKey.wrap(dataKey, WRAP_CONTEXT)), clock.millis(), null, 0);
            }
            // Created only where none is: of writers racing to create the record one wins, and all adopt its key.
            return createFormat(new StoreFormat(StoreFormat.CURRENT, encryption)).thenCompose(v -> readFormat())
                    .thenAccept(written -> remember(open(written.orElseThrow(() -> new IllegalStateException(
                            StoreLayout.FORMAT_KEY + " vanished right after it was written")))));
        });
    }

    /**
     * Rewraps the store's data key under {@code newKey}, replacing the configured key's wrap in one
     * write: chunks and manifests stay as they are. Processes that have the store open keep working;
     * any that opens it afterwards needs {@code newKey}.
     *
     * @return the new format record; completes exceptionally with a {@link BackupException} when the
     *     store is not encrypted or the configured key does not open it, and with an
     *     {@link IllegalArgumentException} when {@code newKey} is the store's key already
     */
    public CompletableFuture<StoreFormat> rotate(MasterKeyProvider newKey) {
        return readFormat().thenCompose(stored -> {
            StoreFormat current = stored.orElse(null);
            if (current == null || !current.encrypted()) {
                throw new BackupException(Problem.STORE_NOT_ENCRYPTED, newKey.keyId(), "the backup store is not encrypted,"
                        + " so it has no key to rotate");
            }
            StoreFormat.Encryption old = current.encryption();
            if (newKey.keyId().equals(old.keyId())) {
                throw new IllegalArgumentException("the new master key is the store's key already (" + old.keyId() + ")");
            }
            byte[] dataKey = unwrap(current);
            byte[] wrapped = newKey.wrap(dataKey, WRAP_CONTEXT);
            if (!newKey.unwrap(wrapped, WRAP_CONTEXT).map(k -> Arrays.equals(k, dataKey)).orElse(false)) {
                throw new IllegalStateException("master key " + newKey.keyId() + " does not unwrap what it wrapped; the"
                        + " store's key was not changed");
            }
            StoreFormat rotated = new StoreFormat(StoreFormat.CURRENT, new StoreFormat.Encryption(old.cipher(),
                    newKey.keyId(), Base64.getEncoder().encodeToString(wrapped), old.createdMillis(), old.keyId(),
                    clock.millis()));
            return writeFormat(rotated).thenApply(v -> rotated);
        });
    }

    /** The format record, or empty for a store of format 1 (or an empty one). */
    public CompletableFuture<Optional<StoreFormat>> readFormat() {
        return provider.getObject(StoreLayout.FORMAT_KEY).thenApply(in -> {
            if (in == null) {
                return Optional.empty();
            }
            try {
                return Optional.of(json.readValue(BoundedRead.readAll(in, BoundedRead.MAX_SMALL_RECORD_BYTES,
                        StoreLayout.FORMAT_KEY), StoreFormat.class));
            } catch (IOException e) {
                throw new CorruptBackupException(StoreLayout.FORMAT_KEY + " is not a valid format record: " + e.getMessage(), e);
            }
        });
    }

    private CompletableFuture<Void> writeFormat(StoreFormat format) {
        byte[] bytes = formatRecord(format);
        return provider.putObject(StoreLayout.FORMAT_KEY, new ByteArrayInputStream(bytes), bytes.length);
    }

    private CompletableFuture<Boolean> createFormat(StoreFormat format) {
        byte[] bytes = formatRecord(format);
        return provider.createObject(StoreLayout.FORMAT_KEY, new ByteArrayInputStream(bytes), bytes.length);
    }

    private byte[] formatRecord(StoreFormat format) {
        try {
            return json.writerWithDefaultPrettyPrinter().writeValueAsBytes(format);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Sealing open(StoreFormat format) {
        if (format.format() < 1 || format.format() > StoreFormat.CURRENT) {
            throw new BackupException(Problem.UNSUPPORTED_FORMAT, String.valueOf(format.format()), "the backup store is"
                    + " in format " + format.format() + " (" + StoreLayout.FORMAT_KEY + "), which this version of modbackup"
                    + " cannot read (it reads formats 1 to " + StoreFormat.CURRENT + "); upgrade modbackup");
        }
        if (!format.encrypted()) {
            if (masterKey != null) {
                throw notEncrypted();
            }
            return new Sealing(Envelope.of(null, compression), ContentHash.SHA256, true, true);
        }
        if (!CIPHER.equals(format.encryption().cipher())) {
            throw new BackupException(Problem.UNSUPPORTED_FORMAT, format.encryption().cipher(), "the backup store is"
                    + " encrypted with " + format.encryption().cipher() + ", which this version cannot read; upgrade modbackup");
        }
        byte[] dataKey = unwrap(format);
        return new Sealing(Envelope.of(derive(dataKey, "modbackup aes-256-gcm"), compression),
                ContentHash.keyed(derive(dataKey, "modbackup chunk names")), true, true);
    }

    private byte[] unwrap(StoreFormat format) {
        StoreFormat.Encryption e = format.encryption();
        if (masterKey == null) {
            throw new BackupException(Problem.KEY_REQUIRED, e.keyId(), "the backup store is encrypted (master key "
                    + e.keyId() + "); set backup.encryption.key to that key: file:<path>, env:<VARIABLE> or a key provider class");
        }
        byte[] wrapped;
        try {
            wrapped = Base64.getDecoder().decode(e.wrappedDataKey());
        } catch (IllegalArgumentException | NullPointerException bad) {
            throw new CorruptBackupException(StoreLayout.FORMAT_KEY + " holds no valid wrapped data key", bad);
        }
        Optional<byte[]> dataKey = masterKey.unwrap(wrapped, WRAP_CONTEXT);
        if (dataKey.isEmpty() || dataKey.get().length != 32) {
            String rotated = masterKey.keyId().equals(e.previousKeyId()) ? "; the store's key was rotated away from "
                    + masterKey.keyId() + " at " + Instant.ofEpochMilli(e.rotatedMillis()) + ", so use the new key" : "";
            throw new BackupException(Problem.WRONG_KEY, e.keyId(), "backup.encryption.key (master key "
                    + masterKey.keyId() + ") does not open the backup store, whose data key is wrapped by master key "
                    + e.keyId() + rotated);
        }
        return dataKey.get();
    }

    private BackupException notEncrypted() {
        return new BackupException(Problem.STORE_NOT_ENCRYPTED, masterKey.keyId(), "backup.encryption.key is set, but the"
                + " backup store holds unencrypted backups; encryption is chosen when a store is created: point"
                + " backup.provider at a new, empty location to encrypt, or remove backup.encryption.key");
    }

    /** A 32-byte key for {@code purpose}, derived from the data key (HKDF-Expand with one block). */
    private static byte[] derive(byte[] dataKey, String purpose) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(dataKey, "HmacSHA256"));
            mac.update(purpose.getBytes(StandardCharsets.UTF_8));
            return mac.doFinal(new byte[] {1});
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks HmacSHA256", e);
        }
    }

}
