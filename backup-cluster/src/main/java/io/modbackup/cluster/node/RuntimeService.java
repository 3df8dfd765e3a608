package io.modbackup.cluster.node;

import io.modbackup.api.runtime.CapturedFile;
import io.modbackup.api.runtime.ClusterRuntime.RestoreRequest;
import io.modbackup.api.runtime.CutDescriptor;
import io.modbackup.api.runtime.ModuleDescriptor;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.api.runtime.RestoreMarker;
import java.util.List;
import java.util.Map;

/**
 * The Conductor's {@link io.modbackup.api.runtime.ClusterRuntime} as a remote service, flattened for
 * JSON-RPC (a Supervisor's calls name it; absent values are {@code null}), plus what the runtime
 * contract suite's harness needs of a live cluster. {@code RemoteClusterRuntime} in the tests turns it
 * back into the SPI. Each method has the contract of the SPI method it stands for.
 */
public interface RuntimeService {

    String clusterId();

    List<String> moduleNames();

    /** The module's descriptor, or null when the cluster has no such module. */
    ModuleDescriptor describe(String module);

    /** The path of the module's jar on the Conductor's machine. */
    String moduleJar(String module);

    CutDescriptor captureCut(String module);

    void releaseCut(String module, String cutId);

    List<CapturedFile> cutFiles(String supervisorId, String module, String cutId, int task);

    /** The path of the staging directory, on the Supervisor's machine. */
    String stagingDirectory(String supervisorId, String module, String restoreId, int task);

    void discardStaging(String supervisorId, String module, String restoreId);

    Map<Integer, String> placeRestore(ModuleDescriptor descriptor, Parallelism parallelism);

    RestoreMarker installRestore(RestoreRequest request);

    /** The module's restore marker, or null when it was never restored. */
    RestoreMarker restoreMarker(String module);

    // ------------------------------------------------------------------ for the contract suite's harness

    /** Updates a module to the catalog's code with identity {@code codeId} ({@code ModuleCode.idOf}). */
    void update(String module, String codeId);

    /** Sets ({@code value} null: removes) a dynamic option. */
    void setDynamicOption(String module, String option, String value);

    /** The values of PState keys of a running module; a key it holds no value for is absent. */
    Map<String, String> readPState(String module, String pstate, List<String> keys);

    /** Per task, the Supervisors holding its replicas, leader first. */
    Map<Integer, List<String>> replicas(String module);
}
