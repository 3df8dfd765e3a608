package io.modbackup.testkit.runtime;

import io.modbackup.api.runtime.CapturedFile;
import io.modbackup.api.runtime.ClusterRuntime;
import io.modbackup.api.runtime.CutDescriptor;
import io.modbackup.api.runtime.TaskCut;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Stages a cut for {@link ClusterRuntime#installRestore} the way the engine does, without a store in
 * between: every task's pinned files, each cut to its captured size, copied into the staging directory
 * the task's new Supervisor hands out.
 */
final class CutStaging {
    private CutStaging() {
    }

    static void stage(ClusterRuntime runtime, CutDescriptor cut, Map<Integer, String> placement, String restoreId) {
        for (TaskCut task : cut.tasks()) {
            Path staging = runtime.supervisor(placement.get(task.task())).stagingDirectory(cut.module(), restoreId, task.task());
            for (CapturedFile file : runtime.supervisor(task.supervisorId()).cutFiles(cut.module(), cut.cutId(), task.task())) {
                copy(file, staging.resolve(file.path()));
            }
        }
    }

    /** The first {@code file.size()} bytes of a pinned file: an append-only one may have grown since. */
    static void copy(CapturedFile file, Path target) {
        try {
            Files.createDirectories(target.getParent());
            try (InputStream in = Files.newInputStream(file.source()); OutputStream out = Files.newOutputStream(target)) {
                long copied = in.transferTo(new BoundedOutput(out, file.size()));
                if (copied < file.size()) {
                    throw new IOException(file.source() + " has " + copied + " bytes, fewer than its captured " + file.size());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stage " + file.path(), e);
        }
    }

    /** Passes on the first {@code limit} bytes and drops the rest. */
    private static final class BoundedOutput extends OutputStream {
        private final OutputStream out;
        private long left;

        BoundedOutput(OutputStream out, long limit) {
            this.out = out;
            this.left = limit;
        }

        @Override
        public void write(int b) throws IOException {
            if (left > 0) {
                out.write(b);
                left--;
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            int n = (int) Math.min(len, left);
            if (n > 0) {
                out.write(b, off, n);
                left -= n;
            }
        }
    }
}
