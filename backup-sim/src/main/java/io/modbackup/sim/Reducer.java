package io.modbackup.sim;

/**
 * How a PState of the simulated modules folds depot entries into the value of the entry's key. The
 * oracle recomputes PStates with the same reducers.
 */
public enum Reducer {
    /** Sum of amounts. */
    SUM,
    /** Number of entries. */
    COUNT,
    /** Largest amount. */
    MAX,
    /** The last entry's amount and padding, in offset order (keys live in one partition, so this is well defined). */
    LAST;

    /** The new value of the key after {@code entry}, given its old value or {@code null}. */
    public String apply(String old, WorkloadEntry entry, long offset) {
        return switch (this) {
            case SUM -> Long.toString((old == null ? 0 : Long.parseLong(old)) + entry.amount());
            case COUNT -> Long.toString((old == null ? 0 : Long.parseLong(old)) + 1);
            case MAX -> Long.toString(old == null ? entry.amount() : Math.max(Long.parseLong(old), entry.amount()));
            case LAST -> offset + ":" + entry.amount() + ":" + entry.padding();
        };
    }
}
