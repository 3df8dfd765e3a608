package io.modbackup.core.hash;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * How a store names content: chunks, whole files and inlined files are identified by this hash.
 * An unencrypted store uses plain SHA-256; an encrypted one HMAC-SHA256 under a key derived from its
 * data key, so that a name reveals nothing about the content to anyone without the key (no one can
 * confirm a guess of a file by hashing it). Both are 32 bytes, written as 64 lower-case hex digits.
 *
 * <p>Immutable and thread-safe; each {@link Hasher} is for one thread.
 */
public final class ContentHash {
    /** Plain SHA-256: the names of every unencrypted store. */
    public static final ContentHash SHA256 = new ContentHash(null);
    private static final String HMAC = "HmacSHA256";

    private final SecretKeySpec key;

    private ContentHash(SecretKeySpec key) {
        this.key = key;
    }

    /** HMAC-SHA256 under {@code key} (32 bytes). */
    public static ContentHash keyed(byte[] key) {
        if (key.length != 32) {
            throw new IllegalArgumentException("a naming key is 32 bytes, got " + key.length);
        }
        return new ContentHash(new SecretKeySpec(key, HMAC));
    }

    /** Whether names are keyed (an encrypted store). */
    public boolean isKeyed() {
        return key != null;
    }

    /** A hasher of one piece of content. */
    public Hasher start() {
        if (key == null) {
            return new Hasher(Hashing.sha256(), null);
        }
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(key);
            return new Hasher(null, mac);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks " + HMAC, e);
        }
    }

    /** The name of {@code data}, in hex. */
    public String of(byte[] data) {
        return of(data, 0, data.length);
    }

    /** The name of the {@code length} bytes of {@code data} from {@code offset}, in hex. */
    public String of(byte[] data, int offset, int length) {
        Hasher hasher = start();
        hasher.update(data, offset, length);
        return hasher.hex();
    }

    /** Hashes one piece of content fed in order; not thread-safe. */
    public static final class Hasher {
        private final MessageDigest digest;
        private final Mac mac;

        private Hasher(MessageDigest digest, Mac mac) {
            this.digest = digest;
            this.mac = mac;
        }

        /** Feeds the remaining bytes of {@code buffer}, consuming them. */
        public void update(ByteBuffer buffer) {
            if (digest != null) {
                digest.update(buffer);
            } else {
                mac.update(buffer);
            }
        }

        /** Feeds {@code length} bytes of {@code bytes} from {@code offset}. */
        public void update(byte[] bytes, int offset, int length) {
            if (digest != null) {
                digest.update(bytes, offset, length);
            } else {
                mac.update(bytes, offset, length);
            }
        }

        /** The name of what was fed, in lower-case hex; the hasher is spent. */
        public String hex() {
            return HexFormat.of().formatHex(digest != null ? digest.digest() : mac.doFinal());
        }
    }
}
