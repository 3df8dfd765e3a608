package io.modbackup.core.seal;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdException;
import com.github.luben.zstd.ZstdInputStream;
import io.modbackup.core.error.CorruptBackupException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The form of a stored object that is compressed or encrypted (a sealed object), and its codec:
 *
 * <pre>
 * magic      8 bytes  0x89 'M' 'B' 'K' '\r' '\n' 0x1A '\n'  (never the start of JSON; unlikely anywhere else)
 * version    1 byte   1
 * flags      1 byte   bit 0: the body is zstd-compressed; bit 1: the body is AES-256-GCM-encrypted
 * plain      4 bytes  the content's length
 * body       4 bytes  the body's length before encryption
 * nonce     12 bytes  (encrypted only) random per object
 * body               the content, compressed or not, encrypted or not
 * tag       16 bytes  (encrypted only) GCM's tag over the header, the object's key and the body
 * </pre>
 *
 * The object's key is authenticated with it, so an encrypted object moved or copied to another key
 * (one backup's manifest put in place of another's, one chunk in place of another) fails to open.
 * An unencrypted store keeps what compression does not shrink as the plain bytes, exactly as stores
 * were written before this form existed, unless they begin with the magic; so a reader meets both
 * forms and tells them apart by the magic.
 *
 * <p>Immutable and thread-safe.
 */
public final class Envelope {
    static final byte[] MAGIC = {(byte) 0x89, 'M', 'B', 'K', '\r', '\n', 0x1A, '\n'};
    static final int VERSION = 1;
    static final int ZSTD = 1;
    static final int AES_GCM = 2;
    /** Bytes of the header, magic to body length. */
    public static final int HEADER = MAGIC.length + 10;
    private static final int NONCE = 12;
    private static final int TAG = 16;
    /** What encryption adds to an object: the nonce and the tag. */
    public static final int ENCRYPTION_OVERHEAD = NONCE + TAG;
    private static final String CIPHER = "AES/GCM/NoPadding";
    /** Bytes given to the cipher at a time when sealing (see {@link #seal}). */
    static final int ENCRYPT_SLICE = 4096;
    /** The most a sample may keep of its size for its content to be compressed. */
    static final double TRY_RATIO = 0.7;
    /**
     * How much of a sample is compressed to decide: 4 KiB decides as 16 KiB does on the data measured
     * (random bytes in base64: 0.761 against 0.753; JSON far below the bar either way) in 10 µs, not 26.
     */
    static final int PROBE_BYTES = 4 * 1024;

    private final SecretKeySpec key;
    private final Compression compression;
    private final SecureRandom random;
    private final ThreadLocal<Probe> probes;

    /** An envelope that compresses with {@code compression} and encrypts with {@code aesKey} (32 bytes), or not when null. */
    public static Envelope of(byte[] aesKey, Compression compression) {
        return new Envelope(aesKey, compression);
    }

    private Envelope(byte[] aesKey, Compression compression) {
        this.key = aesKey == null ? null : new SecretKeySpec(aesKey, "AES");
        this.compression = compression;
        this.random = aesKey == null ? null : new SecureRandom();
        this.probes = ThreadLocal.withInitial(() -> new Probe(compression.level()));
    }

    /** Whether objects are encrypted. */
    public boolean encrypts() {
        return key != null;
    }

    /** Whether {@code bytes} (from {@code offset}, {@code length} of them) begin with the magic. */
    public static boolean startsWithMagic(byte[] bytes, int offset, int length) {
        return length >= MAGIC.length && Arrays.equals(bytes, offset, offset + MAGIC.length, MAGIC, 0, MAGIC.length);
    }

    /**
     * Whether content that begins with {@code sample} is worth compressing: the sample shrinks to at
     * most {@value #TRY_RATIO} of its size. Tried on a sample so that data not worth it costs one small
     * attempt, not a whole chunk's. The bar is set above what entropy coding alone gains on random
     * bytes written in base64 (0.75), as borg's {@code auto} mode skips data its LZ4 probe cannot
     * shrink: compressing such data costs a copy through memory and a core's time per 1.5 GB for a
     * quarter of its size, and keeps it from the provider's kernel-side copy.
     */
    public boolean worthCompressing(byte[] sample, int length) {
        if (!compression.enabled() || length == 0) {
            return false;
        }
        int tried = Math.min(length, PROBE_BYTES);
        Probe probe = probes.get();
        byte[] out = probe.output(tried);
        long n;
        try {
            n = probe.context.compressByteArray(out, 0, out.length, sample, 0, tried);
        } catch (ZstdException e) {
            return false;
        }
        return n >= 0 && n <= tried * TRY_RATIO;
    }

    /**
     * A thread's zstd context and output buffer for {@link #worthCompressing}, kept between probes: making a
     * context per probe (its tables allocated and cleared) cost more than compressing a 16 KiB sample.
     */
    private static final class Probe {
        final ZstdCompressCtx context;
        byte[] output = new byte[0];

        Probe(int level) {
            context = new ZstdCompressCtx().setLevel(level);
        }

        byte[] output(int length) {
            int bound = (int) Zstd.compressBound(length);
            if (output.length < bound) {
                output = new byte[bound];
            }
            return output;
        }
    }

    private long compress(byte[] out, byte[] in, int offset, int length) {
        try {
            long n = Zstd.compressByteArray(out, 0, out.length, in, offset, length, compression.level());
            return Zstd.isError(n) ? -1 : n;
        } catch (ZstdException e) {
            return -1;
        }
    }

    /**
     * The bytes to store for {@code length} bytes of {@code content} from {@code offset} under
     * {@code objectKey}: compressed when that saves a sixteenth (and {@code tryCompressing}), encrypted
     * when this envelope encrypts; the content itself when neither applies and it cannot be mistaken
     * for a sealed object.
     */
    public byte[] seal(String objectKey, byte[] content, int offset, int length, boolean tryCompressing) {
        byte[] body = content;
        int bodyOffset = offset;
        int bodyLength = length;
        int flags = 0;
        if (tryCompressing && compression.enabled() && length > 0) {
            byte[] compressed = new byte[(int) Zstd.compressBound(length)];
            long n = compress(compressed, content, offset, length);
            if (n >= 0 && n <= length - length / 16) {
                body = compressed;
                bodyOffset = 0;
                bodyLength = (int) n;
                flags |= ZSTD;
            }
        }
        if (key == null && flags == 0 && !startsWithMagic(content, offset, length)) {
            return offset == 0 && length == content.length ? content : Arrays.copyOfRange(content, offset, offset + length);
        }
        if (key != null) {
            flags |= AES_GCM;
        }
        ByteBuffer header = ByteBuffer.allocate(HEADER).put(MAGIC).put((byte) VERSION).put((byte) flags).putInt(length)
                .putInt(bodyLength);
        if (key == null) {
            byte[] out = new byte[HEADER + bodyLength];
            System.arraycopy(header.array(), 0, out, 0, HEADER);
            System.arraycopy(body, bodyOffset, out, HEADER, bodyLength);
            return out;
        }
        byte[] out = new byte[HEADER + NONCE + bodyLength + TAG];
        System.arraycopy(header.array(), 0, out, 0, HEADER);
        byte[] nonce = new byte[NONCE];
        random.nextBytes(nonce);
        System.arraycopy(nonce, 0, out, HEADER, NONCE);
        try {
            Cipher cipher = cipher(Cipher.ENCRYPT_MODE, nonce, out, objectKey);
            // In slices: the same bytes as one doFinal, but the JDK's AES-GCM reaches its compiled (AES-NI,
            // CLMUL) code only through methods called often, and one call per 8 MiB chunk calls them too
            // seldom: a fresh process sealed 8 MiB chunks at 52 MB/s a thread, 100 in a row, against 2.5 GB/s.
            int written = HEADER + NONCE;
            for (int at = 0; at < bodyLength; at += ENCRYPT_SLICE) {
                written += cipher.update(body, bodyOffset + at, Math.min(ENCRYPT_SLICE, bodyLength - at), out, written);
            }
            cipher.doFinal(out, written);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot encrypt " + objectKey + ": " + e, e);
        }
        return out;
    }

    private Cipher cipher(int mode, byte[] nonce, byte[] header, String objectKey) throws GeneralSecurityException {
        Cipher cipher = Cipher.getInstance(CIPHER);
        cipher.init(mode, key, new GCMParameterSpec(TAG * 8, nonce));
        cipher.updateAAD(header, 0, HEADER);
        cipher.updateAAD(objectKey.getBytes(StandardCharsets.UTF_8));
        return cipher;
    }

    /** The most content a sealed object holds; more than the largest chunk size the engine accepts. */
    public static final int MAX_CONTENT = 256 << 20;

    /**
     * The stored size of a sealed object whose header is {@code header}, or -1 when it is not one (no
     * magic, an unknown version or flags, negative lengths, or more than {@link #MAX_CONTENT} of content).
     */
    public static long storedSize(byte[] header) {
        if (header.length < HEADER || !startsWithMagic(header, 0, header.length) || header[MAGIC.length] != VERSION
                || (header[MAGIC.length + 1] & ~(ZSTD | AES_GCM)) != 0) {
            return -1;
        }
        ByteBuffer b = ByteBuffer.wrap(header, MAGIC.length + 2, 8);
        int plain = b.getInt();
        int body = b.getInt();
        if (plain < 0 || body < 0 || plain > MAX_CONTENT || body > Zstd.compressBound(MAX_CONTENT)) {
            return -1;
        }
        return HEADER + (long) body + ((header[MAGIC.length + 1] & AES_GCM) != 0 ? ENCRYPTION_OVERHEAD : 0);
    }

    /** The content length a sealed object's header records. */
    public static int plainSize(byte[] header) {
        return ByteBuffer.wrap(header, MAGIC.length + 2, 4).getInt();
    }

    /**
     * The content of the sealed object {@code stored} under {@code objectKey}.
     *
     * @throws CorruptBackupException when it is malformed, fails authentication, is not encrypted
     *     though this envelope encrypts (or the reverse), or does not decompress to its recorded length
     */
    public byte[] open(String objectKey, byte[] stored) {
        long size = storedSize(stored);
        if (size < 0) {
            throw new CorruptBackupException(objectKey + " is damaged: its header is not that of a sealed object");
        }
        if (size != stored.length) {
            throw new CorruptBackupException(objectKey + " is damaged: the store holds " + stored.length
                    + " bytes, its header says " + size);
        }
        int flags = stored[MAGIC.length + 1];
        int plain = plainSize(stored);
        int bodyLength = ByteBuffer.wrap(stored, MAGIC.length + 6, 4).getInt();
        boolean encrypted = (flags & AES_GCM) != 0;
        if (encrypted != (key != null)) {
            throw new CorruptBackupException(objectKey + (encrypted ? " is encrypted, but the store is not: it was put"
                    + " there by another store's writer" : " is not encrypted, but the store is: it was replaced or damaged"));
        }
        byte[] body = stored;
        int bodyOffset = HEADER;
        if (encrypted) {
            byte[] nonce = Arrays.copyOfRange(stored, HEADER, HEADER + NONCE);
            body = new byte[bodyLength];
            bodyOffset = 0;
            try {
                cipher(Cipher.DECRYPT_MODE, nonce, stored, objectKey).doFinal(stored, HEADER + NONCE, bodyLength + TAG, body, 0);
            } catch (AEADBadTagException e) {
                throw new CorruptBackupException(objectKey + " failed authentication: it was modified, damaged, or moved"
                        + " from another key");
            } catch (GeneralSecurityException e) {
                throw new CorruptBackupException(objectKey + " cannot be decrypted: " + e, e);
            }
        }
        if ((flags & ZSTD) == 0) {
            if (bodyLength != plain) {
                throw new CorruptBackupException(objectKey + " is damaged: an uncompressed body of " + bodyLength
                        + " bytes for content of " + plain);
            }
            return bodyOffset == 0 && body.length == plain ? body : Arrays.copyOfRange(body, bodyOffset, bodyOffset + plain);
        }
        if (plain > MAX_RATIO * (long) bodyLength + MAX_RATIO_SLACK) {
            return decompressBounded(objectKey, body, bodyOffset, bodyLength, plain);
        }
        byte[] content = new byte[plain];
        long n;
        try {
            n = Zstd.decompressByteArray(content, 0, plain, body, bodyOffset, bodyLength);
        } catch (ZstdException e) {
            throw new CorruptBackupException(objectKey + " is damaged: it does not decompress (" + e.getMessage() + ")");
        }
        if (Zstd.isError(n) || n != plain) {
            throw new CorruptBackupException(objectKey + " is damaged: it decompresses to "
                    + (Zstd.isError(n) ? "an error (" + Zstd.getErrorName(n) + ")" : n + " bytes") + ", not " + plain);
        }
        return content;
    }

    /**
     * Past this ratio of content to compressed body, the content is not allocated up front from the
     * header's (in an unencrypted store, unauthenticated) size: it is decompressed as a stream, so memory
     * grows only with what the body really decompresses to, up to the recorded size.
     */
    static final int MAX_RATIO = 16;
    static final int MAX_RATIO_SLACK = 64 * 1024;

    private static byte[] decompressBounded(String objectKey, byte[] body, int offset, int length, int plain) {
        try (InputStream in = new ZstdInputStream(new ByteArrayInputStream(body, offset, length))) {
            byte[] content = in.readNBytes(plain);
            if (content.length != plain || in.read() >= 0) {
                throw new CorruptBackupException(objectKey + " is damaged: it decompresses to "
                        + (content.length != plain ? content.length + " bytes" : "more bytes") + ", not " + plain);
            }
            return content;
        } catch (IOException | ZstdException e) {
            throw new CorruptBackupException(objectKey + " is damaged: it does not decompress (" + e.getMessage() + ")");
        }
    }
}
