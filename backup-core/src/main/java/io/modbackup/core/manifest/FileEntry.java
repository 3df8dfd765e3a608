package io.modbackup.core.manifest;

import io.modbackup.api.runtime.FileKind;
import java.util.List;

/**
 * One file of a backup: where it goes, what it holds, and where its bytes are. Either
 * {@code chunks} lists the content hash of each fixed-size chunk in order, or {@code inline} holds the
 * whole (small) file in base64.
 *
 * @param path relative to the task's state directory ({@code /}-separated)
 * @param kind how the file may change between backups
 * @param size bytes
 * @param modifiedMillis modification time at capture, used to reuse unchanged immutable files
 * @param sha256 content hash of the whole file: SHA-256, or in an encrypted store HMAC-SHA256 under the
 *     store's naming key (see {@link io.modbackup.core.hash.ContentHash}); the name stays for the format
 * @param chunks chunk hashes, empty when inlined
 * @param inline base64 content, or {@code null}
 */
public record FileEntry(String path, FileKind kind, long size, long modifiedMillis, String sha256, List<String> chunks,
                        String inline) {
    public FileEntry {
        chunks = chunks == null ? List.of() : List.copyOf(chunks);
    }
}
