package io.modbackup.core.engine;

/**
 * A backup operation cannot be done as asked: unknown module or backup, module not running, restore
 * refused. The message says what and what to do; nothing was changed.
 */
public class BackupException extends RuntimeException {
    public BackupException(String message) {
        super(message);
    }

    public BackupException(String message, Throwable cause) {
        super(message, cause);
    }
}
