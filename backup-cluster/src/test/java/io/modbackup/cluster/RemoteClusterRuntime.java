package io.modbackup.cluster;

import io.modbackup.api.runtime.CapturedFile;
import io.modbackup.api.runtime.ClusterRuntime;
import io.modbackup.api.runtime.CutDescriptor;
import io.modbackup.api.runtime.ModuleDescriptor;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.api.runtime.RestoreMarker;
import io.modbackup.api.runtime.SupervisorRuntime;
import io.modbackup.cluster.node.RuntimeService;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The SPI over a running Conductor's {@link RuntimeService}, for the runtime contract suite in the test JVM. */
final class RemoteClusterRuntime implements ClusterRuntime {
    private final RuntimeService service;

    RemoteClusterRuntime(RuntimeService service) {
        this.service = service;
    }

    @Override
    public String clusterId() {
        return service.clusterId();
    }

    @Override
    public List<String> moduleNames() {
        return service.moduleNames();
    }

    @Override
    public Optional<ModuleDescriptor> describe(String module) {
        return Optional.ofNullable(service.describe(module));
    }

    @Override
    public Path moduleJar(String module) {
        return Path.of(service.moduleJar(module));
    }

    @Override
    public CutDescriptor captureCut(String module) {
        return service.captureCut(module);
    }

    @Override
    public void releaseCut(String module, String cutId) {
        service.releaseCut(module, cutId);
    }

    @Override
    public SupervisorRuntime supervisor(String supervisorId) {
        return new SupervisorRuntime() {
            @Override
            public String id() {
                return supervisorId;
            }

            @Override
            public List<CapturedFile> cutFiles(String module, String cutId, int task) {
                return service.cutFiles(supervisorId, module, cutId, task);
            }

            @Override
            public Path stagingDirectory(String module, String restoreId, int task) {
                return Path.of(service.stagingDirectory(supervisorId, module, restoreId, task));
            }

            @Override
            public void discardStaging(String module, String restoreId) {
                service.discardStaging(supervisorId, module, restoreId);
            }
        };
    }

    @Override
    public Map<Integer, String> placeRestore(ModuleDescriptor descriptor, Parallelism parallelism) {
        return service.placeRestore(descriptor, parallelism);
    }

    @Override
    public RestoreMarker installRestore(RestoreRequest request) {
        return service.installRestore(request);
    }

    @Override
    public Optional<RestoreMarker> restoreMarker(String module) {
        return Optional.ofNullable(service.restoreMarker(module));
    }
}
