package io.modbackup.cli.operation;

import io.modbackup.core.engine.Progress;

/**
 * One operation as the history keeps it. Immutable: each change is a new record.
 *
 * @param id "op-" and a number, unique in the Conductor's history
 * @param kind backup, restore, gc, verify or rotateKey
 * @param module the module it acts on, or {@link Operations#ALL_MODULES} for one on the whole store
 * @param subject the backup it reads (restore, verify), or ""
 * @param origin who started it: "cli" or "scheduler"
 * @param mutating whether it changes the store or the module (backup, restore, gc, rotateKey)
 * @param state where it is
 * @param startedMillis when it began
 * @param endedMillis when it ended, or -1 while it runs
 * @param progress its latest progress, or null before the first
 * @param outcome one line: what it did, or why it failed; "" while it runs
 */
public record OperationRecord(String id, String kind, String module, String subject, String origin, boolean mutating,
                              State state,
                              long startedMillis, long endedMillis, Progress progress, String outcome) {

    /** An operation's state. */
    public enum State {
        RUNNING, SUCCEEDED, FAILED,
        /** The Conductor stopped while it ran: its outcome is unknown, and a restore may need to be run again. */
        INTERRUPTED;

        public boolean ended() {
            return this != RUNNING;
        }
    }

    OperationRecord withProgress(Progress latest) {
        return new OperationRecord(id, kind, module, subject, origin, mutating, state, startedMillis, endedMillis, latest, outcome);
    }

    OperationRecord ended(State end, long at, String line) {
        return new OperationRecord(id, kind, module, subject, origin, mutating, end, startedMillis, at, progress, line);
    }

    /** One line naming it: "op-12 (restore of com.mycompany.ModuleA-..., started 2026-12-03T06:01:02Z)". */
    public String describe() {
        return id + " (" + kind + (subject.isEmpty() ? module.equals(Operations.ALL_MODULES) ? "" : " of " + module
                : " of " + subject) + ", started " + java.time.Instant.ofEpochMilli(startedMillis) + ")";
    }
}
