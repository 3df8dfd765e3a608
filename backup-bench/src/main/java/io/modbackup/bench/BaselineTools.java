package io.modbackup.bench;

import static io.modbackup.bench.Timing.runWithEnv;
import static io.modbackup.bench.Timing.time;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** The tools a user would run instead, timed as they ship: restic and borg, each only when installed. */
final class BaselineTools {
    private BaselineTools() {
    }

    /** A baseline tool's full backup and, right after, a backup with nothing changed. */
    record ToolTimes(double full, double noChange) {
    }

    /** restic (0.14 and later compress with zstd by default: measured as it ships), or null when not installed. */
    static ToolTimes resticBackup(Path source, Path repo) throws Exception {
        if (!isOnPath("restic")) {
            return null;
        }
        Map<String, String> env = Map.of("RESTIC_PASSWORD", "modbackup-bench", "RESTIC_REPOSITORY", repo.toString());
        runWithEnv(env, "restic", "init", "--quiet");
        double full = time(() -> runWithEnv(env, "restic", "backup", "--quiet", source.toString()), true);
        double again = time(() -> runWithEnv(env, "restic", "backup", "--quiet", source.toString()), true);
        return new ToolTimes(full, again);
    }

    /** borg 1.2, unencrypted and uncompressed as the issue asks, or null when not installed. */
    static ToolTimes borgBackup(Path source, Path repo) throws Exception {
        if (!isOnPath("borg")) {
            return null;
        }
        Map<String, String> env = Map.of("BORG_REPO", repo.toString(), "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK", "yes",
                "BORG_RELOCATED_REPO_ACCESS_IS_OK", "yes");
        runWithEnv(env, "borg", "init", "--encryption=none");
        double full = time(() -> runWithEnv(env, "borg", "create", "--compression", "none", "::full", source.toString()), true);
        double again = time(() -> runWithEnv(env, "borg", "create", "--compression", "none", "::again", source.toString()), true);
        return new ToolTimes(full, again);
    }

    static boolean isOnPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }
}
