package io.modbackup.api.runtime;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Recorded by the runtime when a module has been restored. Topologies that track processed offsets in
 * the module's depots compare its {@code epoch} with the one they last saw and recalibrate when they
 * differ (see {@link Recalibration}).
 *
 * @param module the restored module
 * @param epoch increases with every restore of the module; 0 means never restored
 * @param backupId the backup restored
 * @param restoredAtMillis when the restore completed
 * @param depotEndOffsets per depot, per partition, the end offset right after the restore
 */
public record RestoreMarker(String module, long epoch, String backupId, long restoredAtMillis,
                            Map<String, List<Long>> depotEndOffsets) {
    public RestoreMarker {
        Objects.requireNonNull(module, "module");
        depotEndOffsets = Map.copyOf(depotEndOffsets);
    }
}
