package io.modbackup.core.store;

import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.hash.ContentHash;
import io.modbackup.core.manifest.FileEntry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

    /**
 * One file being written from its chunks' streams, in order: each chunk's length (by the backup's chunk
 * size) and content hash are checked as it is written, and the whole file's size and hash at the end,
 * so the file is written once and read back never. Used by one chain of futures at a time.
 */
final class ChunkDownload {
    private static final int BUFFER = 64 * 1024;

    private final FileEntry entry;
    private final int chunkSize;
    private final Path target;
    private final String what;
    /** The whole file's digest. */
    private final ContentHash.Hasher whole;
    private final ContentHash hash;
    private FileChannel channel;
    private OutputStream out;
    private long written;

    ChunkDownload(FileEntry entry, int chunkSize, Path target, String what, ContentHash hash) {
        this.hash = hash;
        this.whole = hash.start();
        this.entry = entry;
        this.chunkSize = chunkSize;
        this.target = target;
        this.what = what;
    }

    void open() {
        try {
            channel = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
            out = Channels.newOutputStream(channel);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + target, e);
        }
    }

    void append(int index, String sha, InputStream in) {
        if (in == null) {
            throw new CorruptBackupException(what + ": chunk " + index + " (" + sha + ") is missing from the store");
        }
        long expected = Math.min(chunkSize, entry.size() - (long) index * chunkSize);
        ContentHash.Hasher digest = hash.start();
        long n = 0;
        // No larger than the chunk (plus one byte to see its end): a 16 KiB file does not clear 64 KiB.
        byte[] buffer = new byte[(int) Math.min(BUFFER, expected + 1)];
        try (InputStream stream = in) {
            for (int r; (r = stream.read(buffer)) >= 0; ) {
                n += r;
                if (n > expected) {
                    break;
                }
                digest.update(buffer, 0, r);
                whole.update(buffer, 0, r);
                out.write(buffer, 0, r);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(what + ": cannot download chunk " + sha, e);
        }
        if (n > expected) {
            throw new CorruptBackupException(what + ": chunk " + index + " (" + sha + ") is corrupt in the store (more"
                    + " than " + expected + " bytes, expected " + expected + " bytes hashing to " + sha + ")");
        }
        String actual = digest.hex();
        if (n != expected || !actual.equals(sha)) {
            throw new CorruptBackupException(what + ": chunk " + index + " (" + sha + ") is corrupt in the store ("
                    + n + " bytes hashing to " + actual + ", expected " + expected + " bytes hashing to " + sha + ")");
        }
        written += n;
    }

    void finish() {
        if (written != entry.size() || !whole.hex().equals(entry.sha256())) {
            throw new CorruptBackupException(what + ": restored content does not match the manifest's size and SHA-256");
        }
    }

    void closeQuietly() {
        if (out != null) {
            try {
                out.close();
            } catch (IOException ignored) {
                // a failed chain reports its own cause; a successful one has flushed already
            }
        }
    }
}
