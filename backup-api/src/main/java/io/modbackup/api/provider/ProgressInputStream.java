package io.modbackup.api.provider;

import io.modbackup.api.provider.BackupProvider.Direction;
import io.modbackup.api.provider.BackupProvider.ProgressListener;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.Supplier;

/**
 * Reports the bytes read through it to the listener current at each read, for providers whose
 * transfers are plain streams.
 */
public final class ProgressInputStream extends FilterInputStream {
    private final Supplier<ProgressListener> listener;
    private final Direction direction;
    private final String key;

    /**
     * @param in the stream to read
     * @param listener supplies the listener to tell (may supply {@code null} for none)
     * @param direction the direction reported
     * @param key the object key reported
     */
    public ProgressInputStream(InputStream in, Supplier<ProgressListener> listener, Direction direction, String key) {
        super(in);
        this.listener = listener;
        this.direction = direction;
        this.key = key;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            report(1);
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        report(n);
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        long skipped = super.skip(n);
        report(skipped);
        return skipped;
    }

    private void report(long bytes) {
        ProgressListener current = listener.get();
        if (current != null && bytes > 0) {
            current.bytesTransferred(direction, key, bytes);
        }
    }
}
