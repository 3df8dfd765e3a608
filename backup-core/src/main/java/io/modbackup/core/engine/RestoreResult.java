package io.modbackup.core.engine;

import io.modbackup.api.runtime.RestoreMarker;

/**
 * What a restore installed.
 *
 * @param durationMillis the whole restore
 * @param stagingMillis of which downloading and verifying into staging; the rest is the runtime's
 *     install (stop, swap, start)
 */
public record RestoreResult(String backupId, RestoreMarker marker, long files, long bytes, long durationMillis,
                            long stagingMillis) {
}
