package io.modbackup.testkit.provider;

import io.modbackup.api.provider.BackupStorageException;

/** The failure a {@link FaultInjectingProvider} injects; its message names the operation and key. */
public final class InjectedFaultException extends BackupStorageException {
    public InjectedFaultException(String message) {
        super(message);
    }
}
