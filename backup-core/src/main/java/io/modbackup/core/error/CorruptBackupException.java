package io.modbackup.core.error;

/**
 * A stored backup is damaged or tampered with: a checksum does not match, a manifest is malformed or
 * names a path outside the task directory. Nothing live is touched when this is thrown.
 */
public class CorruptBackupException extends RuntimeException {
    public CorruptBackupException(String message) {
        super(message);
    }

    public CorruptBackupException(String message, Throwable cause) {
        super(message, cause);
    }
}
