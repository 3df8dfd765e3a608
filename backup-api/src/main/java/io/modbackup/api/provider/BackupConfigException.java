package io.modbackup.api.provider;

/**
 * Backup configuration that cannot be used as given: the message quotes the value and says what to
 * change.
 */
public class BackupConfigException extends RuntimeException {
    public BackupConfigException(String message) {
        super(message);
    }

    public BackupConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
