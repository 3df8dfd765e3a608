package io.modbackup.core.store;

import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.manifest.FileEntry;
import io.modbackup.core.manifest.SegmentRef;
import io.modbackup.core.manifest.TaskManifest;
import io.modbackup.core.manifest.TaskRef;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A stored task manifest's files, looked up by increasing path and read one segment at a time (the
 * next segment is fetched while the current one is used), so walking a task of any size holds two
 * segments, not its whole file list: the previous backup's entries, joined with a cut's files in path
 * order. Checks each segment against its reference and the order of all paths. Not thread-safe: one
 * caller, one lookup at a time.
 */
public final class PathOrderedFiles {
    private final BackupStore store;
    private final TaskManifest header;
    private final List<SegmentRef> segments;
    private final int chunkSize;
    private final String what;
    private int nextSegment;
    /** The next segment, being read while the current one is walked; null after the last. */
    private CompletableFuture<List<FileEntry>> prefetch;
    private Iterator<FileEntry> current;
    /** The first file not yet skipped or returned, or null when it must be taken from {@code current}. */
    private FileEntry head;
    private String lastPath;
    private CompletableFuture<Void> lookups = CompletableFuture.completedFuture(null);
    /** The segments read most recently, by index: a writer whose segment is one of them unchanged reuses its reference. */
    private final java.util.LinkedHashMap<Integer, List<FileEntry>> recent = new java.util.LinkedHashMap<>(8, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(java.util.Map.Entry<Integer, List<FileEntry>> eldest) {
            return size() > RECENT_SEGMENTS;
        }
    };
    /** Segments kept for {@link #sameSegment}: more than a backup's window of files in flight spans. */
    private static final int RECENT_SEGMENTS = 4;

    /** Segments never read: a backup refers to them whole, and seeks no path of theirs. */
    private final java.util.Set<Integer> skipped;
    private boolean started;

    private PathOrderedFiles(BackupStore store, TaskManifest header, List<SegmentRef> segments, Iterator<FileEntry> first,
                             int chunkSize, String what, java.util.Set<Integer> skipped) {
        this.store = store;
        this.header = header;
        this.segments = segments;
        this.current = first;
        this.chunkSize = chunkSize;
        this.what = what;
        this.skipped = skipped;
    }

    /** Starts reading the first segment, once: on the first lookup, so that {@link #skipping} may come first. */
    private void start() {
        if (!started) {
            started = true;
            nextSegment = unskippedFrom(0);
            prefetch = nextSegment < segments.size() ? fetch(nextSegment) : null;
        }
    }

    /**
     * These files but for the segments at the {@code skipped} indexes, which are never read: the caller seeks
     * no path they list. Only before the first lookup.
     *
     * @throws IllegalStateException after a lookup
     */
    public PathOrderedFiles skipping(java.util.Set<Integer> skipped) {
        if (started) {
            throw new IllegalStateException("segments can be skipped only before the first lookup");
        }
        return header == null ? this : of(store, header, chunkSize, what, skipped);
    }

    private int unskippedFrom(int index) {
        while (index < segments.size() && skipped.contains(index)) {
            index++;
        }
        return index;
    }

    /** The next segment to read after the one being read: the prefetch moves on. */
    private void advance() {
        nextSegment = unskippedFrom(nextSegment + 1);
        prefetch = nextSegment < segments.size() ? fetch(nextSegment) : null;
    }

    /** No files. */
    public static PathOrderedFiles empty() {
        return new PathOrderedFiles(null, null, List.of(), List.<FileEntry>of().iterator(), 0, "", java.util.Set.of());
    }

    /**
     * Opens the task manifest {@code ref}: reads and checks its header, then its segments as they are
     * walked. Fails with {@link CorruptBackupException} naming {@code what} when it is missing or does
     * not verify.
     */
    public static CompletableFuture<PathOrderedFiles> open(BackupStore store, TaskRef ref, int chunkSize, String what) {
        return store.readTaskHeader(ref, chunkSize, what).thenApply(header -> {
            if (header == null) {
                throw new CorruptBackupException(what + " is missing (" + ref.key() + ")");
            }
            return of(store, header, chunkSize, what);
        });
    }

    /** The files of a task manifest whose header was read and checked already. */
    public static PathOrderedFiles of(BackupStore store, TaskManifest header, int chunkSize, String what) {
        return of(store, header, chunkSize, what, java.util.Set.of());
    }

    private static PathOrderedFiles of(BackupStore store, TaskManifest header, int chunkSize, String what,
                                       java.util.Set<Integer> skipped) {
        return new PathOrderedFiles(store, header, header.segments(),
                header.segments().isEmpty() ? header.files().iterator() : List.<FileEntry>of().iterator(), chunkSize, what,
                java.util.Set.copyOf(skipped));
    }

    /**
     * The reference of a segment of this manifest that holds exactly {@code entries}, the very entry objects
     * this reader returned, in order (files reused unchanged): its bytes would be the same, so a writer need
     * not encode, hash or store it again. Null when there is none among the few segments read last.
     */
    public SegmentRef sameSegment(List<FileEntry> entries) {
        if (entries.isEmpty()) {
            return null;
        }
        synchronized (recent) {
            for (var segment : recent.entrySet()) {
                List<FileEntry> files = segment.getValue();
                if (files.size() == entries.size() && files.get(0) == entries.get(0)) {
                    for (int i = 1; i < files.size(); i++) {
                        if (files.get(i) != entries.get(i)) {
                            return null;
                        }
                    }
                    return segments.get(segment.getKey());
                }
            }
        }
        return null;
    }

    /** The task manifest without its files: its segment references, offsets and identity; null for {@link #empty()}. */
    public TaskManifest header() {
        return header;
    }

    private CompletableFuture<List<FileEntry>> fetch(int index) {
        return store.readSegment(segments.get(index), chunkSize, "segment " + index + " of " + what);
    }

    /**
     * The entry for {@code path}, skipping every file before it; completes with null when there is none.
     * Paths must increase from call to call; a call made before the previous one completed waits for
     * it. Never blocks: a segment not yet read is waited for by composition (the next one is already
     * being fetched).
     */
    public CompletableFuture<FileEntry> seek(String path) {
        start();
        // Lookups run one after another even when asked for before the previous one completed.
        CompletableFuture<FileEntry> found = lookups.thenCompose(v -> seekNow(path));
        lookups = found.thenApply(v -> null);
        return found;
    }

    private CompletableFuture<FileEntry> seekNow(String path) {
        while (true) {
            if (head == null || head.path().compareTo(path) < 0) {
                if (current.hasNext()) {
                    setHead(current.next());
                    continue;
                }
                if (prefetch != null) {
                    CompletableFuture<List<FileEntry>> loading = prefetch;
                    int index = nextSegment;
                    advance();
                    return loading.thenCompose(files -> {
                        synchronized (recent) {
                            recent.put(index, files);
                        }
                        current = files.iterator();
                        return seekNow(path);
                    });
                }
                head = null;
                return CompletableFuture.completedFuture(null);
            }
            if (head.path().equals(path)) {
                FileEntry found = head;
                head = null;
                return CompletableFuture.completedFuture(found);
            }
            return CompletableFuture.completedFuture(null);
        }
    }

    /**
     * The files not yet returned or skipped, up to the end of the segment they are in; an empty list at
     * the end. For walking every file (a restore) one segment at a time; not to be mixed with
     * {@link #seek} calls still running.
     */
    public CompletableFuture<List<FileEntry>> nextBatch() {
        start();
        List<FileEntry> batch = new java.util.ArrayList<>();
        if (head != null) {
            batch.add(head);
            head = null;
        }
        while (current.hasNext()) {
            FileEntry file = current.next();
            setHead(file);
            batch.add(file);
            head = null;
        }
        if (!batch.isEmpty() || prefetch == null) {
            return CompletableFuture.completedFuture(batch);
        }
        CompletableFuture<List<FileEntry>> loading = prefetch;
        advance();
        return loading.thenCompose(files -> {
            current = files.iterator();
            return nextBatch();
        });
    }

    private void setHead(FileEntry file) {
        if (lastPath != null && lastPath.compareTo(file.path()) >= 0) {
            throw new CorruptBackupException(what + (lastPath.equals(file.path()) ? " lists path " + file.path() + " twice"
                    : " lists its files out of path order at " + file.path()));
        }
        lastPath = file.path();
        head = file;
    }
}
