package io.modbackup.core.engine;

import java.util.List;

/**
 * The outcome of verifying a backup.
 *
 * @param backupId the backup
 * @param deep whether every chunk was downloaded and re-hashed
 * @param taskManifests task manifests checked
 * @param files files checked
 * @param chunks distinct chunks checked
 * @param problems what is wrong; empty when the backup is intact
 * @param sample the part of the chunks downloaded and re-hashed ({@code n/t}), or null: all ({@code deep}) or none
 * @param chunksRead chunks downloaded and re-hashed (the others were checked for presence and size)
 * @param bytesRead content bytes of the chunks read
 */
public record VerifyReport(String backupId, boolean deep, int taskManifests, long files, long chunks, List<String> problems,
                           VerifySample sample, long chunksRead, long bytesRead) {
    public VerifyReport {
        problems = List.copyOf(problems);
    }

    /** Whether the backup is intact. */
    public boolean ok() {
        return problems.isEmpty();
    }
}
