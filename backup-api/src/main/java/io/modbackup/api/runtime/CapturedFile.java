package io.modbackup.api.runtime;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One file of a task's consistent cut.
 *
 * @param path the file's path relative to the task's state directory, {@code /}-separated; restore
 *     puts it back at the same place
 * @param kind how the file may change, see {@link FileKind}
 * @param size bytes that belong to the cut: exactly the first {@code size} bytes of {@code source}
 *     (an append-only file may have grown since the cut)
 * @param modifiedMillis the file's modification time at capture
 * @param source where the pinned file can be read on this Supervisor until the cut is released
 */
public record CapturedFile(String path, FileKind kind, long size, long modifiedMillis, Path source) {
    public CapturedFile {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(kind, "kind");
        if (size < 0) {
            throw new IllegalArgumentException("size of " + path + " must not be negative, got " + size);
        }
    }
}
