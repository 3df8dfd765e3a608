package io.modbackup.core.engine;

import java.util.List;

/** A page of backups, newest first; {@code nextPageToken} is null on the last page. */
public record BackupPage(List<BackupSummary> backups, String nextPageToken) {
    public BackupPage {
        backups = List.copyOf(backups);
    }
}
