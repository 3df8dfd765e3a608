package io.modbackup.core.manifest;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.modbackup.api.runtime.FileKind;
import java.util.List;

/**
 * One file of a backup: where it goes, what it holds, and where its bytes are. Either
 * {@code chunks} lists the content hash of each fixed-size chunk in order, or {@code inline} holds the
 * whole (small) file in base64, or {@code chunks} names one pack and {@code pack} says where in it the
 * file is (see {@link PackSlice}).
 *
 * @param path relative to the task's state directory ({@code /}-separated)
 * @param kind how the file may change between backups
 * @param size bytes
 * @param modifiedMillis modification time at capture, used to reuse unchanged immutable files
 * @param sha256 content hash of the whole file: SHA-256, or in an encrypted store HMAC-SHA256 under the
 *     store's naming key (see {@link io.modbackup.core.hash.ContentHash}); the name stays for the format
 * @param chunks chunk hashes, empty when inlined
 * @param inline base64 content, or {@code null}
 * @param pack where the file is in its one chunk, a pack of small files; {@code null} (and not written)
 *     for a file that has chunks of its own
 */
public record FileEntry(String path, FileKind kind, long size, long modifiedMillis, String sha256, List<String> chunks,
                        String inline, @JsonInclude(JsonInclude.Include.NON_NULL) PackSlice pack) {
    public FileEntry {
        chunks = chunks == null ? List.of() : List.copyOf(chunks);
    }

    /** A file inlined or with chunks of its own (not packed). */
    public FileEntry(String path, FileKind kind, long size, long modifiedMillis, String sha256, List<String> chunks,
                     String inline) {
        this(path, kind, size, modifiedMillis, sha256, chunks, inline, null);
    }

    /**
     * How many bytes the store holds under chunk {@code index} of this file, in a backup of {@code chunkSize}
     * chunks: the whole pack's length for a packed file.
     */
    public long storedChunkSize(int index, int chunkSize) {
        return pack != null ? pack.packSize() : Math.min(chunkSize, size - (long) index * chunkSize);
    }
}
