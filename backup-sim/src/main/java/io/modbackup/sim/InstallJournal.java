package io.modbackup.sim;

import io.modbackup.api.fs.FileTrees;
import io.modbackup.api.runtime.ModuleDescriptor;
import io.modbackup.api.runtime.PathSegment;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The journal that makes a restore's install atomic across crashes: before an install touches live
 * state it writes an intent ({@code conductor/installs/<module>/intent.json}) naming everything it
 * will do, next to a copy of the restored jar; a cluster reopened after a crash finishes every install
 * whose intent it finds and discards every other install directory.
 */
final class InstallJournal {
    private static final String INTENT = "intent.json";

    private final ClusterState state;

    /**
     * What an install will do.
     *
     * @param placement where each restored task goes
     * @param previousPlacement where each task lived before, whose directories the install removes
     * @param epoch the module's restore epoch after the install
     */
    record InstallIntent(String restoreId, String backupId, ModuleDescriptor descriptor,
                         Map<Integer, String> placement, Map<Integer, String> previousPlacement, long epoch) {
    }

    InstallJournal(ClusterState state) {
        this.state = state;
    }

    /** Records {@code intent}, with a copy of the staged jar, before anything live is touched. */
    void begin(InstallIntent intent, Path stagedJar) {
        Path dir = dir(intent.descriptor().name());
        try {
            FileTrees.deleteTree(dir);
            Files.createDirectories(dir);
            Files.copy(stagedJar, dir.resolve(PathSegment.check("jar name", intent.descriptor().jarName())));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stage the jar of module " + intent.descriptor().name(), e);
        }
        state.writeJson(dir.resolve(INTENT), intent);
    }

    /** The restored jar that an intent's install copies into place. */
    Path stagedJar(InstallIntent intent) {
        return dir(intent.descriptor().name()).resolve(PathSegment.check("jar name", intent.descriptor().jarName()));
    }

    /** Forgets a finished install. */
    void finish(String module) {
        FileTrees.deleteTree(dir(module));
    }

    /**
     * The intents of installs a crash interrupted, in module order; install directories without an
     * intent (the crash came before it was written) are deleted.
     */
    List<InstallIntent> interrupted() {
        List<InstallIntent> intents = new ArrayList<>();
        Path installs = root();
        if (!Files.isDirectory(installs)) {
            return intents;
        }
        try (Stream<Path> list = Files.list(installs)) {
            for (Path dir : list.sorted().toList()) {
                Path intentFile = dir.resolve(INTENT);
                if (Files.exists(intentFile)) {
                    intents.add(state.readJson(intentFile, InstallIntent.class));
                } else {
                    FileTrees.deleteTree(dir);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the interrupted installs in " + installs, e);
        }
        return intents;
    }

    /** Whether an install of restore {@code restoreId} is journaled and not finished. */
    boolean decided(String restoreId) {
        return interrupted().stream().anyMatch(intent -> intent.restoreId().equals(restoreId));
    }

    private Path root() {
        return state.conductor().resolve("installs");
    }

    private Path dir(String module) {
        return root().resolve(PathSegment.check("module name", module));
    }
}
