package io.modbackup.api.provider;

/**
 * A provider operation failed for a reason other than an invalid argument: the storage refused,
 * the network failed, an upload's stream ended early. The message names the key and the cause.
 */
public class BackupStorageException extends RuntimeException {
    public BackupStorageException(String message) {
        super(message);
    }

    public BackupStorageException(String message, Throwable cause) {
        super(message, cause);
    }
}
