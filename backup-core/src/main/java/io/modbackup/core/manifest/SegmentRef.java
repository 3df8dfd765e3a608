package io.modbackup.core.manifest;

/**
 * A task manifest's link to one segment of its file list: the SHA-256 of the segment's bytes (which
 * is also its name in the store, so backups whose files did not change share it), and how many files
 * and bytes it describes.
 */
public record SegmentRef(String sha256, int files, long bytes) {
}
