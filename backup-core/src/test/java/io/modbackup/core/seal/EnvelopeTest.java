package io.modbackup.core.seal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class EnvelopeTest {
    /**
     * Sealing feeds the cipher in slices (for the JIT's sake); the stored bytes must stay exactly those of
     * one AES-GCM pass over the body, with the header and the object's key as associated data, so that
     * objects sealed before and after read alike. Lengths around the slice and the 16-byte block.
     */
    @Test
    void anEncryptedObjectIsOneGcmPassOverItsBodyWhateverItsLength() throws Exception {
        byte[] key = new byte[32];
        new Random(3).nextBytes(key);
        Envelope envelope = Envelope.of(key, Compression.NONE);
        int slice = Envelope.ENCRYPT_SLICE;
        for (int length : new int[] {1, 15, 16, 17, slice - 1, slice, slice + 1, 3 * slice + 5, (1 << 20) + 3}) {
            byte[] content = new byte[length + 7];
            new Random(length).nextBytes(content);
            String objectKey = "blobs/ab/" + length;
            byte[] sealed = envelope.seal(objectKey, content, 7, length, false);
            assertEquals(Envelope.HEADER + length + Envelope.ENCRYPTION_OVERHEAD, sealed.length, "length " + length);

            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128,
                    Arrays.copyOfRange(sealed, Envelope.HEADER, Envelope.HEADER + 12)));
            gcm.updateAAD(sealed, 0, Envelope.HEADER);
            gcm.updateAAD(objectKey.getBytes(StandardCharsets.UTF_8));
            byte[] plain = gcm.doFinal(sealed, Envelope.HEADER + 12, sealed.length - Envelope.HEADER - 12);
            assertArrayEquals(Arrays.copyOfRange(content, 7, 7 + length), plain, "length " + length);

            Cipher again = Cipher.getInstance("AES/GCM/NoPadding");
            again.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128,
                    Arrays.copyOfRange(sealed, Envelope.HEADER, Envelope.HEADER + 12)));
            again.updateAAD(sealed, 0, Envelope.HEADER);
            again.updateAAD(objectKey.getBytes(StandardCharsets.UTF_8));
            assertArrayEquals(again.doFinal(content, 7, length),
                    Arrays.copyOfRange(sealed, Envelope.HEADER + 12, sealed.length), "one doFinal's bytes, length " + length);
            assertArrayEquals(Arrays.copyOfRange(content, 7, 7 + length), envelope.open(objectKey, sealed), "length " + length);
        }
    }
}
