package io.modbackup.core.seal;

/**
 * The store's format record ({@code format.json}): which format the store is written in and, for an
 * encrypted store, its data key wrapped by the master key. A store without one was written before
 * format 2 existed (format 1: no compression, no encryption); writers give it one when they first
 * claim it, so older readers and newer ones can tell.
 *
 * @param format 2 for stores this version writes
 * @param encryption how the store is encrypted, or null when it is not
 */
public record StoreFormat(int format, Encryption encryption) {
    /** The format this version writes; it reads formats 1 and 2. */
    public static final int CURRENT = 2;

    /**
     * An encrypted store's key record.
     *
     * @param cipher the cipher of every sealed object: {@code AES-256-GCM}
     * @param keyId the {@link io.modbackup.api.crypto.MasterKeyProvider#keyId()} of the master key
     *     that wrapped the data key
     * @param wrappedDataKey the data key as that master key wrapped it, in base64
     * @param createdMillis when the store's data key was made
     * @param previousKeyId the master key before the last rotation, or null when never rotated
     * @param rotatedMillis when the last rotation happened, or 0
     */
    public record Encryption(String cipher, String keyId, String wrappedDataKey, long createdMillis, String previousKeyId,
                             long rotatedMillis) {
    }

    /** Whether the store is encrypted. */
    public boolean encrypted() {
        return encryption != null;
    }
}
