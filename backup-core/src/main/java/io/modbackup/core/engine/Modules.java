package io.modbackup.core.engine;

import io.modbackup.api.runtime.ClusterRuntime;
import io.modbackup.core.error.BackupException;
import io.modbackup.core.error.BackupException.Problem;

/** The engine's one wording of a module the cluster does not have. */
final class Modules {
    private Modules() {
    }

    static BackupException unknown(ClusterRuntime runtime, String module) {
        return new BackupException(Problem.UNKNOWN_MODULE, module, "unknown module " + module + ": the cluster has no"
                + " such module" + (runtime.moduleNames().isEmpty() ? "" : " (modules: "
                + String.join(", ", runtime.moduleNames()) + ")"));
    }
}
