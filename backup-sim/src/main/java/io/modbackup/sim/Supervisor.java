package io.modbackup.sim;

import io.modbackup.api.fs.FileTrees;
import io.modbackup.api.runtime.CapturedFile;
import io.modbackup.api.runtime.PathSegment;
import io.modbackup.api.runtime.SupervisorRuntime;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A simulated Supervisor: owns the state directories of its tasks under its own root, the pinned
 * files of cuts, and staging directories for restores.
 *
 * <pre>
 * root/state/&lt;module&gt;/task-&lt;n&gt;/              live task state
 * root/cuts/&lt;module&gt;/&lt;cutId&gt;/task-&lt;n&gt;/       pinned files of a cut
 * root/staging/&lt;module&gt;/&lt;restoreId&gt;/task-&lt;n&gt;/ restored files awaiting install
 * </pre>
 */
public final class Supervisor implements SupervisorRuntime {
    private final String id;
    private final Path root;
    private final Map<String, List<CapturedFile>> cutFiles = new ConcurrentHashMap<>();
    /** Whether a restore is decided (its install journaled): its staging is the install's to remove. */
    private final java.util.function.Predicate<String> decided;

    Supervisor(String id, Path root) {
        this(id, root, restoreId -> false);
    }

    Supervisor(String id, Path root, java.util.function.Predicate<String> decided) {
        this.id = id;
        this.root = root;
        this.decided = decided;
    }

    @Override
    public String id() {
        return id;
    }

    /** This Supervisor's root directory. */
    public Path root() {
        return root;
    }

    /** The live state directory of a task hosted here. */
    public Path taskDirectory(String module, int task) {
        return root.resolve("state").resolve(PathSegment.check("module name", module)).resolve("task-" + task);
    }

    Path cutDirectory(String module, String cutId, int task) {
        return cutRoot(module, cutId).resolve("task-" + task);
    }

    void registerCut(String module, String cutId, int task, List<CapturedFile> files) {
        // Kept as given (immutable, and the depots' parts make entries on demand): no copy per file.
        cutFiles.put(cutKey(module, cutId, task), java.util.Collections.unmodifiableList(files));
    }

    void releaseCut(String module, String cutId) {
        cutFiles.keySet().removeIf(key -> key.startsWith(module + "\n" + cutId + "\n"));
        FileTrees.deleteTree(cutRoot(module, cutId));
    }

    @Override
    public List<CapturedFile> cutFiles(String module, String cutId, int task) {
        List<CapturedFile> files = cutFiles.get(cutKey(module, cutId, task));
        if (files == null) {
            throw new IllegalArgumentException("Supervisor " + id + " holds no cut " + cutId + " of task " + task
                    + " of module " + module + " (released, or the task lives elsewhere)");
        }
        return files;
    }

    @Override
    public Path stagingDirectory(String module, String restoreId, int task) {
        Path dir = stagingRoot(module, restoreId).resolve("task-" + task);
        FileTrees.deleteTree(dir);
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create staging directory " + dir, e);
        }
    }

    Path existingStagingDirectory(String module, String restoreId, int task) {
        return stagingRoot(module, restoreId).resolve("task-" + task);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Keeps the staging of a restore whose install is decided (journaled): that restore will be
     * installed, by the install or by the recovery after a crash, and needs every staged task.
     */
    @Override
    public void discardStaging(String module, String restoreId) {
        if (!decided.test(restoreId)) {
            discardStagingNow(module, restoreId);
        }
    }

    /** Deletes a restore's staging whatever its state: the install's own cleanup once it swapped. */
    void discardStagingNow(String module, String restoreId) {
        FileTrees.deleteTree(stagingRoot(module, restoreId));
    }

    /** Discards the staging of every restore on this Supervisor. */
    void discardAllStaging() {
        FileTrees.deleteTree(root.resolve("staging"));
    }

    /** {@code staging/<module>/<restoreId>}; both names are checked: a caller names them. */
    Path stagingRoot(String module, String restoreId) {
        return root.resolve("staging").resolve(PathSegment.check("module name", module))
                .resolve(PathSegment.check("restore ID", restoreId));
    }

    private Path cutRoot(String module, String cutId) {
        return root.resolve("cuts").resolve(PathSegment.check("module name", module))
                .resolve(PathSegment.check("cut ID", cutId));
    }

    private static String cutKey(String module, String cutId, int task) {
        return module + "\n" + cutId + "\n" + task;
    }
}
