package io.modbackup.core.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.core.hash.Hashing;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class GcStateTest {
    private static String sha(String text) {
        return Hashing.sha256Hex(text.getBytes(StandardCharsets.UTF_8));
    }

    private static GcState sample() {
        GcState state = GcState.empty();
        state.backups.put("a-0000000001000-00", 1000L);
        state.backups.put("a-0000000002000-01", 2000L);
        state.segments.put(sha("s1"), 3);
        state.chunks.put(sha("c1"), 1);
        state.chunks.put(sha("c2"), 70_000);
        return state;
    }

    @Test
    void encodesAndDecodesEveryCountAndTheGeneration() {
        GcState state = sample();
        GcState back = GcState.decode(state.encode(7));
        assertEquals(7, back.generation);
        assertEquals(state.backups, back.backups);
        assertEquals(state.segments, back.segments);
        assertEquals(state.chunks, back.chunks);
    }

    @Test
    void anyFlippedByteOrTruncationIsRefused() {
        byte[] bytes = sample().encode(1);
        for (int i = 0; i < bytes.length; i++) {
            byte[] flipped = bytes.clone();
            flipped[i] ^= 0x01;
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GcState.decode(flipped));
            assertTrue(e.getMessage().contains("checksum"), e.getMessage());
        }
        byte[] cut = java.util.Arrays.copyOf(bytes, bytes.length - 1);
        assertThrows(IllegalArgumentException.class, () -> GcState.decode(cut));
        assertThrows(IllegalArgumentException.class, () -> GcState.decode(new byte[5]));
    }

    /** The state's bytes with {@code body} re-checksummed, as whoever can write the store can. */
    private static byte[] resealed(byte[] body) {
        byte[] all = java.util.Arrays.copyOf(body, body.length + 32);
        System.arraycopy(io.modbackup.core.hash.Hashing.sha256().digest(body), 0, all, body.length, 32);
        return all;
    }

    @Test
    void aForgedCountIsRefusedBeforeItSizesAMap() {
        byte[] bytes = sample().encode(1);
        byte[] body = java.util.Arrays.copyOf(bytes, bytes.length - 32);
        // magic, version, generation, then the backups' count
        java.nio.ByteBuffer.wrap(body, 16, 4).putInt(Integer.MAX_VALUE);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GcState.decode(resealed(body)));
        assertTrue(e.getMessage().startsWith("the GC state claims 2147483647 backups in "), e.getMessage());
    }

    @Test
    void resealedMutationsDecodeOrAreRefusedWithTheDocumentedException() {
        byte[] bytes = sample().encode(1);
        byte[] body = java.util.Arrays.copyOf(bytes, bytes.length - 32);
        java.util.Random random = new java.util.Random(20261202L);
        for (int i = 0; i < 3000; i++) {
            byte[] mutated = body.clone();
            for (int k = 0; k <= random.nextInt(4); k++) {
                int at = random.nextInt(mutated.length - 4);
                if (random.nextBoolean()) {
                    java.nio.ByteBuffer.wrap(mutated, at, 4).putInt(random.nextBoolean() ? Integer.MAX_VALUE : random.nextInt());
                } else {
                    mutated[at] ^= (byte) (1 << random.nextInt(8));
                }
            }
            byte[] input = resealed(mutated);
            try {
                GcState.decode(input);
            } catch (IllegalArgumentException documented) {
                // refused
            }
        }
    }
}
