package io.modbackup.core.store;

import io.modbackup.core.manifest.PackSlice;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Packs one task backup's small files into chunks of several files each, so that a store of tens of
 * thousands of small files writes hundreds of objects, not one per file (each object costs a create, a
 * rename and its share of the barrier's syncs: on 49k files of 16 KiB that was most of a backup). A pack is
 * a chunk like any other, named by its content, so the index, GC's counts, verify and copies need nothing
 * new; a packed file's entry says where in the pack it is ({@link PackSlice}).
 *
 * <p>A file joins a pack with its bytes, already hashed, and its entry completes once its pack is stored.
 * The task's files are stored through an {@link io.modbackup.core.async.OrderedWindow}, whose head may be
 * a packed file: a pack is sent when it holds {@code flushMembers} files or {@code maxBytes}, and also when
 * the window can start nothing more ({@link #stalled}) and every file started has either joined or gone its
 * own way, which is what guarantees the window never waits for a pack nobody sends. Every file started
 * takes a {@link Ticket} and settles it once: joins, or skips.
 *
 * <p>Thread-safe: files join from the I/O threads, the window stalls on whichever thread pumps it. A pack
 * is uploaded on the I/O executor (its upload permit may block), never on the caller's thread.
 */
public final class PackWriter {
    private final Function<byte[], CompletableFuture<String>> upload;
    private final int flushMembers;
    private final int maxBytes;
    private final List<CompletableFuture<String>> uploads = new ArrayList<>();
    private byte[] buffer = new byte[0];
    private int used;
    private List<Member> members = new ArrayList<>();
    private int undecided;
    private boolean stalled;

    /**
     * @param upload stores one pack's bytes and completes with its chunk name
     * @param flushMembers files after which a pack is sent, at least 1
     * @param maxBytes bytes after which a pack is sent; a file joins only if it fits in one
     */
    PackWriter(Function<byte[], CompletableFuture<String>> upload, int flushMembers, int maxBytes) {
        if (flushMembers < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("flushMembers and maxBytes must be positive");
        }
        this.upload = upload;
        this.flushMembers = flushMembers;
        this.maxBytes = maxBytes;
    }

    /** A file was started: until its ticket is settled, a stall waits for it before sending the pack. */
    public synchronized Ticket ticket() {
        undecided++;
        return new Ticket();
    }

    /** The window can start nothing more while its head is not done: send the pack once nothing is undecided. */
    public synchronized void stalled() {
        stalled = true;
        if (undecided == 0) {
            flush();
        }
    }

    /** The window handed a result on: the files it starts next may fill the pack again. */
    public synchronized void progressed() {
        stalled = false;
    }

    /** Sends the open pack now, if it holds any file (the task's last files, or a window that waits). */
    public synchronized void flush() {
        if (members.isEmpty()) {
            return;
        }
        byte[] bytes = used == buffer.length ? buffer : Arrays.copyOf(buffer, used);
        List<Member> sent = members;
        buffer = new byte[0];
        used = 0;
        members = new ArrayList<>();
        CompletableFuture<String> stored = upload.apply(bytes);
        // Only uploads still running (or failed, to report) are kept: the list stays short however many packs.
        uploads.removeIf(done -> done.isDone() && !done.isCompletedExceptionally());
        uploads.add(stored);
        stored.whenComplete((name, error) -> {
            for (Member member : sent) {
                if (error == null) {
                    member.placed().complete(new Placed(name, new PackSlice(member.offset(), bytes.length)));
                } else {
                    member.placed().completeExceptionally(error);
                }
            }
        });
    }

    /** Completes once every pack sent so far is stored (fails with the first that failed). */
    public synchronized CompletableFuture<Void> allStored() {
        return CompletableFuture.allOf(uploads.toArray(CompletableFuture[]::new));
    }

    private synchronized CompletableFuture<Placed> join(byte[] data) {
        if (data.length > maxBytes) {
            throw new IllegalArgumentException("a file of " + data.length + " bytes cannot join a pack of " + maxBytes);
        }
        if (used + data.length > maxBytes) {
            flush();
        }
        if (buffer.length < used + data.length) {
            buffer = Arrays.copyOf(buffer, Math.min(maxBytes, Math.max(used + data.length, 2 * buffer.length)));
        }
        System.arraycopy(data, 0, buffer, used, data.length);
        // The pack's length is known only when it is sent: the slice is made then.
        CompletableFuture<Placed> placed = new CompletableFuture<>();
        members.add(new Member(used, placed));
        used += data.length;
        if (members.size() >= flushMembers || used == maxBytes) {
            flush();
        }
        return placed;
    }

    private synchronized void settled() {
        undecided--;
        if (stalled && undecided == 0) {
            flush();
        }
    }

    private record Member(long offset, CompletableFuture<Placed> placed) {
    }

    /** Where a file went: the pack's chunk name and its slice of it. */
    public record Placed(String pack, PackSlice slice) {
    }

    /** One started file's place in the count of undecided files; settled once. */
    public final class Ticket {
        private boolean settled;

        /**
         * Adds {@code data} (no longer than a pack) to the open pack; completes once its pack is stored.
         *
         * @throws IllegalStateException when the ticket was settled already
         */
        public CompletableFuture<Placed> join(byte[] data) {
            synchronized (PackWriter.this) {
                if (settled) {
                    throw new IllegalStateException("this file's ticket is settled already");
                }
                settled = true;
                try {
                    return PackWriter.this.join(data);
                } finally {
                    settled(); // joined or refused, it no longer holds a stall's flush back
                }
            }
        }

        /** The file does not join a pack (or failed); settling twice is a no-op. */
        public void skip() {
            synchronized (PackWriter.this) {
                if (!settled) {
                    settled = true;
                    settled();
                }
            }
        }
    }
}
