package io.modbackup.cluster.node;

import io.modbackup.api.runtime.CapturedFile;
import io.modbackup.api.runtime.ClusterRuntime.RestoreRequest;
import io.modbackup.api.runtime.CutDescriptor;
import io.modbackup.api.runtime.ModuleDescriptor;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.api.runtime.RestoreMarker;
import io.modbackup.sim.ConductorRuntime;
import java.util.List;
import java.util.Map;

/** {@link RuntimeService} over the Conductor's {@link ConductorRuntime}. */
final class ConductorRuntimeService implements RuntimeService {
    private final ConductorRuntime runtime;

    ConductorRuntimeService(ConductorRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public String clusterId() {
        return runtime.clusterId();
    }

    @Override
    public List<String> moduleNames() {
        return runtime.moduleNames();
    }

    @Override
    public ModuleDescriptor describe(String module) {
        return runtime.describe(module).orElse(null);
    }

    @Override
    public String moduleJar(String module) {
        return runtime.moduleJar(module).toString();
    }

    @Override
    public CutDescriptor captureCut(String module) {
        return runtime.captureCut(module);
    }

    @Override
    public void releaseCut(String module, String cutId) {
        runtime.releaseCut(module, cutId);
    }

    @Override
    public List<CapturedFile> cutFiles(String supervisorId, String module, String cutId, int task) {
        return runtime.supervisor(supervisorId).cutFiles(module, cutId, task);
    }

    @Override
    public String stagingDirectory(String supervisorId, String module, String restoreId, int task) {
        return runtime.supervisor(supervisorId).stagingDirectory(module, restoreId, task).toString();
    }

    @Override
    public void discardStaging(String supervisorId, String module, String restoreId) {
        runtime.supervisor(supervisorId).discardStaging(module, restoreId);
    }

    @Override
    public Map<Integer, String> placeRestore(ModuleDescriptor descriptor, Parallelism parallelism) {
        return runtime.placeRestore(descriptor, parallelism);
    }

    @Override
    public RestoreMarker installRestore(RestoreRequest request) {
        return runtime.installRestore(request);
    }

    @Override
    public RestoreMarker restoreMarker(String module) {
        return runtime.restoreMarker(module).orElse(null);
    }

    @Override
    public void update(String module, String codeId) {
        runtime.update(module, codeId);
    }

    @Override
    public void setDynamicOption(String module, String option, String value) {
        runtime.setDynamicOption(module, option, value);
    }

    @Override
    public Map<String, String> readPState(String module, String pstate, List<String> keys) {
        return runtime.readPState(module, pstate, keys);
    }

    @Override
    public Map<Integer, List<String>> replicas(String module) {
        return runtime.replicas(module);
    }
}
