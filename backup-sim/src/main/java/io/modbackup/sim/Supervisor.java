package io.modbackup.sim;

import io.modbackup.api.fs.FileTrees;
import io.modbackup.api.runtime.CapturedFile;
import io.modbackup.api.runtime.PathSegment;
import io.modbackup.api.runtime.SupervisorRuntime;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
public final class Supervisor implements SupervisorRuntime, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Supervisor.class);
    /** The link in a cut's task directory through which its depot files are read: to the task's state. */
    static final String PINNED_STATE = "state";
    private final String id;
    private final Path root;
    private final Map<String, List<CapturedFile>> cutFiles = new ConcurrentHashMap<>();
    /** Tasks of live cuts (module, cut ID, task keys) whose depot files are read through {@link #PINNED_STATE}. */
    private final java.util.Set<String> pinnedTasks = ConcurrentHashMap.newKeySet();
    /** Retired task states that live cuts still read, and the cut tasks that read each. */
    private final Map<Path, java.util.Set<String>> retiredButPinned = new java.util.HashMap<>();
    /** Per live cut ({@link #cutPrefix}), what unpins its PState stores at its release. */
    private final Map<String, List<Runnable>> unpins = new java.util.HashMap<>();
    private final Trash trash;
    /** Whether a restore is decided (its install journaled): its staging is the install's to remove. */
    private final java.util.function.Predicate<String> decided;

    Supervisor(String id, Path root) {
        this(id, root, restoreId -> false);
    }

    Supervisor(String id, Path root, java.util.function.Predicate<String> decided) {
        this.id = id;
        this.root = root;
        this.decided = decided;
        this.trash = new Trash(root);
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

    /** Runs {@code unpin} when the cut is released or aborted (a PState store's pin, see {@link PStateStore#pin}). */
    synchronized void unpinOnRelease(String module, String cutId, Runnable unpin) {
        unpins.computeIfAbsent(cutPrefix(module, cutId), k -> new ArrayList<>()).add(unpin);
    }

    void registerCut(String module, String cutId, int task, List<CapturedFile> files) {
        // Kept as given (immutable, and the depots' parts make entries on demand): no copy per file.
        cutFiles.put(cutKey(module, cutId, task), java.util.Collections.unmodifiableList(files));
    }

    /**
     * Pins a task's depot files for a cut at a constant cost: one link in the cut's task directory to the
     * task's live state, through which the cut's depot files are read (sealed segments never change, the
     * active one is read to its captured length). An install that replaces the state while the cut is live
     * retires it to the trash and points the link there ({@link #retireTaskDirectory}). Returns the link.
     */
    synchronized Path pinTaskState(String module, String cutId, int task) {
        Path link = cutDirectory(module, cutId, task).resolve(PINNED_STATE);
        try {
            Files.createDirectories(link.getParent());
            Files.createSymbolicLink(link, taskDirectory(module, task));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot pin the state of task " + task + " of " + module + " for cut " + cutId, e);
        }
        pinnedTasks.add(cutKey(module, cutId, task));
        return link;
    }

    /**
     * Takes a task's live state directory out of the way with one rename (an install swaps staged state in
     * next, or the task is removed): deleted in the background, or, while live cuts read it, kept until the
     * last of them is released, their links pointed to where it went.
     */
    synchronized void retireTaskDirectory(String module, int task) {
        Path live = taskDirectory(module, task);
        if (!Files.exists(live, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Path retired = trash.retire(live);
        java.util.Set<String> readers = new java.util.HashSet<>();
        for (String key : pinnedTasks) {
            String[] parts = key.split("\n", 3);
            if (parts[0].equals(module) && parts[2].equals(Integer.toString(task))) {
                readers.add(key);
                relink(cutDirectory(module, parts[1], task).resolve(PINNED_STATE), retired);
            }
        }
        if (readers.isEmpty()) {
            trash.deleteLater(retired);
        } else {
            retiredButPinned.put(retired, readers);
        }
    }

    /** Retires every task state of {@code module} here, as {@link #retireTaskDirectory} (a destroy). */
    synchronized void retireModuleState(String module) {
        Path dir = root.resolve("state").resolve(PathSegment.check("module name", module));
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (java.util.stream.Stream<Path> tasks = Files.list(dir)) {
            for (Path task : tasks.toList()) {
                String name = task.getFileName().toString();
                if (name.startsWith("task-")) {
                    retireTaskDirectory(module, Integer.parseInt(name.substring("task-".length())));
                }
            }
        } catch (IOException | NumberFormatException e) {
            throw new IllegalStateException("cannot remove the state of " + module + " in " + dir + ": " + e, e);
        }
        FileTrees.deleteTree(dir);
    }

    private static void relink(Path link, Path target) {
        Path next = link.resolveSibling(link.getFileName() + ".next");
        try {
            Files.deleteIfExists(next);
            Files.createSymbolicLink(next, target);
            Files.move(next, link, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot point " + link + " to " + target, e);
        }
    }

    /** Unpins a cut: its directory goes to the trash with one rename, and retired state no cut reads any more with it. */
    synchronized void releaseCut(String module, String cutId) {
        String prefix = cutPrefix(module, cutId);
        cutFiles.keySet().removeIf(key -> key.startsWith(prefix));
        for (Runnable unpin : java.util.Objects.requireNonNullElse(unpins.remove(prefix), List.<Runnable>of())) {
            try {
                unpin.run();
            } catch (RuntimeException e) {
                log.warn("cut {} of {}: {}", cutId, module, e.getMessage());
            }
        }
        pinnedTasks.removeIf(key -> key.startsWith(prefix));
        for (var it = retiredButPinned.entrySet().iterator(); it.hasNext(); ) {
            var retired = it.next();
            retired.getValue().removeIf(key -> key.startsWith(prefix));
            if (retired.getValue().isEmpty()) {
                trash.deleteLater(retired.getKey());
                it.remove();
            }
        }
        Path cut = cutRoot(module, cutId);
        if (Files.exists(cut, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            trash.deleteLater(trash.retire(cut));
        }
    }

    /** Finishes the background deletions. */
    @Override
    public void close() {
        trash.close();
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
        return cutPrefix(module, cutId) + task;
    }

    /** What every key of a cut's tasks starts with. */
    private static String cutPrefix(String module, String cutId) {
        return module + "\n" + cutId + "\n";
    }
}
