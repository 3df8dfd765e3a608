package io.modbackup.core.gc;

import io.modbackup.core.hash.Hashing;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * What GC knows about the store between runs ({@link io.modbackup.core.store.StoreLayout#GC_STATE_KEY}):
 * the committed backups it has accounted for, and how many references those backups hold to each
 * file-list segment and each chunk. A run reads the manifests of backups committed since, and of the
 * backups it deletes, instead of every manifest of every backup.
 *
 * <p>A segment is counted once per task manifest that lists it; a chunk once per file entry that
 * lists it in a counted segment (however many task manifests share the segment), in a format 1 task
 * manifest, or as a jar. Counts only ever err high when the state is stale (a store changed by hand):
 * GC then keeps garbage, it never deletes what a backup needs; a state that does not match the store
 * is rebuilt from every manifest. Not thread-safe: one GC run owns it.
 *
 * <p>Encoded as: magic, version, generation, the backups (ID, creation time), the segments and the
 * chunks (32-byte hash, count), and a SHA-256 of all that; a state that does not verify is rebuilt.
 */
final class GcState {
    private static final int MAGIC = 0x4D424743; // "MBGC"
    private static final int VERSION = 1;
    private static final HexFormat HEX = HexFormat.of();

    /** Increases with every state a run writes: a run that finds another generation than it started from redoes its work. */
    final long generation;
    /** Accounted committed backups, by ID, with their creation time. */
    final Map<String, Long> backups;
    final Map<String, Integer> segments;
    final Map<String, Integer> chunks;

    private GcState(long generation, Map<String, Long> backups, Map<String, Integer> segments, Map<String, Integer> chunks) {
        this.generation = generation;
        this.backups = backups;
        this.segments = segments;
        this.chunks = chunks;
    }

    /** The state of a store no GC has accounted for yet: every backup is read once. */
    static GcState empty() {
        return new GcState(0, new HashMap<>(), new HashMap<>(), new HashMap<>());
    }

    byte[] encode(long newGeneration) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + backups.size() * 48
                + (segments.size() + chunks.size()) * 36);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            out.writeLong(newGeneration);
            out.writeInt(backups.size());
            for (Map.Entry<String, Long> backup : backups.entrySet()) {
                out.writeUTF(backup.getKey());
                out.writeLong(backup.getValue());
            }
            writeCounts(out, segments);
            writeCounts(out, chunks);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] body = bytes.toByteArray();
        byte[] sum = Hashing.sha256().digest(body);
        byte[] all = Arrays.copyOf(body, body.length + sum.length);
        System.arraycopy(sum, 0, all, body.length, sum.length);
        return all;
    }

    private static void writeCounts(DataOutputStream out, Map<String, Integer> counts) throws IOException {
        out.writeInt(counts.size());
        for (Map.Entry<String, Integer> count : counts.entrySet()) {
            out.write(HEX.parseHex(count.getKey()));
            out.writeInt(count.getValue());
        }
    }

    /**
     * Decodes a stored state.
     *
     * @throws IllegalArgumentException when the bytes are not a state this version wrote, or do not verify
     */
    static GcState decode(byte[] all) {
        if (all.length < 32) {
            throw new IllegalArgumentException("the GC state is truncated (" + all.length + " bytes)");
        }
        byte[] body = Arrays.copyOf(all, all.length - 32);
        MessageDigest digest = Hashing.sha256();
        if (!MessageDigest.isEqual(digest.digest(body), Arrays.copyOfRange(all, all.length - 32, all.length))) {
            throw new IllegalArgumentException("the GC state does not match its checksum");
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(body))) {
            if (in.readInt() != MAGIC) {
                throw new IllegalArgumentException("the GC state is not one");
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw new IllegalArgumentException("the GC state has version " + version + ", this one reads " + VERSION);
            }
            long generation = in.readLong();
            int count = checkedCount(in, 2 + 8, "backups");
            Map<String, Long> backups = new HashMap<>(count * 2);
            for (int i = 0; i < count; i++) {
                backups.put(in.readUTF(), in.readLong());
            }
            Map<String, Integer> segments = readCounts(in);
            Map<String, Integer> chunks = readCounts(in);
            if (in.available() != 0) {
                throw new IllegalArgumentException("the GC state has " + in.available() + " bytes past its end");
            }
            return new GcState(generation, backups, segments, chunks);
        } catch (IOException e) {
            throw new IllegalArgumentException("the GC state is truncated", e);
        }
    }

    /**
     * A count of entries of at least {@code entryBytes} each, refused when the bytes left cannot hold
     * that many: the count sizes a map before its entries are read.
     */
    private static int checkedCount(DataInputStream in, int entryBytes, String what) throws IOException {
        int count = in.readInt();
        if (count < 0 || count > in.available() / entryBytes) {
            throw new IllegalArgumentException("the GC state claims " + count + " " + what + " in " + in.available()
                    + " bytes");
        }
        return count;
    }

    private static Map<String, Integer> readCounts(DataInputStream in) throws IOException {
        int count = checkedCount(in, 32 + 4, "counts");
        Map<String, Integer> counts = new HashMap<>(count * 2);
        byte[] hash = new byte[32];
        for (int i = 0; i < count; i++) {
            in.readFully(hash);
            counts.put(HEX.formatHex(hash), in.readInt());
        }
        return counts;
    }
}
