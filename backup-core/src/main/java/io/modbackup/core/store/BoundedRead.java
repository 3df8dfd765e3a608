package io.modbackup.core.store;

import io.modbackup.core.error.CorruptBackupException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads a whole record from the store (a manifest, the format record, a lease, the GC state) with a
 * cap: a record larger than any this version writes is refused before it is held, so a forged object
 * cannot make a reader run out of memory. Memory grows with the bytes actually read, not with a size
 * the object claims.
 */
public final class BoundedRead {
    /** The largest manifest, index page or GC state read: far above what 1,000,000 files make. */
    public static final int MAX_RECORD_BYTES = 256 << 20;
    /** The largest small record read: the format record, a lease, a lock. */
    public static final int MAX_SMALL_RECORD_BYTES = 1 << 20;

    private BoundedRead() {
    }

    /**
     * All of {@code in}, which it closes.
     *
     * @throws CorruptBackupException naming {@code what} when it holds more than {@code max} bytes
     */
    public static byte[] readAll(InputStream in, int max, String what) throws IOException {
        try (InputStream stream = in) {
            byte[] bytes = stream.readNBytes(max);
            if (bytes.length == max && stream.read() >= 0) {
                throw new CorruptBackupException(what + " holds more than " + max + " bytes, more than this version of"
                        + " modbackup ever writes: it was forged or damaged");
            }
            return bytes;
        }
    }
}
