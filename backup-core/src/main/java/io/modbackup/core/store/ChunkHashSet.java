package io.modbackup.core.store;

/**
 * A set of SHA-256 chunk names held as 32 raw bytes each in one open-addressing table of longs: about
 * 64 bytes a chunk at most, where a {@code HashSet<String>} of hex names takes about 150. Exact: a
 * lookup compares all 256 bits. Thread-safe (synchronized; lookups are short).
 */
final class ChunkHashSet {
    private long[] slots;
    private int size;
    /** The all-zero hash cannot mark an empty slot: it is kept aside. */
    private boolean hasZero;

    ChunkHashSet() {
        slots = new long[4 * 1024];
    }

    /** Adds {@code sha} (64 hex digits); returns whether it was absent. */
    synchronized boolean add(String sha) {
        long[] key = parse(sha);
        if (isZero(key)) {
            boolean added = !hasZero;
            hasZero = true;
            return added;
        }
        if ((size + 1) * 2 > slots.length / 4) {
            grow();
        }
        return insert(slots, key);
    }

    synchronized boolean contains(String sha) {
        long[] key = parse(sha);
        if (isZero(key)) {
            return hasZero;
        }
        int mask = slots.length / 4 - 1;
        for (int slot = (int) key[0] & mask; ; slot = (slot + 1) & mask) {
            int at = slot * 4;
            if (slots[at] == 0 && slots[at + 1] == 0 && slots[at + 2] == 0 && slots[at + 3] == 0) {
                return false;
            }
            if (slots[at] == key[0] && slots[at + 1] == key[1] && slots[at + 2] == key[2] && slots[at + 3] == key[3]) {
                return true;
            }
        }
    }

    synchronized int size() {
        return size + (hasZero ? 1 : 0);
    }

    private boolean insert(long[] table, long[] key) {
        int mask = table.length / 4 - 1;
        for (int slot = (int) key[0] & mask; ; slot = (slot + 1) & mask) {
            int at = slot * 4;
            if (table[at] == 0 && table[at + 1] == 0 && table[at + 2] == 0 && table[at + 3] == 0) {
                System.arraycopy(key, 0, table, at, 4);
                if (table == slots) {
                    size++;
                }
                return true;
            }
            if (table[at] == key[0] && table[at + 1] == key[1] && table[at + 2] == key[2] && table[at + 3] == key[3]) {
                return false;
            }
        }
    }

    private void grow() {
        long[] old = slots;
        long[] bigger = new long[old.length * 2];
        long[] key = new long[4];
        for (int at = 0; at < old.length; at += 4) {
            if (old[at] != 0 || old[at + 1] != 0 || old[at + 2] != 0 || old[at + 3] != 0) {
                System.arraycopy(old, at, key, 0, 4);
                insert(bigger, key);
            }
        }
        slots = bigger;
    }

    private static boolean isZero(long[] key) {
        return key[0] == 0 && key[1] == 0 && key[2] == 0 && key[3] == 0;
    }

    private static long[] parse(String sha) {
        if (sha.length() != 64) {
            throw new IllegalArgumentException("not a SHA-256 chunk name: " + sha);
        }
        return new long[] {Long.parseUnsignedLong(sha, 0, 16, 16), Long.parseUnsignedLong(sha, 16, 32, 16),
                Long.parseUnsignedLong(sha, 32, 48, 16), Long.parseUnsignedLong(sha, 48, 64, 16)};
    }
}
