package io.modbackup.core.engine;

import io.modbackup.api.provider.ProviderArguments;
import io.modbackup.api.runtime.ModuleDescriptor;
import io.modbackup.core.error.BackupException;
import io.modbackup.core.error.BackupException.Problem;

/**
 * The transfer limits a module's dynamic options set for its operations, per Supervisor process (each
 * process's bucket: {@link io.modbackup.core.store.TransferLimits}): read when an operation starts, so a
 * change applies to the next one without a restart. Sizes as {@code 8MiB}, {@code 500KB} or bytes; absent or
 * 0 means unlimited.
 */
final class TransferRates {
    /** Bytes a second each Supervisor sends to the store for a backup of the module. */
    static final String UPLOAD = "backup.upload.bytes.per.second";
    /** Bytes a second each Supervisor reads from the store for a restore of the module. */
    static final String RESTORE = "backup.restore.bytes.per.second";

    private TransferRates() {
    }

    static long upload(ModuleDescriptor module) {
        return rate(module, UPLOAD);
    }

    static long restore(ModuleDescriptor module) {
        return rate(module, RESTORE);
    }

    private static long rate(ModuleDescriptor module, String option) {
        String value = module.dynamicOptions().get(option);
        if (value == null || value.isBlank() || value.strip().equals("0")) {
            return 0;
        }
        try {
            return ProviderArguments.size(value.strip(), "module " + module.name() + " dynamic option " + option);
        } catch (IllegalArgumentException e) {
            throw new BackupException(Problem.INVALID_OPTION, option, "dynamic option " + option + " of module "
                    + module.name() + " is '" + value + "', not a rate in bytes a second such as 8MiB or 500KB; set it, or"
                    + " remove it for no limit");
        }
    }
}
