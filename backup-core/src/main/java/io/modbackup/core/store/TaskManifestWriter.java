package io.modbackup.core.store;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.runtime.FileKind;
import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.hash.Hashing;
import io.modbackup.core.manifest.FileEntry;
import io.modbackup.core.manifest.FileSegment;
import io.modbackup.core.manifest.ManifestCodec;
import io.modbackup.core.manifest.SegmentRef;
import io.modbackup.core.manifest.TaskManifest;
import io.modbackup.core.manifest.TaskRef;
import io.modbackup.core.store.BackupStore.WrittenTaskManifest;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes a task manifest from its files given one at a time in path order: each segment is cut
 * ({@link FileListSegments}) and sent as soon as it is complete, unless the store already holds it,
 * and the header goes last, once every segment is stored. Memory is one segment's entries, whatever
 * the number of files. Not thread-safe: one task's backup feeds it.
 */
public final class TaskManifestWriter {
    private final SealingProvider provider;
    private final ManifestCodec codec;
    private final TaskManifest meta;
    private final Set<String> stored;
    private final List<FileEntry> current = new ArrayList<>();
    private final FileListSegments.Boundaries boundaries = new FileListSegments.Boundaries();
    private final List<SegmentRef> segments = new ArrayList<>();
    private final List<CompletableFuture<Long>> puts = new ArrayList<>();
    /** Stored bytes of the segments sent so far (their puts add as they complete, on any thread). */
    private final AtomicLong sent = new AtomicLong();
    private String lastPath;
    private long files;
    private long bytes;
    /** The manifest this one is built on, whose unchanged segments are referred to as they are; null for none. */
    private PathOrderedFiles previous;

    /**
     * @param meta   the manifest's identity and offsets (its files are ignored)
     * @param stored segments the store holds (the previous backup's, kept by its commit and our lease)
     */
    TaskManifestWriter(SealingProvider provider, ManifestCodec codec, TaskManifest meta, Set<String> stored) {
        this.provider = provider;
        this.codec = codec;
        this.meta = meta;
        this.stored = stored;
    }

    /**
     * Reuses, by reference, every segment that holds exactly the entries {@code previous} returned for it:
     * a no-change backup neither encodes nor hashes its file lists again.
     */
    public TaskManifestWriter reusingSegmentsOf(PathOrderedFiles previous) {
        this.previous = previous;
        return this;
    }

    /**
     * Adds the next file.
     *
     * @throws IllegalArgumentException when its path does not come after the previous file's
     */
    public void add(FileEntry file) {
        if (lastPath != null && lastPath.compareTo(file.path()) >= 0) {
            throw new IllegalArgumentException("task " + meta.task() + " of backup " + meta.backupId() + ": file "
                    + file.path() + " comes after " + lastPath + " (paths must be unique and in order)");
        }
        if (files >= ManifestCodec.MAX_FILES) {
            throw new CorruptBackupException("task " + meta.task() + " has more than " + ManifestCodec.MAX_FILES + " files");
        }
        if (!current.isEmpty() && FileListSegments.kindsSplit(current.get(current.size() - 1).kind(), file.kind())) {
            flush();
        }
        lastPath = file.path();
        files++;
        bytes += file.size();
        current.add(file);
        if (boundaries.endsSegment(current.size(), file.path())) {
            flush();
        }
    }

    /**
     * Adds a whole segment of the manifest this one is built on, by reference, unread: the next files of the
     * task, from {@code firstPath} to {@code lastPath}, are the ones it lists (the stamps of the segment and
     * of the cut's files agree). Must come where a segment ends: the files before it completed one, or are
     * mutable (a reused segment holds none, and a segment ends between mutable files and others).
     *
     * @throws IllegalStateException when files added since the last segment's end are waiting
     * @throws IllegalArgumentException when its paths do not come after the previous file's, or the store
     *     does not hold it
     */
    public void addSegment(SegmentRef segment, String firstPath, String lastPath) {
        if (!current.isEmpty() && current.get(current.size() - 1).kind() == FileKind.MUTABLE) {
            flush(); // a segment reused whole has no mutable file (its stamp says so): the mutable run ends here
        }
        if (!current.isEmpty()) {
            throw new IllegalStateException("task " + meta.task() + " of backup " + meta.backupId() + ": segment "
                    + segment.sha256() + " added after " + current.size() + " files of an unfinished segment");
        }
        if ((this.lastPath != null && this.lastPath.compareTo(firstPath) >= 0) || firstPath.compareTo(lastPath) > 0) {
            throw new IllegalArgumentException("task " + meta.task() + " of backup " + meta.backupId() + ": segment "
                    + firstPath + " .. " + lastPath + " comes after " + this.lastPath + " (paths must be unique and in order)");
        }
        if (!stored.contains(segment.sha256())) {
            throw new IllegalArgumentException("segment " + segment.sha256() + " is not one the store holds for this backup");
        }
        if (files + segment.files() > ManifestCodec.MAX_FILES) {
            throw new CorruptBackupException("task " + meta.task() + " has more than " + ManifestCodec.MAX_FILES + " files");
        }
        this.lastPath = lastPath;
        files += segment.files();
        bytes += segment.bytes();
        segments.add(segment);
    }

    private void flush() {
        if (current.isEmpty()) {
            return;
        }
        String stamp = SegmentStamp.ofEntries(provider.contentHash(), current);
        Long chunks = stamp == null ? null : current.stream().mapToLong(file -> file.chunks().size()).sum();
        long size = current.stream().mapToLong(FileEntry::size).sum();
        SegmentRef same = previous == null ? null : previous.sameSegment(current);
        if (same != null && stored.contains(same.sha256())) {
            segments.add(new SegmentRef(same.sha256(), same.files(), same.bytes(), stamp, chunks));
            current.clear();
            return;
        }
        byte[] segment = codec.encode(new FileSegment(ManifestCodec.VERSION, List.copyOf(current)));
        String sha = Hashing.sha256Hex(segment);
        segments.add(new SegmentRef(sha, current.size(), size, stamp, chunks));
        if (!stored.contains(sha)) {
            // Only puts still running (or failed, to report) are kept: the list stays short.
            puts.removeIf(put -> put.isDone() && !put.isCompletedExceptionally());
            puts.add(provider.store(StoreLayout.segmentKey(sha), new ByteArrayInputStream(segment), segment.length)
                    .thenApply(stored -> sent.addAndGet(Math.max(0, stored))));
        }
        current.clear();
    }

    /** Sends the last segment, then the header once every segment is stored; completes with its reference. */
    public CompletableFuture<WrittenTaskManifest> finish() {
        flush();
        TaskManifest header = new TaskManifest(ManifestCodec.VERSION, meta.module(), meta.backupId(), meta.task(),
                List.of(), List.copyOf(segments), meta.depotEndOffsets(), meta.processedOffsets());
        byte[] encoded = codec.encode(header);
        String key = StoreLayout.taskManifestKey(BackupId.parse(meta.backupId()), meta.task());
        TaskRef ref = new TaskRef(meta.task(), key, Hashing.sha256Hex(encoded), Math.toIntExact(files), bytes);
        return CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new))
                .thenCompose(v -> provider.storeOnce(key, encoded, BackupProvider.Durability.AT_BARRIER))
                .thenApply(headerSent -> new WrittenTaskManifest(ref, sent.get() + headerSent));
    }
}
