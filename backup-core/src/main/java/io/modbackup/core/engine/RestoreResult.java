package io.modbackup.core.engine;

import io.modbackup.api.runtime.RestoreMarker;

/** What a restore installed. */
public record RestoreResult(String backupId, RestoreMarker marker, long files, long bytes, long durationMillis) {
}
