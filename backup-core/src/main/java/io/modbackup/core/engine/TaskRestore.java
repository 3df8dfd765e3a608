package io.modbackup.core.engine;

import io.modbackup.api.runtime.SupervisorRuntime;
import io.modbackup.core.async.BoundedFanOut;
import io.modbackup.core.engine.TaskWorker.TaskRestoreRequest;
import io.modbackup.core.engine.TaskWorker.TaskRestoreResult;
import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.manifest.FileEntry;
import io.modbackup.core.store.BackupStore;
import io.modbackup.core.store.ChunkStore;
import io.modbackup.core.store.PathOrderedFiles;
import io.modbackup.core.store.Restoring;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * How a {@link LocalTaskWorker} stages one task of a restore: its task manifest walked a segment at a time,
 * each file written into the Supervisor's staging directory for the task, verified, and fsynced with its
 * directories before the task is reported staged. Thread-safe; each restore's state is its own.
 */
final class TaskRestore {
    /** Packs of small files one task restores at once: each holds a pack's reader, and up to a chunk if sealed. */
    static final int PACKS_IN_FLIGHT = 4;
    private final SupervisorRuntime supervisor;
    private final BackupStore store;
    private final ChunkStore chunks;
    private final Executor executor;
    private final int filesInFlight;

    TaskRestore(SupervisorRuntime supervisor, BackupStore store, ChunkStore chunks, Executor executor, int filesInFlight) {
        this.supervisor = supervisor;
        this.store = store;
        this.chunks = chunks;
        this.executor = executor;
        this.filesInFlight = filesInFlight;
    }

    /** Stages one task of a restore; see {@link TaskWorker#restoreTask}. */
    CompletableFuture<TaskRestoreResult> restore(TaskRestoreRequest request) {
        String what = "task manifest " + request.task() + " of backup " + request.backupId();
        return store.readTaskHeader(request.manifest(), request.chunkSize(), what).thenComposeAsync(header -> {
            if (header == null) {
                throw new CorruptBackupException(what + " is missing from the store (" + request.manifest().key() + ")");
            }
            if (header.task() != request.task() || !header.backupId().equals(request.backupId())) {
                throw new CorruptBackupException(what + " describes task " + header.task() + " of " + header.backupId());
            }
            Path staging = supervisor.stagingDirectory(request.module(), request.restoreId(), request.task());
            PathOrderedFiles files = PathOrderedFiles.of(store, header, request.chunkSize(), what);
            long[] totals = new long[2];
            return restoreRest(request, files, staging, what, totals, new TreeSet<>(),
                    CompletableFuture.completedFuture(null))
                    .thenApply(v -> new TaskRestoreResult(request.task(), Math.toIntExact(totals[0]), totals[1]));
        }, executor);
    }

    /**
     * Restores the files left, a segment at a time: memory holds one segment's entries and the fsyncs of the
     * one before, whatever the task's size. A segment's files are written while the previous segment's are
     * still being synced: waiting for every fsync of a segment before reading the next left the I/O threads
     * idle through each segment's slowest fsync. The directories are synced once, after every file.
     *
     * @param directories the directories of the files restored so far (each synced once, at the end)
     * @param previous    the previous segment's files durable
     */
    private CompletableFuture<Void> restoreRest(TaskRestoreRequest request, PathOrderedFiles files, Path staging, String what,
                                                long[] totals, Set<Path> directories, CompletableFuture<Void> previous) {
        return files.nextBatch().thenComposeAsync(batch -> {
            if (batch.isEmpty()) {
                return previous.thenCompose(done -> {
                    directories.add(staging);
                    return chunks.syncRestored(List.of(), directories, filesInFlight);
                });
            }
            Set<Path> created = new TreeSet<>();
            Map<FileEntry, Path> targets = new IdentityHashMap<>(batch.size() * 2);
            for (FileEntry file : batch) {
                Path target = staging.resolve(file.path()).normalize();
                if (!target.startsWith(staging) || target.equals(staging)) {
                    throw new CorruptBackupException(what + " has file path '" + file.path() + "' that leaves the task directory");
                }
                targets.put(file, target);
                created.add(target.getParent());
            }
            requireStaging(request, staging);
            // Directories are made one level at a time below the staging directory, never the staging
            // directory itself: once the host removed the staging of an abandoned restore, nothing brings it back.
            // Every level made is synced at the end, so that each new directory's entry is as durable as the files.
            for (Path directory : created) {
                if (!directories.contains(directory)) {
                    createBelow(staging, directory, request);
                    for (Path at = directory; !at.equals(staging); at = at.getParent()) {
                        directories.add(at);
                    }
                }
            }
            // A pack's files are restored together, the pack read once, a few packs at a time (a sealed pack is
            // held whole while it is opened); every other file on its own. Each file is durable before the
            // runtime may swap it in: synced off the I/O threads once verified.
            Map<String, List<FileEntry>> packed = new LinkedHashMap<>();
            List<FileEntry> own = new ArrayList<>();
            for (FileEntry file : batch) {
                if (file.pack() != null) {
                    packed.computeIfAbsent(file.chunks().get(0), pack -> new ArrayList<>()).add(file);
                } else {
                    own.add(file);
                }
            }
            Function<FileEntry, String> name = file -> "file " + file.path() + " of task " + request.task();
            // Packs and the other files side by side, together never more than the files in flight; each
            // completes once written, with its fsyncs under way.
            int packReads = packed.isEmpty() ? 0 : Math.max(1, Math.min(PACKS_IN_FLIGHT, filesInFlight / 2));
            CompletableFuture<List<CompletableFuture<Void>>> packsWritten = BoundedFanOut.map(List.copyOf(packed.values()),
                    Math.max(1, packReads), members -> {
                        requireStaging(request, staging);
                        return writtenThenDurable(chunks.restorePackDurably(members, members.stream().map(targets::get).toList(),
                                name));
                    });
            CompletableFuture<List<CompletableFuture<Void>>> othersWritten = BoundedFanOut.map(own,
                    Math.max(1, filesInFlight - packReads), file -> {
                        requireStaging(request, staging);
                        return writtenThenDurable(chunks.restoreDurably(file, request.chunkSize(), targets.get(file),
                                name.apply(file)));
                    });
            CompletableFuture<CompletableFuture<Void>> written = packsWritten.thenCombine(othersWritten, (packs, others) -> {
                List<CompletableFuture<Void>> all = new ArrayList<>(packs);
                all.addAll(others);
                return CompletableFuture.allOf(all.toArray(CompletableFuture<?>[]::new));
            });
            // The next segment starts once this one is written and the one before it is durable. A failure is
            // reported once the previous segment's fsyncs ended too (a fsync left running on a staged file the
            // host then discards fails unseen, which is harmless).
            // allOf waits for both either way, and reports this segment's failure before the previous one's.
            return CompletableFuture.allOf(written, previous).handle((v, failure) -> failure).thenCompose(failure -> {
                if (failure == null) {
                    totals[0] += batch.size();
                    totals[1] += batch.stream().mapToLong(FileEntry::size).sum();
                    return restoreRest(request, files, staging, what, totals, directories, written.join());
                }
                // This segment written and the previous one failed: its fsyncs end before the failure is reported.
                CompletableFuture<Void> running = written.isCompletedExceptionally()
                        ? CompletableFuture.completedFuture(null) : written.join();
                return running.handle((done, ignored) -> null).thenCompose(done -> CompletableFuture.<Void>failedFuture(failure));
            });
        }, executor);
    }

    /** Completes once {@code restoring}'s files are written, with the future of their being durable. */
    private static CompletableFuture<CompletableFuture<Void>> writtenThenDurable(Restoring restoring) {
        return restoring.written().thenApply(v -> restoring.durable());
    }

    /** The host removes the staging of a restore its Conductor gave up (crashed, timed out): stop there. */
    private static void requireStaging(TaskRestoreRequest request, Path staging) {
        if (!Files.isDirectory(staging)) {
            throw new IllegalStateException("restore " + request.restoreId() + " of task " + request.task()
                    + " was abandoned: its staging directory " + staging + " was removed");
        }
    }

    private static void createBelow(Path staging, Path directory, TaskRestoreRequest request) {
        Path at = staging;
        for (Path part : staging.relativize(directory)) {
            at = at.resolve(part);
            if (Files.isDirectory(at)) {
                continue;
            }
            try {
                Files.createDirectory(at);
            } catch (FileAlreadyExistsException e) {
                if (!Files.isDirectory(at)) {
                    throw new UncheckedIOException("cannot create " + at + ": a file is in the way", e);
                }
            } catch (NoSuchFileException e) {
                requireStaging(request, staging);
                throw new UncheckedIOException("cannot create " + at, e);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create " + at, e);
            }
        }
    }
}
