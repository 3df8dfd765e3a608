package io.modbackup.api.provider;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads exactly {@code length} bytes of a stream: ends there even when more follow, and fails with an
 * {@link IOException} when the stream ends before. {@link BackupProvider#putObject} must fail and store
 * nothing for a short stream; a provider whose client does not check the length (Rama's, the Azure
 * SDK's streaming upload) wraps the stream in this one, so that the check travels with the bytes.
 */
public final class ExactLengthInputStream extends FilterInputStream {
    private final long length;
    private final String key;
    private long read;
    private long marked;

    /**
     * @param in the stream to read
     * @param length the bytes to read, exactly
     * @param key the object the bytes are for, named in the error
     */
    public ExactLengthInputStream(InputStream in, long length, String key) {
        super(in);
        this.length = length;
        this.key = key;
    }

    @Override
    public int read() throws IOException {
        if (read == length) {
            return -1;
        }
        int b = super.read();
        if (b < 0) {
            throw endedEarly();
        }
        read++;
        return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int count) throws IOException {
        if (read == length) {
            return -1;
        }
        if (count == 0) {
            return 0;
        }
        int n = super.read(buffer, offset, (int) Math.min(count, length - read));
        if (n < 0) {
            throw endedEarly();
        }
        read += n;
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        long skipped = super.skip(Math.min(n, length - read));
        read += skipped;
        return skipped;
    }

    @Override
    public int available() throws IOException {
        return (int) Math.min(super.available(), length - read);
    }

    @Override
    public synchronized void mark(int readLimit) {
        super.mark(readLimit);
        marked = read;
    }

    /** Rewinds as the wrapped stream does (a Rama provider's own retries may), keeping the count true. */
    @Override
    public synchronized void reset() throws IOException {
        super.reset();
        read = marked;
    }

    private IOException endedEarly() {
        return new IOException("the stream for '" + key + "' ended after " + read + " of its " + length + " bytes");
    }
}
