package io.modbackup.core.crypto;

import io.modbackup.api.crypto.MasterKeyProvider;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A master key held in this process (read from a key file or an environment variable): 32 random
 * bytes that wrap the data key with AES-256-GCM. Its {@link #keyId()} is a fingerprint, an HMAC of a
 * fixed label under the key, which names the key without revealing anything about it.
 */
public final class LocalMasterKey implements MasterKeyProvider {
    /** Bytes of a master key. */
    public static final int LENGTH = 32;
    private static final int NONCE = 12;
    private static final int TAG = 16;

    private final SecretKeySpec key;
    private final String keyId;
    private final SecureRandom random = new SecureRandom();

    /** The key {@code material} (32 bytes, copied). */
    public LocalMasterKey(byte[] material) {
        if (material.length != LENGTH) {
            throw new IllegalArgumentException("a master key is " + LENGTH + " bytes, got " + material.length);
        }
        this.key = new SecretKeySpec(material.clone(), "AES");
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(material, "HmacSHA256"));
            byte[] fingerprint = mac.doFinal("modbackup master key fingerprint".getBytes(StandardCharsets.UTF_8));
            this.keyId = "local:" + HexFormat.of().formatHex(fingerprint, 0, 8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks HmacSHA256", e);
        }
    }

    @Override
    public String keyId() {
        return keyId;
    }

    @Override
    public byte[] wrap(byte[] dataKey, byte[] context) {
        byte[] nonce = new byte[NONCE];
        random.nextBytes(nonce);
        try {
            byte[] sealed = cipher(Cipher.ENCRYPT_MODE, nonce, context).doFinal(dataKey);
            return ByteBuffer.allocate(NONCE + sealed.length).put(nonce).put(sealed).array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot wrap the data key: " + e, e);
        }
    }

    @Override
    public Optional<byte[]> unwrap(byte[] wrapped, byte[] context) {
        if (wrapped.length <= NONCE + TAG) {
            return Optional.empty();
        }
        try {
            return Optional.of(cipher(Cipher.DECRYPT_MODE, Arrays.copyOf(wrapped, NONCE), context)
                    .doFinal(wrapped, NONCE, wrapped.length - NONCE));
        } catch (AEADBadTagException e) {
            return Optional.empty();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot unwrap the data key: " + e, e);
        }
    }

    private Cipher cipher(int mode, byte[] nonce, byte[] context) throws GeneralSecurityException {
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(mode, key, new GCMParameterSpec(TAG * 8, nonce));
        cipher.updateAAD(context);
        return cipher;
    }

    @Override
    public String toString() {
        return keyId;
    }
}
