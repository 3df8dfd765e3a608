package io.modbackup.sim;

import io.modbackup.api.runtime.CapturedFile;
import io.modbackup.api.runtime.FileKind;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import io.modbackup.api.runtime.ClusterRuntime;
import io.modbackup.api.runtime.CutDescriptor;
import io.modbackup.api.runtime.TaskCut;

/** Turns a task's captured files into a task state directory, as a restore would. */
public final class CutFiles {
    private CutFiles() {
    }

    /**
     * Materializes every task of {@code cut} under {@code targetRoot/task-<n>} and returns the task
     * directories, ready for {@link ConsistencyOracle#check}.
     */
    public static Map<Integer, Path> materialize(ClusterRuntime runtime, CutDescriptor cut, Path targetRoot) {
        Map<Integer, Path> dirs = new TreeMap<>();
        for (TaskCut task : cut.tasks()) {
            Path dir = targetRoot.resolve("task-" + task.task());
            materialize(runtime.supervisor(task.supervisorId()).cutFiles(cut.module(), cut.cutId(), task.task()), dir);
            dirs.put(task.task(), dir);
        }
        return dirs;
    }

    /**
     * Writes each captured file to {@code taskDir} at its relative path: exactly its first
     * {@code size} bytes. Immutable files are hard-linked when possible, since they cannot change.
     */
    public static void materialize(List<CapturedFile> files, Path taskDir) {
        try {
            for (CapturedFile file : files) {
                Path target = taskDir.resolve(file.path()).normalize();
                if (!target.startsWith(taskDir)) {
                    throw new IllegalArgumentException("captured path " + file.path() + " leaves the task directory");
                }
                Files.createDirectories(target.getParent());
                Files.deleteIfExists(target);
                if (file.kind() == FileKind.IMMUTABLE && Files.size(file.source()) == file.size()) {
                    try {
                        Files.createLink(target, file.source());
                        continue;
                    } catch (IOException | UnsupportedOperationException e) {
                        // different file system: copy below
                    }
                }
                copyPrefix(file.source(), target, file.size());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot materialize captured files into " + taskDir, e);
        }
    }

    private static void copyPrefix(Path source, Path target, long size) throws IOException {
        try (InputStream in = Files.newInputStream(source); OutputStream out = Files.newOutputStream(target)) {
            byte[] buffer = new byte[64 * 1024];
            long remaining = size;
            while (remaining > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, remaining));
                if (n < 0) {
                    throw new IOException(source + " is shorter than its captured size " + size);
                }
                out.write(buffer, 0, n);
                remaining -= n;
            }
        }
    }
}
