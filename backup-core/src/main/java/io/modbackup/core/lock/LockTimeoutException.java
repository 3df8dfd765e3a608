package io.modbackup.core.lock;

import io.modbackup.core.engine.BackupException;

/** A backup or GC could not get the store to itself in time; nothing was changed. */
public final class LockTimeoutException extends BackupException {
    public LockTimeoutException(String message) {
        super(message);
    }
}
