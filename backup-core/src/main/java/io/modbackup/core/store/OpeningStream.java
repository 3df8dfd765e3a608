package io.modbackup.core.store;

import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.seal.Envelope;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.util.Arrays;
import java.util.concurrent.Semaphore;

    /**
 * A stored object's stream that opens it, if sealed, on its first read: a plain object is read as it
 * is, a sealed one is read whole within the reading budget (held until the stream is closed), checked
 * against its header and opened. A failure to open is thrown from that read as a
 * {@link CorruptBackupException}. Used by one reader at a time.
 */
final class OpeningStream extends InputStream {
    private final String key;
    private final InputStream raw;
    private final StoreKeys.Sealing s;
    private InputStream content;
    /** Budget this stream holds until it is closed. */
    private int held;
    private final Semaphore opening;
    private final java.util.function.LongToIntFunction budgetFor;

    /** @param budgetFor the permits of {@code opening} an object of a stored size holds while open */
    OpeningStream(String key, InputStream raw, StoreKeys.Sealing s, Semaphore opening,
                  java.util.function.LongToIntFunction budgetFor) {
        this.key = key;
        this.raw = raw;
        this.s = s;
        this.opening = opening;
        this.budgetFor = budgetFor;
    }

    private InputStream content() throws IOException {
        if (content != null) {
            return content;
        }
        byte[] head = raw.readNBytes(Envelope.HEADER);
        if (!Envelope.startsWithMagic(head, 0, head.length)) {
            if (s.envelope().encrypts()) {
                throw SealingProvider.plainInEncryptedStore(key);
            }
            content = new SequenceInputStream(new ByteArrayInputStream(head), raw);
            return content;
        }
        long size = Envelope.storedSize(head);
        if (size < 0 || size > Integer.MAX_VALUE - 1024) {
            if (SealingProvider.fallsBackToPlain(s, key)) {
                content = new SequenceInputStream(new ByteArrayInputStream(head), raw);
                return content;
            }
            throw new CorruptBackupException(key + " is damaged: its header is not that of a sealed object");
        }
        // Released when the stream is closed: the reader holds the content until then.
        // Content and stored form both count: a small body may decompress to much more (a compression bomb).
        held = budgetFor.applyAsInt(Math.max(size, Envelope.plainSize(head)));
        opening.acquireUninterruptibly(held);
        // Read before it is held whole: the header's size is unauthenticated, and memory must follow the bytes
        // that are really there (an 18-byte object claiming 2 GiB allocated 2 GiB before).
        byte[] rest = raw.readNBytes((int) size - Envelope.HEADER);
        int n = rest.length;
        byte[] stored = Arrays.copyOf(head, Envelope.HEADER + n);
        System.arraycopy(rest, 0, stored, Envelope.HEADER, n);
        int more = raw.read();
        try {
            if (n != size - Envelope.HEADER || more >= 0) {
                throw new CorruptBackupException(key + " is damaged: its header says " + size + " bytes, the store holds "
                        + (more >= 0 ? "more" : String.valueOf(Envelope.HEADER + n)));
            }
            content = new ByteArrayInputStream(s.envelope().open(key, stored));
        } catch (CorruptBackupException e) {
            if (!SealingProvider.fallsBackToPlain(s, key)) {
                throw e;
            }
            InputStream read = new ByteArrayInputStream(stored, 0, Envelope.HEADER + n);
            content = more < 0 ? read : new SequenceInputStream(read, new SequenceInputStream(
                    new ByteArrayInputStream(new byte[] {(byte) more}), raw));
        }
        return content;
    }

    @Override
    public int read() throws IOException {
        return content().read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        return content().read(b, off, len);
    }

    @Override
    public void close() throws IOException {
        opening.release(held);
        held = 0;
        content = null;
        raw.close();
    }
}
