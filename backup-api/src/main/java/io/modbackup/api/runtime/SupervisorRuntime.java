package io.modbackup.api.runtime;

import java.nio.file.Path;
import java.util.List;

/**
 * What a Supervisor implements so the task worker running in it can read its tasks' pinned files
 * and stage restored ones. Thread-safe; methods block and are called from the engine's executor.
 */
public interface SupervisorRuntime {

    /** This Supervisor's ID, as named in {@link TaskCut#supervisorId()}. */
    String id();

    /**
     * The files of {@code task}'s part of a cut, pinned until the cut is released. Paths are relative
     * to the task's state directory and unique. A list in path order ({@link String#compareTo}) is
     * walked as it is, once per backup attempt, so it may make its entries as they are read and hold
     * only a few numbers per file; any other order costs the engine a sorted copy.
     *
     * @throws IllegalArgumentException when this Supervisor holds no such cut or task
     */
    List<CapturedFile> cutFiles(String module, String cutId, int task);

    /**
     * An empty directory, on the file system of the task's live state, into which the worker puts a
     * task's restored files at their relative paths. Calling it again for the same arguments empties
     * the directory again.
     */
    Path stagingDirectory(String module, String restoreId, int task);

    /** Deletes the staging directories of a restore that will not be installed. Idempotent. */
    void discardStaging(String module, String restoreId);
}
