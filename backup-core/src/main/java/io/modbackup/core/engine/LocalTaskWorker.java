package io.modbackup.core.engine;

import io.modbackup.api.runtime.CapturedFile;
import io.modbackup.api.runtime.FileKind;
import io.modbackup.api.runtime.SupervisorRuntime;
import io.modbackup.core.async.OrderedWindow;
import io.modbackup.core.manifest.FileEntry;
import io.modbackup.core.manifest.ManifestCodec;
import io.modbackup.core.manifest.SegmentRef;
import io.modbackup.core.manifest.TaskManifest;
import io.modbackup.core.manifest.TaskRef;
import io.modbackup.core.store.BackupStore;
import io.modbackup.core.store.ChunkStore;
import io.modbackup.core.store.FileListSegments;
import io.modbackup.core.store.SegmentStamp;
import io.modbackup.core.store.KnownChunks;
import io.modbackup.core.store.PackWriter;
import io.modbackup.core.store.PathOrderedFiles;
import io.modbackup.core.store.TaskManifestWriter;
import io.modbackup.core.store.TransferLimits;
import io.modbackup.core.store.TransferStats;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.stream.Collectors;

/** A {@link TaskWorker} running in the same process as the Supervisor whose files it reads. */
public final class LocalTaskWorker implements TaskWorker {
    private final SupervisorRuntime supervisor;
    private final BackupStore store;
    private final ChunkStore chunks;
    private final Executor executor;
    private final int filesInFlight;
    private final TransferLimits limits;
    private final TaskRestore restores;
    /** The chunk index of each backup with tasks running here, shared by them (tasks hold equal files). */
    private final Map<String, SharedIndex> indexes = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.LongAdder bytesHashed = new java.util.concurrent.atomic.LongAdder();

    /** A backup's chunk index and how many of its tasks are running here. */
    private static final class SharedIndex {
        final KnownChunks chunks;
        int users;

        SharedIndex(boolean probe) {
            chunks = new KnownChunks(probe);
        }
    }

    /**
     * @param executor      where the worker's own steps run (not its I/O, which is the stores')
     * @param filesInFlight files of one task being stored or restored at once; bounds the memory a
     *                      task's work holds however many files it has
     */
    public LocalTaskWorker(SupervisorRuntime supervisor, BackupStore store, ChunkStore chunks, Executor executor,
                           int filesInFlight, TransferLimits limits) {
        if (filesInFlight < 1) {
            throw new IllegalArgumentException("filesInFlight must be at least 1, got " + filesInFlight);
        }
        this.supervisor = supervisor;
        this.store = store;
        this.chunks = chunks;
        this.executor = executor;
        this.filesInFlight = filesInFlight;
        this.limits = limits;
        this.restores = new TaskRestore(supervisor, store, chunks, executor, filesInFlight);
    }

    /**
     * Bytes of local files this worker has read and hashed for backups so far, across its tasks: with the
     * bytes its provider moved, what tells a slow task from a stuck one.
     */
    public long bytesHashed() {
        return bytesHashed.sum();
    }

    @Override
    public CompletableFuture<TaskBackupResult> backupTask(TaskBackupRequest request) {
        limits.setUpload(request.bytesPerSecond()); // the module's setting when its backup started: this process's limit
        TransferStats task = new TransferStats(bytesHashed);
        // The backup built on: the previous one, or after a restore the one restored (chunks only).
        TaskRef sourceRef = request.chunksFrom() != null ? request.chunksFrom() : request.previous();
        CompletableFuture<PathOrderedFiles> opening = sourceRef == null ? CompletableFuture.completedFuture(PathOrderedFiles.empty())
                : PathOrderedFiles.open(store, sourceRef, request.sourceChunkSize(), "task manifest " + sourceRef.key());
        // Entries are reused only from a backup split as this one is: another chunk size lists other chunks.
        boolean reuse = request.previous() != null && request.previous().equals(sourceRef)
                && request.sourceChunkSize() == request.chunkSize();
        return opening.thenComposeAsync(source -> {
            KnownChunks known = index(request);
            CompletableFuture<TaskBackupResult> result;
            try {
                // After a restore nothing is reused by path, and files may come back under other names:
                // every chunk of the backup restored is taken as stored (one more walk of its segments).
                CompletableFuture<Void> indexed = reuse || sourceRef == null ? CompletableFuture.completedFuture(null)
                        : addAllChunks(PathOrderedFiles.of(store, source.header(), request.sourceChunkSize(),
                        "task manifest " + sourceRef.key()), known);
                // The task manifest refers to what this worker stored: durable before the commit can refer to it.
                result = indexed.thenCompose(v -> backUpFiles(request, source, reuse, known, task))
                        .thenCompose(done -> store.barrier().thenApply(v -> done));
            } catch (RuntimeException e) {
                release(request.backupId());
                throw e;
            }
            return result.whenComplete((r, error) -> release(request.backupId()));
        }, executor);
    }

    private static CompletableFuture<Void> addAllChunks(PathOrderedFiles files, KnownChunks known) {
        return files.nextBatch().thenCompose(batch -> {
            if (batch.isEmpty()) {
                return CompletableFuture.completedFuture(null);
            }
            batch.forEach(file -> known.addStored(file.chunks()));
            return addAllChunks(files, known);
        });
    }

    /**
     * Stores the cut's files in path order, a window of them at a time, joined by path with the entries
     * of the backup built on (read a segment at a time), and writes the task manifest as it goes:
     * memory holds the runtime's list of the cut's files and a window, not a second copy of every entry.
     */
    private CompletableFuture<TaskBackupResult> backUpFiles(TaskBackupRequest request, PathOrderedFiles opened, boolean reuse,
                                                           KnownChunks known, TransferStats task) {
        List<CapturedFile> files = inPathOrder(supervisor.cutFiles(request.module(), request.cutId(), request.task()));
        // Whole segments whose files the cut has unchanged are referred to unread; the rest are read as files are sought.
        Set<Integer> skipped = new java.util.HashSet<>();
        List<Object> steps = reuse && opened.header() != null ? reusingSegments(files, opened.header(), skipped)
                : new ArrayList<>(files);
        PathOrderedFiles source = opened.skipping(skipped);
        // Segments of the backup built on are in the store (its commit, and our lease against GC): shared, not rewritten.
        Set<String> stored = source.header() == null ? Set.of()
                : source.header().segments().stream().map(SegmentRef::sha256).collect(Collectors.toSet());
        TaskManifestWriter writer = store.taskManifestWriter(new TaskManifest(ManifestCodec.VERSION, request.module(),
                request.backupId(), request.task(), List.of(), request.depotEndOffsets(), request.processedOffsets()), stored)
                .reusingSegmentsOf(reuse && source.header() != null && source.header().version() == ManifestCodec.VERSION
                        ? source : null);
        // Small files go into packs of half a window's files: the window's head may wait for its pack, which is
        // sent when full or when the window can start nothing more (PackWriter).
        PackWriter packs = chunks.packWriter(request.chunkSize(), Math.max(1, filesInFlight / 2), known, task);
        return OrderedWindow.run(steps.iterator(), filesInFlight, step -> {
            if (!(step instanceof CapturedFile file)) {
                return CompletableFuture.completedFuture(step); // a segment reused whole
            }
            PackWriter.Ticket ticket = packs.ticket();
            try {
                return source.seek(file.path()).thenCompose(before -> {
                    if (reuse && unchanged(file, before)) {
                        ticket.skip();
                        task.fileReused();
                        task.reused(before.chunks().size());
                        return CompletableFuture.completedFuture(before);
                    }
                    return chunks.store(file.path(), file.kind(), file.source(), file.size(), file.modifiedMillis(),
                            request.chunkSize(), known.withPrevious(before), ticket, task);
                }).<Object>thenApply(entry -> entry).whenComplete((entry, error) -> ticket.skip());
            } catch (RuntimeException e) {
                ticket.skip();
                throw e;
            }
        }, done -> {
            packs.progressed();
            if (done instanceof ReusedSegment segment) {
                task.filesReused(segment.ref().files());
                task.reused(segment.ref().chunks());
                writer.addSegment(segment.ref(), segment.firstPath(), segment.lastPath());
            } else {
                writer.add((FileEntry) done);
            }
        }, packs::stalled).thenCompose(v -> packs.allStored()).thenCompose(v -> writer.finish())
                // New content is the files'; the task manifest and its segments count only as bytes sent.
                .thenApply(written -> new TaskBackupResult(written.ref(), task.bytesRead(), task.newBytes(),
                        task.bytesSent() + written.bytesSent(), task.chunksUploaded(), task.chunksReused(),
                        task.filesReused()));
    }

    /** A segment of the backup built on that a cut's files match exactly: referred to whole, never read. */
    private record ReusedSegment(SegmentRef ref, String firstPath, String lastPath) {
    }

    /**
     * The cut's {@code files} as steps of a backup: each file, or in place of a run of files that make up a
     * segment of {@code previous} unchanged (same stamp: paths, kinds, sizes and times, none mutable), that
     * segment ({@link ReusedSegment}), whose index goes into {@code skipped}. The runs are cut where the
     * writer cuts segments, so a reused segment comes exactly where the writer has finished one.
     */
    private List<Object> reusingSegments(List<CapturedFile> files, TaskManifest previous, Set<Integer> skipped) {
        Map<String, Integer> byStamp = new java.util.HashMap<>();
        List<SegmentRef> refs = previous.segments();
        for (int i = 0; i < refs.size(); i++) {
            if (refs.get(i).stamp() != null) {
                byStamp.putIfAbsent(refs.get(i).stamp(), i);
            }
        }
        List<Object> steps = new ArrayList<>(files.size());
        if (byStamp.isEmpty()) {
            steps.addAll(files);
            return steps;
        }
        FileListSegments.Boundaries boundaries = new FileListSegments.Boundaries();
        int start = 0;
        for (int i = 0; i < files.size(); i++) {
            if (i == files.size() - 1 || FileListSegments.kindsSplit(files.get(i).kind(), files.get(i + 1).kind())
                    || boundaries.endsSegment(i - start + 1, files.get(i).path())) {
                List<CapturedFile> run = files.subList(start, i + 1);
                String stamp = SegmentStamp.ofCaptured(chunks.contentHash(), run);
                Integer index = stamp == null ? null : byStamp.get(stamp);
                if (index != null && refs.get(index).files() == run.size() && skipped.add(index)) {
                    steps.add(new ReusedSegment(refs.get(index), run.get(0).path(), run.get(run.size() - 1).path()));
                } else {
                    steps.addAll(run);
                }
                start = i + 1;
            }
        }
        return steps;
    }

    /**
     * The cut's files in path order, read from the runtime's list once (a runtime may make its entries as
     * they are read: the steps read each file's path, stamp and source, so one copy is cheaper than three
     * reads of each), sorted when the runtime's order is not.
     */
    private static List<CapturedFile> inPathOrder(List<CapturedFile> files) {
        List<CapturedFile> copy = new ArrayList<>(files.size());
        String last = null;
        boolean sorted = true;
        for (CapturedFile file : files) {
            sorted &= last == null || last.compareTo(file.path()) < 0;
            last = file.path();
            copy.add(file);
        }
        if (!sorted) {
            copy.sort(Comparator.comparing(CapturedFile::path));
        }
        return copy;
    }

    private KnownChunks index(TaskBackupRequest request) {
        return indexes.compute(request.backupId(), (id, shared) -> {
            SharedIndex index = shared != null ? shared : new SharedIndex(request.probeUnknownChunks());
            index.users++;
            return index;
        }).chunks;
    }

    private void release(String backupId) {
        indexes.computeIfPresent(backupId, (id, shared) -> --shared.users == 0 ? null : shared);
    }

    /**
     * Whether {@code file} can reuse the previous backup's entry without being read: an immutable file
     * with the same size and modification time, or an append-only one to which nothing was appended
     * (same size and modification time). Mutable files are always read. The coordinator offers a
     * previous manifest only while the module's restore epoch is unchanged, so a file that a restore
     * replaced under the same name is never mistaken for the old one.
     */
    private static boolean unchanged(CapturedFile file, FileEntry before) {
        return before != null && file.kind() != FileKind.MUTABLE && before.kind() == file.kind()
                && before.size() == file.size() && before.modifiedMillis() == file.modifiedMillis();
    }

    @Override
    public CompletableFuture<TaskRestoreResult> restoreTask(TaskRestoreRequest request) {
        limits.setDownload(request.bytesPerSecond());
        return restores.restore(request);
    }
}
