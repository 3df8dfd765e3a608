package io.modbackup.core.manifest;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A task manifest's link to one segment of its file list: the SHA-256 of the segment's bytes (which
 * is also its name in the store, so backups whose files did not change share it), and how many files
 * and bytes it describes.
 *
 * @param stamp what a cut can tell of the segment's files without reading them: a hash of each file's
 *     path, kind, size and modification time (the store's content hash, keyed in an encrypted store), or
 *     {@code null} when a file of it is mutable (read at every backup) or the segment was written before
 *     stamps (format 2). A backup whose cut has exactly these files again refers to the segment without
 *     reading it.
 * @param chunks how many chunk references its files hold (with {@code stamp}; {@code null} without)
 */
public record SegmentRef(String sha256, int files, long bytes,
                         @JsonInclude(JsonInclude.Include.NON_NULL) String stamp,
                         @JsonInclude(JsonInclude.Include.NON_NULL) Long chunks) {
    /** A segment without a stamp. */
    public SegmentRef(String sha256, int files, long bytes) {
        this(sha256, files, bytes, null, null);
    }
}
