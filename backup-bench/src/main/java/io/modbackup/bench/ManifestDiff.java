package io.modbackup.bench;


import io.modbackup.api.runtime.FileKind;
import io.modbackup.core.manifest.FileEntry;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.manifest.TaskManifest;
import io.modbackup.core.manifest.TaskRef;
import io.modbackup.core.store.BackupStore;
import io.modbackup.sim.SampleModules;
import java.util.HashMap;
import java.util.Map;


/**
 * What an incremental backup changed against the one before it, from their manifests: the bound its
 * uploads are checked against.
 */
final class ManifestDiff {
    private static final String A = SampleModules.MODULE_A;

    private ManifestDiff() {
    }

    /** Bytes new or changed in {@code after} relative to {@code before}, and the files touched. */
    static long[] changedBytes(BackupStore store, ModuleManifest before, ModuleManifest after) {
        Map<String, FileEntry> old = new HashMap<>();
        for (TaskRef ref : before.tasks()) {
            for (FileEntry f : store.taskManifest(before, ref).files()) {
                old.put(ref.task() + "/" + f.path(), f);
            }
        }
        long changed = 0;
        long touched = 0;
        for (TaskRef ref : after.tasks()) {
            TaskManifest task = store.taskManifest(after, ref);
            for (FileEntry f : task.files()) {
                FileEntry o = old.get(ref.task() + "/" + f.path());
                if (o != null && o.sha256().equals(f.sha256())) {
                    continue;
                }
                touched++;
                changed += o != null && f.kind() == FileKind.APPEND_ONLY && f.size() >= o.size() ? f.size() - o.size() : f.size();
            }
        }
        return new long[] {changed, touched};
    }
}
