package io.modbackup.core.manifest;

import java.util.List;

/**
 * A run of a task's file entries in path order, stored on its own under the SHA-256 of its bytes:
 * the unit that backups share, the way restic shares unchanged trees. An unchanged run of files
 * encodes to the same bytes, so the next backup refers to it instead of writing it again.
 *
 * @param version format version, {@link ManifestCodec#VERSION}
 * @param files the entries, by path
 */
public record FileSegment(int version, List<FileEntry> files) {
    public FileSegment {
        files = files == null ? List.of() : List.copyOf(files);
    }
}
