package io.modbackup.core.manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.modbackup.api.provider.PageTokens;
import io.modbackup.api.runtime.DepotRef;
import io.modbackup.api.runtime.DepotSpec;
import io.modbackup.api.runtime.FileKind;
import io.modbackup.api.runtime.ModuleDescriptor;
import io.modbackup.api.runtime.PStateSpec;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.api.runtime.TopologyKind;
import io.modbackup.api.runtime.TopologySpec;
import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.hash.Hashing;
import io.modbackup.core.seal.Compression;
import io.modbackup.core.seal.Envelope;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Seeded fuzzing of what the engine reads from a store it does not trust: the module and task
 * manifest codec, the sealed envelope, and page tokens. Each input is a valid one mutated: bytes
 * flipped, cut, repeated or set to extreme lengths; JSON values replaced by extremes and path
 * escapes, then re-checksummed as a forger would. Every outcome must be a value or a documented
 * exception ({@link CorruptBackupException}, {@link IllegalArgumentException}); an out-of-memory
 * (the suite runs in a small heap) or any other exception fails. The seed is fixed, so a failure
 * repeats; the iteration counts keep it to a few seconds.
 */
class UntrustedInputFuzzTest {
    private static final long SEED = 20261202L;
    private static final int ITERATIONS = 3000;
    private static final String SHA = Hashing.sha256Hex(new byte[] {1});
    private static final String ID = "com.example.M-0000019A2B3C4D5E-00";
    private final ManifestCodec codec = new ManifestCodec();
    private final ObjectMapper json = new ObjectMapper();
    private final Random random = new Random(SEED);

    private static ModuleManifest moduleManifest() {
        ModuleDescriptor descriptor = new ModuleDescriptor("com.example.M", 2, List.of(new DepotSpec("*events")),
                List.of(new TopologySpec("counter", TopologyKind.MICROBATCH, List.of(new DepotRef("com.example.M", "*events")))),
                List.of(new PStateSpec("$$counts", "counter")), List.of(), "m.jar", Map.of("a.password", "hunter2"),
                Map.of("backup.period.seconds", "60"), true, new Parallelism(2, 2, 1));
        FileEntry jar = new FileEntry("m.jar", FileKind.IMMUTABLE, 10, 0, SHA, List.of(SHA), null);
        List<TaskRef> tasks = List.of(new TaskRef(0, "backups/m/0", SHA, 1, 10), new TaskRef(1, "backups/m/1", SHA, 1, 10));
        return new ModuleManifest(ManifestCodec.VERSION, ID, "com.example.M", "cluster", 1, 2, 0, 4096, descriptor,
                Map.of("counter", 7L), jar, tasks, new Totals(2, 20, 20, 20, 40L, 2, 0, 0, 5), null);
    }

    private static TaskManifest taskManifest() {
        List<FileEntry> files = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            files.add(new FileEntry("depots/*events/" + i + ".seg", FileKind.APPEND_ONLY, 5000, i, SHA, List.of(SHA, SHA), null));
        }
        files.add(new FileEntry("pstates/counter/CURRENT", FileKind.MUTABLE, 3, 0, SHA, List.of(), "AQID"));
        return new TaskManifest(1, "com.example.M", ID, 0, files, List.of(), Map.of("*events", 10L), Map.of());
    }

    @Test
    void mutatedModuleManifestsDecodeOrAreRefusedAsCorrupt() {
        byte[] valid = codec.seal(moduleManifest()).bytes();
        assertEquals(ID, codec.decodeModule(valid, ID, "com.example.M", "seed").backupId());
        int refused = 0;
        for (int i = 0; i < ITERATIONS; i++) {
            byte[] input = i % 2 == 0 ? mutateBytes(valid) : forgeModule(valid);
            if (input == null) {
                continue;
            }
            refused += expectDocumented(() -> codec.decodeModule(input, ID, "com.example.M", "fuzzed manifest"));
        }
        assertTrue(refused > ITERATIONS / 2, "most mutations are refused: " + refused);
    }

    @Test
    void mutatedTaskManifestsDecodeOrAreRefusedAsCorrupt() {
        byte[] valid = codec.encode(taskManifest());
        assertEquals(6, codec.decodeTask(valid, Hashing.sha256Hex(valid), 4096, "seed").files().size());
        for (int i = 0; i < ITERATIONS; i++) {
            byte[] input = i % 2 == 0 ? mutateBytes(valid) : forgeJson(valid);
            if (input == null) {
                continue;
            }
            // The hash the module manifest would carry for it: a forger re-seals the chain.
            expectDocumented(() -> codec.decodeTask(input, Hashing.sha256Hex(input), 4096, "fuzzed task manifest"));
        }
    }

    @Test
    void mutatedSealedObjectsOpenOrAreRefusedAsCorruptWithAndWithoutAKey() {
        byte[] content = "a chunk's content that compresses, compresses, compresses".repeat(40).getBytes(StandardCharsets.UTF_8);
        byte[] key = new byte[32];
        random.nextBytes(key);
        for (Envelope envelope : List.of(Envelope.of(null, Compression.parse("zstd")), Envelope.of(key, Compression.parse("zstd")))) {
            byte[] valid = envelope.seal("blobs/ab/x", content, 0, content.length, true);
            assertEquals(content.length, envelope.open("blobs/ab/x", valid).length);
            for (int i = 0; i < ITERATIONS; i++) {
                byte[] input = mutateBytes(valid);
                expectDocumented(() -> envelope.open("blobs/ab/x", input));
            }
            // A header claiming the most content there is, over a body of a few bytes: refused, nothing allocated.
            byte[] forged = valid.clone();
            java.nio.ByteBuffer.wrap(forged, 10, 4).putInt(Integer.MAX_VALUE); // the content length, after magic, version, flags
            expectDocumented(() -> envelope.open("blobs/ab/x", forged));
        }
    }

    @Test
    void mutatedPageTokensDecodeOrAreRefusedAsInvalid() {
        String valid = PageTokens.encode("backups/m/", "backups/m/0042");
        assertEquals("backups/m/0042", PageTokens.decode(valid, "backups/m/"));
        for (int i = 0; i < ITERATIONS; i++) {
            byte[] raw = mutateBytes(Base64.getUrlDecoder().decode(valid));
            String token = i % 3 == 0 ? new String(mutateBytes(valid.getBytes(StandardCharsets.US_ASCII)), StandardCharsets.ISO_8859_1)
                    : Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
            expectDocumented(() -> PageTokens.decode(token, "backups/m/"));
        }
    }

    // ------------------------------------------------------------------ mutations

    /** 1 for a documented refusal, 0 for a value; fails on anything else. */
    private static int expectDocumented(Runnable call) {
        try {
            call.run();
            return 0;
        } catch (CorruptBackupException | IllegalArgumentException documented) {
            return 1;
        } catch (RuntimeException | OutOfMemoryError | StackOverflowError e) {
            fail("an undocumented failure: " + e, e);
            return 0;
        }
    }

    private byte[] mutateBytes(byte[] valid) {
        byte[] out = valid.clone();
        switch (random.nextInt(6)) {
            case 0 -> out[random.nextInt(out.length)] ^= (byte) (1 << random.nextInt(8));
            case 1 -> out = java.util.Arrays.copyOf(out, random.nextInt(out.length));
            case 2 -> {
                int at = random.nextInt(Math.max(1, out.length - 4));
                java.nio.ByteBuffer.wrap(out, at, 4).putInt(random.nextBoolean() ? Integer.MAX_VALUE : Integer.MIN_VALUE);
            }
            case 3 -> {
                byte[] longer = new byte[out.length * 2];
                System.arraycopy(out, 0, longer, 0, out.length);
                System.arraycopy(out, 0, longer, out.length, out.length);
                out = longer;
            }
            case 4 -> random.nextBytes(out);
            default -> {
                for (int k = 0; k < 8; k++) {
                    out[random.nextInt(out.length)] = (byte) random.nextInt(256);
                }
            }
        }
        return out;
    }

    /** A module manifest with one JSON value replaced, re-checksummed by the codec as a forger would. */
    private byte[] forgeModule(byte[] valid) {
        byte[] changed = forgeJson(valid);
        if (changed == null) {
            return null;
        }
        try {
            ModuleManifest parsed = json.readValue(changed, ModuleManifest.class);
            return codec.seal(new ModuleManifest(parsed.version(), parsed.backupId(), parsed.module(), parsed.clusterId(),
                    parsed.createdMillis(), parsed.completedMillis(), parsed.restoreEpoch(), parsed.chunkSize(),
                    parsed.descriptor(), parsed.commitIds(), parsed.jar(), parsed.tasks(), parsed.totals(), null)).bytes();
        } catch (java.io.IOException | RuntimeException notAManifest) {
            return changed; // the records refused it; the codec must refuse it too
        }
    }

    /** {@code valid} JSON with one value, chosen at random, replaced by an extreme or an escape. */
    private byte[] forgeJson(byte[] valid) {
        try {
            JsonNode tree = json.readTree(valid);
            List<Consumer<JsonNode>> setters = new ArrayList<>();
            collect(tree, setters);
            if (setters.isEmpty()) {
                return null;
            }
            setters.get(random.nextInt(setters.size())).accept(extreme());
            return json.writeValueAsBytes(tree);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private JsonNode extreme() {
        return switch (random.nextInt(9)) {
            case 0 -> IntNode.valueOf(Integer.MAX_VALUE);
            case 1 -> IntNode.valueOf(-1);
            case 2 -> LongNode.valueOf(Long.MAX_VALUE);
            case 3 -> TextNode.valueOf("../../modbackup-evil");
            case 4 -> TextNode.valueOf("/tmp/modbackup-evil");
            case 5 -> TextNode.valueOf("");
            case 6 -> TextNode.valueOf("x".repeat(100_000));
            case 7 -> json.createArrayNode();
            default -> json.nullNode();
        };
    }

    private static void collect(JsonNode node, List<Consumer<JsonNode>> setters) {
        if (node instanceof ObjectNode object) {
            for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                setters.add(value -> object.set(name, value));
                collect(object.get(name), setters);
            }
        } else if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                int index = i;
                setters.add(value -> array.set(index, value));
                collect(array.get(i), setters);
            }
        }
    }
}
