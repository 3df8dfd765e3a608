package io.modbackup.api.provider;

import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * A delete met objects that the store's {@link ObjectRetention} lock keeps: every other key was deleted;
 * these were left, each until the time given. Not a failure of the store: try them again after that time.
 */
public class LockedObjectsException extends BackupStorageException {
    private final Map<String, Instant> locked;

    /** @param locked each key left, with the time its lock ends */
    public LockedObjectsException(Map<String, Instant> locked) {
        super(describe(locked));
        this.locked = Collections.unmodifiableMap(new TreeMap<>(locked));
    }

    /** The keys left, in key order, each with the time its lock ends. */
    public Map<String, Instant> locked() {
        return locked;
    }

    /** When the last of these locks ends. */
    public Instant lastUnlock() {
        return locked.values().stream().max(Instant::compareTo).orElse(Instant.EPOCH);
    }

    private static String describe(Map<String, Instant> locked) {
        Instant last = locked.values().stream().max(Instant::compareTo).orElse(Instant.EPOCH);
        return locked.size() + " object" + (locked.size() == 1 ? " is" : "s are") + " locked against deletion until "
                + last + " (e.g. '" + new TreeMap<>(locked).firstKey() + "'); they are kept and may be deleted after that";
    }
}
