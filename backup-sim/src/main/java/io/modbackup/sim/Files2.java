package io.modbackup.sim;

import io.modbackup.api.fs.FileTrees;
import java.nio.file.Path;

/** File helpers the JDK lacks. */
final class Files2 {
    private Files2() {
    }

    /** Deletes {@code path} and everything below it, removing links rather than following them; absent is fine. */
    static void deleteRecursively(Path path) {
        FileTrees.deleteTree(path);
    }
}
