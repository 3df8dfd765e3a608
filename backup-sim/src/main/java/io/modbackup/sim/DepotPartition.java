package io.modbackup.sim;

import io.modbackup.api.runtime.CapturedFile;
import io.modbackup.api.runtime.FileKind;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * One partition of a depot: an append-only log of framed, checksummed entries kept in segment files
 * named by their first offset. The active (last) segment rolls once it reaches the segment size;
 * sealed segments never change again. Opening lists the segments, scans the active one, verifying every
 * frame, and cuts a torn tail off it, so the partition always ends at a whole entry; a sealed segment is
 * scanned and verified when it is first read.
 *
 * <p>Frame: {@code int payloadLength, long offset, int crc32c(payload), payload}. Thread-safe.
 */
public final class DepotPartition implements AutoCloseable {
    static final String SEGMENT_SUFFIX = ".seg";
    private static final int HEADER = 4 + 8 + 4;

    private final Path dir;
    private final long segmentBytes;
    private final boolean readOnly;
    private final List<Segment> segments = new ArrayList<>();
    /**
     * What {@link #capture} copies for the first {@link #capturedSealed} segments, all sealed: their first
     * offsets, sizes and modification times (each read once) side by side: sealed segments never change and
     * none is ever removed, so a capture is three array copies and a stat of the active segment. Reading
     * them off 50,000 segment objects was 13% of a no-change backup's CPU.
     */
    private long[] sealedFirstOffsets = new long[0];
    private long[] sealedSizes = new long[0];
    private long[] sealedModified = new long[0];
    private int capturedSealed;
    private long capturedSealedBytes;
    private FileChannel active;
    private long endOffset;
    private boolean closed;

    /** Every this many entries a segment remembers a byte position; reads skip frame headers from there. */
    private static final int POSITION_STRIDE = 64;

    /** A segment file: its name is its first offset, so no path is kept (a depot of 100k segments held 100k paths). */
    private static final class Segment {
        final long firstOffset;
        /** The byte position of every POSITION_STRIDE-th entry: a position per entry made opening a large depot cost 8 bytes of heap per entry. */
        long[] positions = new long[1];
        int count;
        long bytes;
        /** Whether {@link #positions} were read from the file: sealed segments are scanned on their first read. */
        boolean scanned;

        Segment(long firstOffset) {
            this.firstOffset = firstOffset;
        }

        void add(long position) {
            if (count % POSITION_STRIDE == 0) {
                int slot = count / POSITION_STRIDE;
                if (slot == positions.length) {
                    positions = java.util.Arrays.copyOf(positions, slot * 2);
                }
                positions[slot] = position;
            }
            count++;
        }
    }

    private Path file(Segment segment) {
        return dir.resolve(segmentName(segment.firstOffset));
    }

    private DepotPartition(Path dir, long segmentBytes, boolean readOnly) {
        this.dir = dir;
        this.segmentBytes = segmentBytes;
        this.readOnly = readOnly;
    }

    /** Opens (creating if absent) the partition in {@code dir}, rolling segments at {@code segmentBytes}. */
    public static DepotPartition open(Path dir, long segmentBytes) {
        DepotPartition partition = new DepotPartition(dir, segmentBytes, false);
        try {
            Files.createDirectories(dir);
            partition.recover();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open depot partition " + dir, e);
        }
        return partition;
    }

    /**
     * Opens the partition in {@code dir} for reading only, changing nothing: it ends at the last whole
     * entry; an absent directory is an empty partition.
     */
    public static DepotPartition openReadOnly(Path dir) {
        DepotPartition partition = new DepotPartition(dir, Long.MAX_VALUE, true);
        try {
            if (Files.isDirectory(dir)) {
                partition.recover();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open depot partition " + dir, e);
        }
        return partition;
    }

    private void recover() throws IOException {
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(p -> p.getFileName().toString().endsWith(SEGMENT_SUFFIX)).sorted().toList();
        }
        long expected = 0;
        for (int i = 0; i < files.size(); i++) {
            Path file = files.get(i);
            long first = Long.parseLong(file.getFileName().toString().replace(SEGMENT_SUFFIX, ""));
            if (first != expected) {
                throw new IOException("depot partition " + dir + ": segment " + file.getFileName()
                        + " should start at offset " + expected);
            }
            Segment segment = new Segment(first);
            boolean last = i == files.size() - 1;
            if (!last) {
                // Sealed: its entries are the offsets up to the next segment's first, and it is read (and its
                // frames verified) when first read, not here: opening a partition costs a file listing and a
                // scan of the active segment, not a read of every byte.
                long next = Long.parseLong(files.get(i + 1).getFileName().toString().replace(SEGMENT_SUFFIX, ""));
                if (next <= first || next - first > Integer.MAX_VALUE) {
                    throw new IOException("depot partition " + dir + ": segment " + files.get(i + 1).getFileName()
                            + " does not follow " + file.getFileName());
                }
                segment.count = (int) (next - first);
                segment.bytes = Files.size(file);
                segments.add(segment);
                expected = next;
                continue;
            }
            long validBytes = scan(segment, file);
            segment.scanned = true;
            if (validBytes < Files.size(file)) {
                if (!last) {
                    throw new IOException("depot partition " + dir + ": sealed segment " + file.getFileName()
                            + " is corrupt at byte " + validBytes);
                }
                if (!readOnly) {
                    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                        channel.truncate(validBytes);
                    }
                }
            }
            segment.bytes = validBytes;
            segments.add(segment);
            expected = first + segment.count;
        }
        endOffset = expected;
        if (readOnly) {
            return;
        }
        if (segments.isEmpty()) {
            startSegment(0);
        } else {
            active = FileChannel.open(file(segments.get(segments.size() - 1)), StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND);
        }
    }

    /**
     * Reads frames from the start; returns the byte length of the valid prefix. Reads sequentially
     * through a large buffer: a positional read per frame made opening a partition cost a system
     * call per entry.
     */
    private static long scan(Segment segment, Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
             DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel),
                     (int) Math.min(1 << 20, Math.max(HEADER, channel.size()))))) {
            long size = channel.size();
            long position = 0;
            while (position + HEADER <= size) {
                int length = in.readInt();
                long offset = in.readLong();
                int crc = in.readInt();
                if (length < 0 || position + HEADER + length > size || offset != segment.firstOffset + segment.count) {
                    break;
                }
                byte[] payload = in.readNBytes(length);
                if (payload.length != length || crc32c(payload) != crc) {
                    break;
                }
                segment.add(position);
                position += HEADER + length;
            }
            return position;
        }
    }

    private void startSegment(long firstOffset) throws IOException {
        if (active != null) {
            active.close();
        }
        Path file = dir.resolve(segmentName(firstOffset));
        active = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        Segment segment = new Segment(firstOffset);
        segment.scanned = true; // its positions are recorded as it is appended to
        segments.add(segment);
    }

    /** The first offset zero-padded to 20 digits: built by hand, since String.format was 43% of a no-change backup's CPU. */
    static String segmentName(long firstOffset) {
        String digits = Long.toString(firstOffset);
        char[] name = new char[20 + SEGMENT_SUFFIX.length()];
        java.util.Arrays.fill(name, 0, 20 - digits.length(), '0');
        digits.getChars(0, digits.length(), name, 20 - digits.length());
        SEGMENT_SUFFIX.getChars(0, SEGMENT_SUFFIX.length(), name, 20);
        return new String(name);
    }

    /** Appends one entry and returns its offset. */
    public synchronized long append(byte[] payload) {
        checkOpen();
        if (readOnly) {
            throw new IllegalStateException("depot partition " + dir + " is open read-only");
        }
        try {
            Segment segment = segments.get(segments.size() - 1);
            if (segment.bytes >= segmentBytes) {
                startSegment(endOffset);
                segment = segments.get(segments.size() - 1);
            }
            ByteBuffer frame = ByteBuffer.allocate(HEADER + payload.length);
            frame.putInt(payload.length).putLong(endOffset).putInt(crc32c(payload)).put(payload).flip();
            while (frame.hasRemaining()) {
                active.write(frame);
            }
            segment.add(segment.bytes);
            segment.bytes += HEADER + payload.length;
            return endOffset++;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to depot partition " + dir, e);
        }
    }

    /** The offset the next entry will get; entries are {@code [0, endOffset)}. */
    public synchronized long endOffset() {
        return endOffset;
    }

    /** Number of segment files, sealed and active. */
    public synchronized int segmentCount() {
        return segments.size();
    }

    /** Up to {@code max} entries starting at {@code fromOffset}, fewer at the end of the log. */
    public List<DepotEntry> read(long fromOffset, int max) {
        List<DepotEntry> entries = new ArrayList<>();
        long offset = fromOffset;
        while (entries.size() < max) {
            Segment segment;
            int index;
            long position;
            synchronized (this) {
                checkOpen();
                if (offset >= endOffset) {
                    break;
                }
                segment = segmentOf(offset);
                scanIfSealed(segment);
                index = (int) (offset - segment.firstOffset);
                position = segment.positions[index / POSITION_STRIDE];
            }
            try (FileChannel channel = FileChannel.open(file(segment), StandardOpenOption.READ)) {
                int inSegment;
                synchronized (this) {
                    inSegment = segment.count;
                }
                for (int skip = index - index % POSITION_STRIDE; skip < index; skip++) {
                    position += HEADER + frameLength(channel, position);
                }
                for (int i = index; i < inSegment && entries.size() < max; i++) {
                    DepotEntry entry = readFrame(channel, position);
                    entries.add(entry);
                    position += HEADER + entry.payload().length;
                    offset++;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read depot partition " + dir + " at offset " + offset, e);
            }
        }
        return entries;
    }

    /** As {@link #read}, but nothing when the partition was closed meanwhile (its module stopped or is being restored). */
    public List<DepotEntry> readIfOpen(long fromOffset, int max) {
        try {
            return read(fromOffset, max);
        } catch (IllegalStateException closed) {
            return List.of();
        }
    }

    private static int frameLength(FileChannel channel, long position) throws IOException {
        ByteBuffer length = ByteBuffer.allocate(4);
        readFully(channel, length, position);
        return length.flip().getInt();
    }

    private static DepotEntry readFrame(FileChannel channel, long position) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(HEADER);
        readFully(channel, header, position);
        header.flip();
        int length = header.getInt();
        long offset = header.getLong();
        int crc = header.getInt();
        ByteBuffer payload = ByteBuffer.allocate(length);
        readFully(channel, payload, position + HEADER);
        if (crc32c(payload.array()) != crc) {
            throw new IOException("checksum mismatch at offset " + offset);
        }
        return new DepotEntry(offset, payload.array());
    }

    /** Binary search: a depot of 50,000 small segments read from its start made a linear one quadratic. */
    private Segment segmentOf(long offset) {
        int low = 0;
        int high = segments.size() - 1;
        while (low <= high) {
            int mid = (low + high) >>> 1;
            Segment segment = segments.get(mid);
            if (segment.firstOffset > offset) {
                high = mid - 1;
            } else if (mid + 1 < segments.size() && segments.get(mid + 1).firstOffset <= offset) {
                low = mid + 1;
            } else {
                return segment;
            }
        }
        throw new IllegalStateException("no segment holds offset " + offset);
    }

    /** Reads a sealed segment's frame positions on its first read, verifying it holds its entries whole. */
    private void scanIfSealed(Segment segment) {
        if (segment.scanned) {
            return;
        }
        int expected = segment.count;
        segment.count = 0;
        try {
            long valid = scan(segment, file(segment));
            if (segment.count != expected || valid != segment.bytes) {
                throw new IOException("sealed segment " + file(segment).getFileName() + " holds " + segment.count
                        + " whole entries in " + valid + " of " + segment.bytes + " bytes, not " + expected);
            }
        } catch (IOException e) {
            segment.count = expected;
            throw new UncheckedIOException("depot partition " + dir + " is corrupt: " + e.getMessage(), e);
        }
        segment.scanned = true;
    }

    /** What {@link #capture} pinned: the files (in path order, made as they are read) and the end offset they hold. */
    /**
     * @param bytes the files' total size (from the recorded sizes: summing the list would make every entry)
     */
    public record Capture(List<CapturedFile> files, long endOffset, long bytes) {
    }

    /**
     * Captures the partition as it is now, at a cost of a few numbers per segment and no file operation but
     * one stat of the active segment: its sealed segments as {@link FileKind#IMMUTABLE}, the active one as
     * {@link FileKind#APPEND_ONLY} with its current length, read from {@code pinnedDir} (this partition's
     * directory as the cut pins it, see {@link Supervisor#pinTaskState}), with paths under {@code pathPrefix}.
     * The list keeps three numbers per file and makes each {@link CapturedFile} when it is read.
     */
    public synchronized Capture capture(Path pinnedDir, String pathPrefix) {
        checkOpen();
        try {
            int n = segments.size();
            if (n == 0) { // only a read-only partition of an empty directory
                return new Capture(List.of(), endOffset, 0);
            }
            int sealed = n - 1;
            if (sealed > sealedFirstOffsets.length) {
                int capacity = Math.max(sealed, sealedFirstOffsets.length * 2);
                sealedFirstOffsets = java.util.Arrays.copyOf(sealedFirstOffsets, capacity);
                sealedSizes = java.util.Arrays.copyOf(sealedSizes, capacity);
                sealedModified = java.util.Arrays.copyOf(sealedModified, capacity);
            }
            // One segment at a time, each recorded whole: a stat that fails leaves the ones before it recorded once.
            for (; capturedSealed < sealed; capturedSealed++) {
                Segment segment = segments.get(capturedSealed);
                sealedModified[capturedSealed] = Files.getLastModifiedTime(file(segment)).toMillis();
                sealedFirstOffsets[capturedSealed] = segment.firstOffset;
                sealedSizes[capturedSealed] = segment.bytes;
                capturedSealedBytes += segment.bytes;
            }
            Segment last = segments.get(sealed);
            long[] firstOffsets = java.util.Arrays.copyOf(sealedFirstOffsets, n);
            long[] sizes = java.util.Arrays.copyOf(sealedSizes, n);
            long[] modified = java.util.Arrays.copyOf(sealedModified, n);
            firstOffsets[sealed] = last.firstOffset;
            sizes[sealed] = last.bytes;
            modified[sealed] = Files.getLastModifiedTime(file(last)).toMillis();
            return new Capture(new PinnedSegments(pinnedDir, pathPrefix, firstOffsets, sizes, modified), endOffset,
                    capturedSealedBytes + last.bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot capture depot partition " + dir, e);
        }
    }

    /** Pinned segment files as a list that makes each entry on demand; the last one is the active segment. */
    private static final class PinnedSegments extends java.util.AbstractList<CapturedFile> implements java.util.RandomAccess {
        private final Path pinDir;
        private final String pathPrefix;
        private final long[] firstOffsets;
        private final long[] sizes;
        private final long[] modified;

        PinnedSegments(Path pinDir, String pathPrefix, long[] firstOffsets, long[] sizes, long[] modified) {
            this.pinDir = pinDir;
            this.pathPrefix = pathPrefix;
            this.firstOffsets = firstOffsets;
            this.sizes = sizes;
            this.modified = modified;
        }

        @Override
        public CapturedFile get(int index) {
            String name = segmentName(firstOffsets[index]);
            boolean sealed = index < firstOffsets.length - 1;
            return new CapturedFile(pathPrefix + name, sealed ? FileKind.IMMUTABLE : FileKind.APPEND_ONLY, sizes[index],
                    modified[index], pinDir.resolve(name));
        }

        @Override
        public int size() {
            return firstOffsets.length;
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (active != null) {
                active.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("depot partition " + dir + " is closed");
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, position + buffer.position());
            if (n < 0) {
                throw new IOException("unexpected end of segment");
            }
        }
    }

    static int crc32c(byte[] data) {
        CRC32C crc = new CRC32C();
        crc.update(data);
        return (int) crc.getValue();
    }
}
