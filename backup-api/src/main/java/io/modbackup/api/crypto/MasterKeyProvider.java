package io.modbackup.api.crypto;

import java.util.Optional;

/**
 * The master key of an encrypted backup store: it wraps (encrypts) the store's data key, which
 * encrypts every chunk and manifest, and unwraps it when a process opens the store. Only the
 * wrapped data key is ever stored, so whoever holds the master key (a key file, an environment
 * variable, a KMS key) holds the store's contents.
 *
 * <p>Named in config as {@code backup.encryption.key: "<fully.qualified.Class> <argument>"}; an
 * implementation has a public constructor taking that one {@code String} argument. A KMS
 * implementation maps {@link #wrap} and {@link #unwrap} onto its Encrypt and Decrypt calls, passing
 * {@code context} as the encryption context.
 *
 * <p>Implementations are thread-safe and immutable. Both methods are called rarely (when a process
 * first opens the store, and when the key is rotated) and may block on the network.
 */
public interface MasterKeyProvider {
    /**
     * A stable, non-secret identifier of this master key, recorded beside the wrapped data key and
     * named in errors (e.g. a fingerprint of the key, or a KMS key ARN). Two providers of the same
     * key return the same ID; providers of different keys return different IDs.
     */
    String keyId();

    /**
     * Encrypts {@code dataKey} with authentication, bound to {@code context} (unwrapping with
     * another context fails). Each call may return different bytes for the same key.
     *
     * @throws java.io.UncheckedIOException when the key service cannot be reached
     */
    byte[] wrap(byte[] dataKey, byte[] context);

    /**
     * The data key {@code wrapped} holds, or empty when this master key did not wrap it (a wrong
     * key), or the bytes were altered, or {@code context} differs from the one it was wrapped with.
     *
     * @throws java.io.UncheckedIOException when the key service cannot be reached
     */
    Optional<byte[]> unwrap(byte[] wrapped, byte[] context);
}
