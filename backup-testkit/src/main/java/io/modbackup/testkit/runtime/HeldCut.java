package io.modbackup.testkit.runtime;

import io.modbackup.api.runtime.CapturedFile;
import io.modbackup.api.runtime.ClusterRuntime;
import io.modbackup.api.runtime.ClusterRuntime.RestoreRequest;
import io.modbackup.api.runtime.CutDescriptor;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.api.runtime.RestoreMarker;
import io.modbackup.api.runtime.TaskCut;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A cut's files copied aside with its module's jar: what a backup holds, so that the contract suite can
 * restore it without a store. Each task's files are cut to their captured size ({@link CutStaging#copy}).
 *
 * @param backupId the name the suite's restores give this "backup"
 */
record HeldCut(CutDescriptor cut, Path files, Path jar, String jarSha256, String backupId) {

    /** Copies {@code cut}'s pinned files and its module's current jar under {@code root}. */
    static HeldCut hold(ClusterRuntime runtime, CutDescriptor cut, Path root) {
        Path dir = root.resolve(cut.cutId());
        for (TaskCut task : cut.tasks()) {
            for (CapturedFile file : runtime.supervisor(task.supervisorId()).cutFiles(cut.module(), cut.cutId(), task.task())) {
                CutStaging.copy(file, dir.resolve(Integer.toString(task.task())).resolve(file.path()));
            }
        }
        Path jar = dir.resolve("module.jar");
        try {
            Files.copy(runtime.moduleJar(cut.module()), jar, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new HeldCut(cut, dir, jar, FileDigests.sha256(jar), cut.module() + "-contract-" + cut.cutId());
    }

    /** The end offsets of {@code depot} in this cut, by task. */
    List<Long> ends(String depot) {
        return cut.tasks().stream().sorted(Comparator.comparingInt(TaskCut::task))
                .map(t -> t.depotEndOffsets().get(depot)).toList();
    }

    /**
     * Stages every task's files in the staging directory its new Supervisor ({@code placement}) hands out,
     * copies the jar under {@code jars}, and installs it all as restore {@code restoreId}.
     */
    RestoreMarker install(ClusterRuntime runtime, String restoreId, Parallelism parallelism, Map<Integer, String> placement,
                          Path jars) {
        String module = cut.module();
        for (TaskCut task : cut.tasks()) {
            Path staging = runtime.supervisor(placement.get(task.task())).stagingDirectory(module, restoreId, task.task());
            copyTree(files.resolve(Integer.toString(task.task())), staging);
        }
        Path staged = jars.resolve(restoreId + ".jar");
        try {
            Files.createDirectories(jars);
            Files.copy(jar, staged, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return runtime.installRestore(new RestoreRequest(restoreId, backupId, cut.descriptor(), parallelism, placement, staged));
    }

    private static void copyTree(Path from, Path to) {
        if (!Files.isDirectory(from)) {
            return;
        }
        try (Stream<Path> files = Files.walk(from)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                Path target = to.resolve(from.relativize(file).toString());
                Files.createDirectories(target.getParent());
                Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stage " + from, e);
        }
    }
}
