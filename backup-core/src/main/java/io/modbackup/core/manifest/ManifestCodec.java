package io.modbackup.core.manifest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.modbackup.api.runtime.ModuleDescriptor;
import io.modbackup.api.runtime.PathSegment;
import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.hash.Hashing;
import java.io.IOException;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads and writes manifests as versioned JSON, and refuses any manifest that is damaged, tampered
 * with, from an unknown version, or that would write outside a task's directory.
 */
public final class ManifestCodec {
    /**
     * The manifest format version this code writes: 3 may place a small file in a pack ({@link PackSlice}),
     * which an older reader must refuse by version rather than restore as a file of its own; 2 stores a task's
     * file list in shared segments ({@link FileSegment}); 1 (files in the task manifest). All are read.
     */
    public static final int VERSION = 3;
    /** The oldest format version this code reads. */
    public static final int OLDEST_READABLE_VERSION = 1;
    /** Largest file a manifest may describe (1 TiB): anything larger is taken as tampering. */
    public static final long MAX_FILE_SIZE = 1L << 40;
    /** Most files one task manifest may list. */
    public static final int MAX_FILES = 1_000_000;
    /** The chunk sizes a backup may have: a reader holds one chunk whole while it opens it. */
    public static final int MIN_CHUNK_SIZE = 1024;
    public static final int MAX_CHUNK_SIZE = 128 * 1024 * 1024;

    private final ObjectMapper mapper = JsonMapper.builder()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    /** The bytes of a task manifest. */
    public byte[] encode(TaskManifest manifest) {
        return write(manifest);
    }

    /** The bytes of a segment of file entries; their SHA-256 names the segment. */
    public byte[] encode(FileSegment segment) {
        return write(segment);
    }

    /**
     * Parses a segment whose bytes must hash to {@code ref}'s SHA-256 and hold {@code ref}'s number of
     * files, and validates every entry as {@link #decodeTask} does.
     *
     * @throws CorruptBackupException naming {@code what} and the problem
     */
    public List<FileEntry> decodeSegment(byte[] bytes, SegmentRef ref, int chunkSize, String what) {
        String actual = Hashing.sha256Hex(bytes);
        if (!actual.equals(ref.sha256())) {
            throw new CorruptBackupException(what + " does not match its checksum in the task manifest (expected "
                    + ref.sha256() + ", found " + actual + "): it was modified or damaged");
        }
        FileSegment segment = read(bytes, FileSegment.class, what);
        checkVersion(segment.version(), what);
        if (segment.files().size() != ref.files()) {
            throw new CorruptBackupException(what + " lists " + segment.files().size() + " files, its task manifest says "
                    + ref.files());
        }
        String lastPack = null;
        for (FileEntry file : segment.files()) {
            if (file.pack() != null && file.chunks().size() == 1 && file.chunks().get(0).equals(lastPack)) {
                validateFile(file, chunkSize, what, true); // the pack's name was checked with the entry before
            } else {
                validateFile(file, chunkSize, what);
            }
            lastPack = file.pack() != null && !file.chunks().isEmpty() ? file.chunks().get(0) : null;
        }
        return segment.files();
    }

    /**
     * Checks a task's whole file list, read from its segments: no path twice, at most
     * {@link #MAX_FILES}, in path order.
     *
     * @throws CorruptBackupException naming {@code what} and the problem
     */
    public static void validateFileList(List<FileEntry> files, String what) {
        if (files.size() > MAX_FILES) {
            throw new CorruptBackupException(what + " lists " + files.size() + " files, more than " + MAX_FILES);
        }
        for (int i = 1; i < files.size(); i++) {
            int order = files.get(i - 1).path().compareTo(files.get(i).path());
            if (order == 0) {
                throw new CorruptBackupException(what + " lists path " + files.get(i).path() + " twice");
            }
            if (order > 0) {
                throw new CorruptBackupException(what + " lists its files out of path order at " + files.get(i).path());
            }
        }
    }

    /** The bytes of a module manifest, with its checksum computed and set. */
    public byte[] encode(ModuleManifest manifest) {
        return seal(manifest).bytes();
    }

    /** The manifest with its checksum computed and set, and the bytes that store it. */
    public Sealed seal(ModuleManifest manifest) {
        ModuleManifest sealed = manifest.withChecksum(checksumOf(manifest));
        return new Sealed(sealed, write(sealed));
    }

    /** A module manifest with its checksum set, and its stored form. */
    public record Sealed(ModuleManifest manifest, byte[] bytes) {
    }

    /**
     * Parses a module manifest and checks its version and checksum, that it is the manifest of
     * {@code expectedBackupId} of {@code expectedModule} (a manifest copied under another backup's key is
     * refused), and that every name a restore makes a path of (module, jar, depots, topologies,
     * PStates) is a single safe path segment.
     *
     * @throws CorruptBackupException naming {@code what} when it is not an intact manifest of this version
     *     and this backup
     */
    public ModuleManifest decodeModule(byte[] bytes, String expectedBackupId, String expectedModule, String what) {
        ModuleManifest manifest = read(bytes, ModuleManifest.class, what);
        checkVersion(manifest.version(), what);
        if (manifest.checksum() == null || !manifest.checksum().equals(checksumOf(manifest))) {
            throw new CorruptBackupException(what + " does not match its checksum: it was modified or damaged");
        }
        // The checksum is no authentication in an unencrypted store: whoever can write the bucket can write a
        // matching one. So nothing in it may steer a restore elsewhere than the backup asked for.
        if (!expectedBackupId.equals(manifest.backupId()) || !expectedModule.equals(manifest.module())) {
            throw new CorruptBackupException(what + " says it is backup " + manifest.backupId() + " of module "
                    + manifest.module() + ": it was moved or forged");
        }
        if (manifest.descriptor() != null && !expectedModule.equals(manifest.descriptor().name())) {
            throw new CorruptBackupException(what + " describes module " + manifest.descriptor().name() + ", not "
                    + expectedModule + ": it was forged");
        }
        if (manifest.chunkSize() < MIN_CHUNK_SIZE || manifest.chunkSize() > MAX_CHUNK_SIZE) {
            throw new CorruptBackupException(what + " has chunk size " + manifest.chunkSize() + ", outside ["
                    + MIN_CHUNK_SIZE + ", " + MAX_CHUNK_SIZE + "] bytes: it was forged or damaged");
        }
        if (manifest.descriptor() == null || manifest.tasks().size() != manifest.descriptor().taskCount()) {
            throw new CorruptBackupException(what + " lists " + manifest.tasks().size() + " task manifests but the module has "
                    + (manifest.descriptor() == null ? "no descriptor" : manifest.descriptor().taskCount() + " tasks"));
        }
        for (int i = 0; i < manifest.tasks().size(); i++) {
            if (manifest.tasks().get(i).task() != i) {
                throw new CorruptBackupException(what + " lists task manifests out of order at position " + i);
            }
        }
        if (manifest.jar() != null) {
            validateFile(manifest.jar(), manifest.chunkSize(), what + " (jar)");
            requireSegment(manifest.jar().path(), "jar file name", what);
        }
        validateNames(manifest.descriptor(), what);
        return manifest;
    }

    /** Every name of the descriptor that a runtime makes a path of is a single safe segment. */
    private static void validateNames(ModuleDescriptor descriptor, String what) {
        requireSegment(descriptor.name(), "module name", what);
        if (descriptor.jarName() != null) {
            requireSegment(descriptor.jarName(), "jar name", what);
        }
        descriptor.depots().forEach(d -> requireSegment(d.name(), "depot name", what));
        descriptor.topologies().forEach(t -> requireSegment(t.name(), "topology name", what));
        descriptor.pstates().forEach(p -> {
            requireSegment(p.name(), "PState name", what);
            requireSegment(p.topology(), "PState topology", what);
        });
    }

    private static void requireSegment(String name, String kind, String what) {
        try {
            PathSegment.check(kind, name);
        } catch (IllegalArgumentException e) {
            throw new CorruptBackupException(what + " has " + e.getMessage());
        }
    }

    /**
     * Parses a task manifest whose bytes must hash to {@code expectedSha256}, and validates every
     * entry: relative paths inside the task directory, no duplicates, sane sizes, chunk lists that fit
     * the sizes.
     *
     * @throws CorruptBackupException naming {@code what} and the problem
     */
    public TaskManifest decodeTask(byte[] bytes, String expectedSha256, int chunkSize, String what) {
        String actual = Hashing.sha256Hex(bytes);
        if (!actual.equals(expectedSha256)) {
            throw new CorruptBackupException(what + " does not match its checksum in the module manifest "
                    + "(expected " + expectedSha256 + ", found " + actual + "): it was modified or damaged");
        }
        TaskManifest manifest = read(bytes, TaskManifest.class, what);
        checkVersion(manifest.version(), what);
        if (!manifest.segments().isEmpty() && (manifest.version() < 2 || !manifest.files().isEmpty())) {
            throw new CorruptBackupException(what + " lists files both itself and in segments, or segments in format version "
                    + manifest.version());
        }
        if (manifest.segments().size() > MAX_FILES) {
            throw new CorruptBackupException(what + " lists " + manifest.segments().size() + " segments, more than " + MAX_FILES);
        }
        for (SegmentRef segment : manifest.segments()) {
            if (!Hashing.isSha256Hex(segment.sha256()) || segment.files() < 0 || segment.bytes() < 0
                    || (segment.stamp() != null && (!Hashing.isSha256Hex(segment.stamp()) || segment.chunks() == null
                    || segment.chunks() < 0))) {
                throw new CorruptBackupException(what + " lists an invalid segment reference");
            }
        }
        if (manifest.files().size() > MAX_FILES) {
            throw new CorruptBackupException(what + " lists " + manifest.files().size() + " files, more than " + MAX_FILES);
        }
        Set<String> paths = new HashSet<>();
        for (FileEntry file : manifest.files()) {
            validateFile(file, chunkSize, what);
            if (!paths.add(file.path())) {
                throw new CorruptBackupException(what + " lists path " + file.path() + " twice");
            }
        }
        return manifest;
    }

    /**
     * Refuses a path that could write outside a task directory: empty, absolute, with a backslash or
     * a drive letter, with {@code .} or {@code ..} or empty segments, or with control characters.
     */
    public static void validateRelativePath(String path, String what) {
        if (path == null || path.isEmpty()) {
            throw new CorruptBackupException(what + " has a file with an empty path");
        }
        if (path.startsWith("/") || path.contains("\\") || path.contains(":")) {
            throw new CorruptBackupException(what + " has file path '" + path + "' that is absolute or not a '/'-separated relative path");
        }
        // One pass over the characters (a split and a stream per path showed in no-change backups' profiles).
        boolean control = false;
        int start = 0;
        for (int i = 0; i <= path.length(); i++) {
            if (i == path.length() || path.charAt(i) == '/') {
                int length = i - start;
                if (length == 0 || (length <= 2 && path.startsWith(length == 1 ? "." : "..", start))) {
                    throw new CorruptBackupException(what + " has file path '" + path + "' that leaves or escapes the task directory");
                }
                start = i + 1;
            } else {
                char c = path.charAt(i);
                control |= c < 0x20 || c == 0x7f;
            }
        }
        if (control) {
            throw new CorruptBackupException(what + " has a file path with control characters");
        }
    }

    private static void validateFile(FileEntry file, int chunkSize, String what) {
        validateFile(file, chunkSize, what, false);
    }

    private static void validateFile(FileEntry file, int chunkSize, String what, boolean packNameChecked) {
        validateRelativePath(file.path(), what);
        if (file.kind() == null) {
            throw new CorruptBackupException(what + ": file " + file.path() + " has no kind");
        }
        if (file.size() < 0 || file.size() > MAX_FILE_SIZE) {
            throw new CorruptBackupException(what + ": file " + file.path() + " has absurd size " + file.size());
        }
        if (!Hashing.isSha256Hex(file.sha256())) {
            throw new CorruptBackupException(what + ": file " + file.path() + " has no valid SHA-256");
        }
        if (file.pack() != null) {
            validatePacked(file, chunkSize, what, packNameChecked);
            return;
        }
        if (file.inline() != null) {
            byte[] data;
            try {
                data = Base64.getDecoder().decode(file.inline());
            } catch (IllegalArgumentException e) {
                throw new CorruptBackupException(what + ": inlined file " + file.path() + " is not valid base64");
            }
            if (data.length != file.size() || !file.chunks().isEmpty()) {
                throw new CorruptBackupException(what + ": inlined file " + file.path() + " does not have its stated size");
            }
            return;
        }
        if (chunkSize <= 0) {
            throw new CorruptBackupException(what + ": chunk size " + chunkSize + " is invalid");
        }
        long expectedChunks = (file.size() + chunkSize - 1) / chunkSize;
        if (file.chunks().size() != expectedChunks) {
            throw new CorruptBackupException(what + ": file " + file.path() + " of " + file.size() + " bytes lists "
                    + file.chunks().size() + " chunks, expected " + expectedChunks);
        }
        for (String chunk : file.chunks()) {
            // A one-chunk file's chunk is its own hash, checked above: equals is cheaper than a second scan.
            if (!chunk.equals(file.sha256()) && !Hashing.isSha256Hex(chunk)) {
                throw new CorruptBackupException(what + ": file " + file.path() + " lists an invalid chunk hash");
            }
        }
    }

    /** A packed file: one chunk, the pack, no longer than a chunk, the file's bytes inside it. */
    private static void validatePacked(FileEntry file, int chunkSize, String what, boolean nameChecked) {
        PackSlice slice = file.pack();
        if (file.inline() != null || file.chunks().size() != 1 || (!nameChecked && !Hashing.isSha256Hex(file.chunks().get(0)))) {
            throw new CorruptBackupException(what + ": packed file " + file.path() + " does not name exactly one pack");
        }
        if (chunkSize <= 0 || slice.packSize() < 1 || slice.packSize() > chunkSize || slice.offset() < 0
                || file.size() < 1 || slice.offset() > slice.packSize() - file.size()) {
            throw new CorruptBackupException(what + ": packed file " + file.path() + " of " + file.size()
                    + " bytes at offset " + slice.offset() + " does not fit its pack of " + slice.packSize()
                    + " bytes (chunk size " + chunkSize + ")");
        }
    }

    private static void checkVersion(int version, String what) {
        if (version < OLDEST_READABLE_VERSION || version > VERSION) {
            throw new CorruptBackupException(what + " has format version " + version + " but this modbackup reads versions "
                    + OLDEST_READABLE_VERSION + " to " + VERSION + "; use the modbackup release that wrote it");
        }
    }

    private String checksumOf(ModuleManifest manifest) {
        return Hashing.sha256Hex(write(manifest.withChecksum(null)));
    }

    private byte[] write(Object value) {
        try {
            return mapper.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + value.getClass().getSimpleName(), e);
        }
    }

    private <T> T read(byte[] bytes, Class<T> type, String what) {
        try {
            T value = mapper.readValue(bytes, type);
            if (value == null) {
                throw new CorruptBackupException(what + " is empty");
            }
            return value;
        } catch (IOException e) {
            String reason = e instanceof JsonProcessingException json ? json.getOriginalMessage() : e.getMessage();
            throw new CorruptBackupException(what + " is not a valid manifest: " + reason, e);
        } catch (RuntimeException e) {
            if (e instanceof CorruptBackupException) {
                throw e;
            }
            throw new CorruptBackupException(what + " is not a valid manifest: " + e.getMessage(), e);
        }
    }

}
