package io.modbackup.core.error;

import java.util.Objects;

/**
 * A backup operation cannot be done as asked; nothing was changed. It carries its facts as data (which
 * {@link Problem}, about which module or backup) so that a host words the remedy in its own terms (the
 * CLI names its flags); the message says what happened in the library's words.
 */
public class BackupException extends RuntimeException {

    /** What went wrong, for a host to choose its remedy. */
    public enum Problem {
        /** The cluster has no such module; the subject is the module. */
        UNKNOWN_MODULE,
        /** The module must be running for this; the subject is the module. */
        MODULE_NOT_RUNNING,
        /** The store has no such committed backup; the subject is the backup ID. */
        UNKNOWN_BACKUP,
        /** The module is not running, so its restore needs a parallelism; the subject is the module. */
        PARALLELISM_REQUIRED,
        /**
         * The module is running, so a restore keeps its parallelism and one given would be ignored; the
         * subject is the module.
         */
        PARALLELISM_NOT_APPLICABLE,
        /** Another module depends on an object the backup lacks; the subject is the backup ID. */
        RESTORE_BREAKS_DEPENDENCY,
        /** The module is being restored already; the subject is the module. */
        RESTORE_IN_PROGRESS,
        /** The store belongs to another cluster; the subject is the owning cluster's ID. */
        STORE_OWNED_ELSEWHERE,
        /** The store was never written to (no owner record): wrong location, or nothing backed up yet. */
        STORE_EMPTY,
        /** A backup's lease lapsed while a GC ran, so it was not committed; the subject is the backup ID. */
        LEASE_OVERTAKEN,
        /** Backups or a GC held the store longer than the wait allowed; the subject names the holders. */
        LOCK_TIMEOUT,
        /** The store is encrypted and no master key is configured; the subject is the store's key ID. */
        KEY_REQUIRED,
        /** The configured master key does not open the store's data key; the subject is the store's key ID. */
        WRONG_KEY,
        /** A master key is configured but the store is not encrypted; the subject is the configured key ID. */
        STORE_NOT_ENCRYPTED,
        /** The store is in a format this version cannot read; the subject is the format number. */
        UNSUPPORTED_FORMAT,
        /** A module's dynamic option has a value the engine cannot use; the subject is the option. */
        INVALID_OPTION
    }

    private final Problem problem;
    private final String subject;

    public BackupException(Problem problem, String subject, String message) {
        this(problem, subject, message, null);
    }

    public BackupException(Problem problem, String subject, String message, Throwable cause) {
        super(message, cause);
        this.problem = Objects.requireNonNull(problem, "problem");
        this.subject = Objects.requireNonNull(subject, "subject");
    }

    /** What went wrong. */
    public Problem problem() {
        return problem;
    }

    /** What it went wrong with: a module, a backup ID or a cluster ID, as {@link Problem} says. */
    public String subject() {
        return subject;
    }
}
