package io.modbackup.sim;

import io.modbackup.api.runtime.CapturedFile;
import io.modbackup.api.runtime.SupervisorRuntime;
import java.nio.file.Path;
import java.util.List;

/**
 * A Supervisor as the engine's coordinator in the Conductor sees it: it lists cut files and discards
 * staging through the Supervisor's channel; its staging directories exist only in its own process,
 * where its task worker runs.
 */
final class RemoteSupervisor implements SupervisorRuntime {
    private final String id;
    private final SupervisorCalls calls;
    private final ConductorInstalls installs;

    RemoteSupervisor(String id, SupervisorCalls calls, ConductorInstalls installs) {
        this.id = id;
        this.calls = calls;
        this.installs = installs;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public List<CapturedFile> cutFiles(String module, String cutId, int task) {
        return calls.of(id).cutFiles(module, cutId, task);
    }

    /**
     * {@inheritDoc}
     *
     * <p>A path on the Supervisor's machine: the engine's workers stage in the Supervisor's own process; a
     * caller here can use it only on that machine (the runtime contract suite does). The restore counts as
     * staging from now on, so the Supervisor keeps what is put there.
     */
    @Override
    public Path stagingDirectory(String module, String restoreId, int task) {
        installs.stagingStarted(module, restoreId);
        return calls.of(id).stagingDirectory(module, restoreId, task);
    }

    @Override
    public void discardStaging(String module, String restoreId) {
        installs.discardStaging(id, module, restoreId);
    }
}
