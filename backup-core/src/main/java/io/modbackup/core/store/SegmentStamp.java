package io.modbackup.core.store;

import io.modbackup.api.runtime.CapturedFile;
import io.modbackup.api.runtime.FileKind;
import io.modbackup.core.hash.ContentHash;
import io.modbackup.core.manifest.FileEntry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;

/**
 * The stamp of a segment of a task's file list ({@link io.modbackup.core.manifest.SegmentRef#stamp()}):
 * a hash of each file's path, kind, size and modification time, the same whether computed from the
 * entries written or from a cut's files. Equal stamps mean files a backup would reuse unchanged one by
 * one, so the whole segment is reused without being read. Null when a file is mutable: those are read
 * at every backup whatever their size and time.
 */
public final class SegmentStamp {
    private SegmentStamp() {
    }

    /** The stamp of segment entries; null when one is mutable. */
    public static String ofEntries(ContentHash hash, List<FileEntry> files) {
        return of(hash, files, file -> new Stamped(file.path(), file.kind(), file.size(), file.modifiedMillis()));
    }

    /** The stamp the entries of a cut's {@code files} would have if each were reused; null when one is mutable. */
    public static String ofCaptured(ContentHash hash, List<CapturedFile> files) {
        return of(hash, files, file -> new Stamped(file.path(), file.kind(), file.size(), file.modifiedMillis()));
    }

    /** What a stamp covers of a file, whether an entry or a captured file. */
    private record Stamped(String path, FileKind kind, long size, long modifiedMillis) {
    }

    private static <T> String of(ContentHash hash, List<T> files, Function<T, Stamped> stamped) {
        ContentHash.Hasher hasher = hash.start();
        for (T file : files) {
            Stamped s = stamped.apply(file);
            if (!add(hasher, s.path(), s.kind(), s.size(), s.modifiedMillis())) {
                return null;
            }
        }
        return hasher.hex();
    }

    private static boolean add(ContentHash.Hasher hasher, String path, FileKind kind, long size, long modifiedMillis) {
        if (kind == FileKind.MUTABLE) {
            return false;
        }
        byte[] name = path.getBytes(StandardCharsets.UTF_8);
        // Length-prefixed, so no two lists of files hash the same bytes.
        ByteBuffer record = ByteBuffer.allocate(4 + name.length + 1 + 16);
        record.putInt(name.length).put(name).put((byte) kind.ordinal()).putLong(size).putLong(modifiedMillis);
        hasher.update(record.flip());
        return true;
    }
}
