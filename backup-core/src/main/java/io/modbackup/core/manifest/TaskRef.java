package io.modbackup.core.manifest;

/**
 * The module manifest's link to a task manifest: its key and the SHA-256 of its bytes, which makes
 * the chain module manifest, task manifest, chunk tamper-evident.
 */
public record TaskRef(int task, String key, String sha256, int files, long bytes) {
}
