package io.modbackup.core.store;

import io.modbackup.core.hash.ContentHash;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Streams a region of a file and hashes what it hands out; {@code reset()} rewinds to the region's
 * start and restarts the hash, so a failed upload can be retried from the same stream.
 */
final class RegionInputStream extends InputStream {
    private final FileChannel channel;
    private final long start;
    private final long length;
    private final ContentHash hash;
    private ContentHash.Hasher digest;
    private long offset;

    RegionInputStream(FileChannel channel, long start, long length, ContentHash hash) {
        this.hash = hash;
        this.digest = hash.start();
        this.channel = channel;
        this.start = start;
        this.length = length;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (offset >= length) {
            return -1;
        }
        int n = channel.read(ByteBuffer.wrap(b, off, (int) Math.min(len, length - offset)), start + offset);
        if (n < 0) {
            throw new IOException("file ended at byte " + (start + offset) + ", inside the region being uploaded");
        }
        digest.update(b, off, n);
        offset += n;
        return n;
    }

    @Override
    public boolean markSupported() {
        return true;
    }

    @Override
    public synchronized void mark(int readLimit) {
        // reset() always returns to the region's start
    }

    @Override
    public synchronized void reset() {
        offset = 0;
        digest = hash.start();
    }

    /** The content hash, in lower-case hex, of the bytes read since the last reset. */
    String hex() {
        return digest.hex();
    }

    @Override
    public void close() {
        // the owner closes the channel
    }
}
