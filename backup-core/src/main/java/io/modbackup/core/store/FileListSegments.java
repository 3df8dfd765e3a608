package io.modbackup.core.store;

import io.modbackup.api.runtime.FileKind;
import io.modbackup.core.hash.Hashing;
import io.modbackup.core.manifest.FileEntry;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * How a task's file list is cut into the segments that backups share ({@link
 * io.modbackup.core.manifest.FileSegment}): by content-defined boundaries on the paths, as restic and
 * borg cut files into chunks, so that the cuts of two backups line up wherever their files agree.
 */
public final class FileListSegments {
    private FileListSegments() {
    }

    /** Most files in one segment. */
    public static final int MAX_SEGMENT_FILES = 1024;
    /** A segment ends after a file whose path hashes to 0 modulo this: 128 files a segment on average. */
    public static final int SEGMENT_DIVISOR = 128;

    /**
     * Cuts a path-ordered file list into segments whose boundaries depend on the paths and kinds alone (a
     * segment ends after a path whose hash is 0 modulo {@link #SEGMENT_DIVISOR}, at
     * {@link #MAX_SEGMENT_FILES}, and between a mutable file and an immutable or append-only one), so
     * adding or removing a file changes only its own segment and a changed file (a depot segment that
     * grew) rewrites only the segment it is in.
     */
    public static List<List<FileEntry>> cut(List<FileEntry> files) {
        Boundaries boundaries = new Boundaries();
        List<List<FileEntry>> segments = new ArrayList<>();
        List<FileEntry> current = new ArrayList<>();
        for (FileEntry file : files) {
            if (!current.isEmpty() && kindsSplit(current.get(current.size() - 1).kind(), file.kind())) {
                segments.add(current);
                current = new ArrayList<>();
            }
            current.add(file);
            if (boundaries.endsSegment(current.size(), file.path())) {
                segments.add(current);
                current = new ArrayList<>();
            }
        }
        if (!current.isEmpty()) {
            segments.add(current);
        }
        return segments;
    }

    /**
     * Whether a segment ends between neighbouring files of kinds {@code before} and {@code after}: where one
     * is mutable and the other is not. Mutable files (a store's {@code CURRENT}, {@code MANIFEST} and
     * {@code OPTIONS}) are read and get new entries at every backup, so a segment holding one is written
     * again each time: kept apart, they rewrite a segment of a few entries, and the files around them
     * (thousands of SSTs) stay in segments a no-change backup refers to unread.
     */
    public static boolean kindsSplit(FileKind before, FileKind after) {
        return (before == FileKind.MUTABLE) != (after == FileKind.MUTABLE);
    }

    /**
     * Where segments end, for one task's backup on one thread: hashes every path with one digest, reset by
     * each use (a fresh clone per path cost as much as the hash itself, 10% of a no-change backup's CPU on
     * 50,000 files). Not thread-safe.
     */
    public static final class Boundaries {
        private final MessageDigest digest = Hashing.sha256();

        /** Whether a segment that has {@code files} files, the last at {@code path}, ends there. */
        public boolean endsSegment(int files, String path) {
            if (files >= MAX_SEGMENT_FILES) {
                return true;
            }
            byte[] hash = digest.digest(path.getBytes(StandardCharsets.UTF_8));
            int value = ((hash[0] & 0xFF) << 8) | (hash[1] & 0xFF);
            return value % SEGMENT_DIVISOR == 0;
        }
    }
}
