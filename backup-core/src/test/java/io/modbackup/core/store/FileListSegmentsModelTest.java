package io.modbackup.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.runtime.FileKind;
import io.modbackup.core.hash.Hashing;
import io.modbackup.core.manifest.FileEntry;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * File-list segments under random one-path changes: whatever the list, changing one file's entry
 * rewrites exactly the one segment it is in; adding or removing a file rewrites at most the two around
 * it; every other segment is byte for byte the one before, so a backup shares it. A failing case names
 * its seed; {@code -Dmodbackup.model.seed=S} replays it.
 */
class FileListSegmentsModelTest {
    private static final int CASES = 300;

    private static List<Long> seeds() {
        String one = System.getProperty("modbackup.model.seed");
        List<Long> seeds = new ArrayList<>();
        if (one != null) {
            seeds.add(Long.parseLong(one));
        } else {
            for (long i = 0; i < CASES; i++) {
                seeds.add(31 * i + 5);
            }
        }
        return seeds;
    }

    private static FileEntry file(String path, long size) {
        String sha = Hashing.sha256Hex((path + "/" + size).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return new FileEntry(path, FileKind.IMMUTABLE, size, 1, sha, List.of(sha), null);
    }

    private static List<FileEntry> randomList(Random random) {
        TreeSet<String> paths = new TreeSet<>();
        int n = random.nextInt(3000);
        while (paths.size() < n) {
            paths.add("pstates/t" + random.nextInt(8) + "/" + Long.toString(random.nextLong() & Long.MAX_VALUE, 36) + ".sst");
        }
        List<FileEntry> files = new ArrayList<>();
        for (String path : paths) {
            files.add(file(path, 1 + random.nextInt(1 << 20)));
        }
        return files;
    }

    /** The segments of {@code after} that {@code before} did not have. */
    private static List<List<FileEntry>> rewritten(List<FileEntry> before, List<FileEntry> after) {
        Set<List<FileEntry>> old = new HashSet<>(FileListSegments.cut(before));
        return FileListSegments.cut(after).stream().filter(segment -> !old.contains(segment)).toList();
    }

    @Test
    void aOnePathChangeRewritesTheSegmentsAroundItOnly() {
        for (long seed : seeds()) {
            Random random = new Random(seed);
            List<FileEntry> before = randomList(random);
            String what = "seed " + seed + " (replay: -Dmodbackup.model.seed=" + seed + "), " + before.size() + " files";
            List<List<FileEntry>> cut = FileListSegments.cut(before);
            assertEquals(before, cut.stream().flatMap(List::stream).toList(), what + ": the segments hold the list, in order");
            assertTrue(cut.stream().allMatch(s -> !s.isEmpty() && s.size() <= FileListSegments.MAX_SEGMENT_FILES), what);
            if (before.isEmpty()) {
                continue;
            }
            boolean maxCut = cut.stream().anyMatch(s -> s.size() == FileListSegments.MAX_SEGMENT_FILES);

            List<FileEntry> changed = new ArrayList<>(before);
            int at = random.nextInt(before.size());
            changed.set(at, file(before.get(at).path(), before.get(at).size() + 1));
            assertEquals(1, rewritten(before, changed).size(), what + ": a changed entry rewrites its segment alone");

            List<FileEntry> removed = new ArrayList<>(before);
            removed.remove(at);
            int afterRemove = rewritten(before, removed).size();
            assertTrue(afterRemove <= 1 || maxCut, what + ": a removed file rewrites at most its segment: " + afterRemove);

            List<FileEntry> added = new ArrayList<>(before);
            FileEntry extra = file(before.get(at).path() + ".new", 7);
            added.add(at + 1, extra);
            int afterAdd = rewritten(before, added).size();
            assertTrue(afterAdd >= 1 && (afterAdd <= 2 || maxCut), what + ": an added file rewrites its segment, split in two"
                    + " at most: " + afterAdd);
        }
    }

    /**
     * Mutable files (read at every backup) are segments of their own: no segment mixes them with other
     * files, and a segment ends wherever the kind changes, so the rest stay shared unread.
     */
    @Test
    void mutableFilesAreNeverInASegmentWithOtherFiles() {
        for (long seed : seeds()) {
            Random random = new Random(seed);
            List<FileEntry> files = new ArrayList<>();
            for (FileEntry file : randomList(random)) {
                files.add(random.nextInt(20) == 0 ? new FileEntry(file.path(), FileKind.MUTABLE, file.size(), 1, file.sha256(),
                        file.chunks(), null) : file);
            }
            String what = "seed " + seed + " (replay: -Dmodbackup.model.seed=" + seed + "), " + files.size() + " files";
            List<List<FileEntry>> cut = FileListSegments.cut(files);
            assertEquals(files, cut.stream().flatMap(List::stream).toList(), what + ": the segments hold the list, in order");
            for (List<FileEntry> segment : cut) {
                assertTrue(segment.stream().allMatch(f -> (f.kind() == FileKind.MUTABLE) == (segment.get(0).kind() == FileKind.MUTABLE)),
                        what + ": a segment mixes mutable files with others");
            }
            long kindChanges = 0;
            for (int i = 1; i < files.size(); i++) {
                kindChanges += (files.get(i).kind() == FileKind.MUTABLE) != (files.get(i - 1).kind() == FileKind.MUTABLE) ? 1 : 0;
            }
            assertTrue(cut.size() >= kindChanges + (files.isEmpty() ? 0 : 1), what);
        }
    }
}
