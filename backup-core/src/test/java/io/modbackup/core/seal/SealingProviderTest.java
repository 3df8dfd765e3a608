package io.modbackup.core.seal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.provider.BackupConfigException;
import io.modbackup.core.crypto.LocalMasterKey;
import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.hash.Hashing;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
import io.modbackup.core.store.SealingProvider;
import io.modbackup.core.store.StoreLayout;
import io.modbackup.testkit.provider.InMemoryProvider;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sealed form of objects on a real local store: which objects are sealed, how, and how each form reads back. */
class SealingProviderTest {
    @TempDir
    Path dir;

    private static final byte[] MAGIC = Envelope.MAGIC;

    private static byte[] text(int size) {
        StringBuilder json = new StringBuilder();
        for (int i = 0; json.length() < size; i++) {
            json.append("{\"user\":\"user-").append(i % 97).append("\",\"event\":\"click\",\"amount\":").append(i * 7 % 1000)
                    .append("}\n");
        }
        return json.substring(0, size).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] random(int size, int seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static String chunkKey(byte[] content) {
        return StoreLayout.chunkKey(Hashing.sha256Hex(content));
    }

    private static void put(SealingProvider provider, String key, byte[] content) {
        provider.putObject(key, new ByteArrayInputStream(content), content.length).join();
    }

    private static byte[] get(SealingProvider provider, String key) throws Exception {
        try (InputStream in = provider.getObject(key).join()) {
            return in.readAllBytes();
        }
    }

    private LocalDirectoryProvider local() {
        return new LocalDirectoryProvider(dir.resolve("store").toString());
    }

    private byte[] stored(String key) throws Exception {
        return Files.readAllBytes(dir.resolve("store").resolve(key));
    }

    @Test
    void textIsStoredCompressedAndIncompressibleDataAsItIs() throws Exception {
        SealingProvider provider = new SealingProvider(local(), Compression.DEFAULT, null, Runnable::run);
        byte[] text = text(200_000);
        byte[] noise = random(200_000, 1);
        put(provider, chunkKey(text), text);
        put(provider, chunkKey(noise), noise);
        byte[] storedText = stored(chunkKey(text));
        assertTrue(storedText.length < text.length / 4, "JSON-like text shrinks several-fold: " + storedText.length);
        assertTrue(Envelope.startsWithMagic(storedText, 0, storedText.length));
        assertArrayEquals(noise, stored(chunkKey(noise)), "incompressible data is stored as its plain bytes, as format 1 did");
        byte[] base64 = java.util.Base64.getEncoder().encode(random(150_000, 12));
        put(provider, chunkKey(base64), base64);
        assertArrayEquals(base64, stored(chunkKey(base64)), "random bytes in base64 (entropy coding would save a"
                + " quarter) are not worth the copy and the CPU: stored as they are");
        byte[] hex = java.util.HexFormat.of().formatHex(random(100_000, 13)).getBytes(StandardCharsets.US_ASCII);
        put(provider, chunkKey(hex), hex);
        assertTrue(stored(chunkKey(hex)).length < hex.length * 0.6, "random bytes in hex (half saved) are compressed");
        assertArrayEquals(text, get(provider, chunkKey(text)));
        assertArrayEquals(noise, get(provider, chunkKey(noise)));

        Path file = dir.resolve("text.bin");
        Files.write(file, text);
        provider.getFile(chunkKey(text), file).join();
        assertArrayEquals(text, Files.readAllBytes(file), "getFile opens a sealed object in place");
        assertNull(provider.checkStoredSize(chunkKey(text), text.length).join(), "a compressed chunk's size checks out");
        assertNull(provider.checkStoredSize(chunkKey(noise), noise.length).join());
    }

    @Test
    void filesAreSealedLikeStreamsAndIncompressibleOnesStillGoThroughPutFile() throws Exception {
        SealingProvider provider = new SealingProvider(local(), Compression.DEFAULT, null, Runnable::run);
        byte[] text = text(50_000);
        byte[] noise = random(50_000, 2);
        Path textFile = Files.write(dir.resolve("t"), text);
        Path noiseFile = Files.write(dir.resolve("n"), noise);
        provider.putFile(chunkKey(text), textFile).join();
        provider.putFile(chunkKey(noise), noiseFile).join();
        assertTrue(stored(chunkKey(text)).length < text.length / 4);
        assertArrayEquals(noise, stored(chunkKey(noise)));
        assertArrayEquals(text, get(provider, chunkKey(text)));
    }

    @Test
    void plainContentThatBeginsWithTheMagicIsFramedSoItCannotBeMistaken() throws Exception {
        SealingProvider provider = new SealingProvider(local(), Compression.DEFAULT, null, Runnable::run);
        byte[] tricky = random(10_000, 3);
        System.arraycopy(MAGIC, 0, tricky, 0, MAGIC.length);
        put(provider, chunkKey(tricky), tricky);
        byte[] stored = stored(chunkKey(tricky));
        assertEquals(Envelope.HEADER + tricky.length, stored.length, "framed, uncompressed");
        assertArrayEquals(tricky, get(provider, chunkKey(tricky)));
        assertNull(provider.checkStoredSize(chunkKey(tricky), tricky.length).join());
    }

    @Test
    void aFormatOneChunkThatBeginsWithTheMagicStillReadsAsItsPlainBytes() throws Exception {
        // Written before the sealed form existed: plain bytes that happen to begin like a sealed object.
        byte[] old = random(5_000, 4);
        System.arraycopy(MAGIC, 0, old, 0, MAGIC.length);
        LocalDirectoryProvider raw = local();
        raw.putObject(chunkKey(old), new ByteArrayInputStream(old), old.length).join();
        SealingProvider provider = new SealingProvider(raw, Compression.DEFAULT, null, Runnable::run);
        assertArrayEquals(old, get(provider, chunkKey(old)));
        Path file = dir.resolve("old.bin");
        assertTrue(provider.getFile(chunkKey(old), file).join());
        assertArrayEquals(old, Files.readAllBytes(file));
    }

    @Test
    void manifestsAreCompressedAndOtherRecordsPassThrough() throws Exception {
        SealingProvider provider = new SealingProvider(local(), Compression.DEFAULT, null, Runnable::run);
        byte[] json = text(20_000);
        String manifest = "backups/m/m-0000000000000001-00/backup.json";
        put(provider, manifest, json);
        assertTrue(stored(manifest).length < json.length / 4);
        assertArrayEquals(json, get(provider, manifest));
        put(provider, StoreLayout.OWNER_KEY, json);
        put(provider, "index/m/x", json);
        assertArrayEquals(json, stored(StoreLayout.OWNER_KEY), "records holding no content stay as they are");
        assertArrayEquals(json, stored("index/m/x"));
    }

    @Test
    void anEncryptedStoreSealsEveryChunkAndManifestAndBindsEachToItsKey() throws Exception {
        LocalMasterKey key = new LocalMasterKey(random(32, 5));
        SealingProvider provider = new SealingProvider(local(), Compression.DEFAULT, key, Runnable::run);
        provider.keys().initialize(false).join();
        assertTrue(provider.encrypted());
        assertTrue(provider.contentHash().isKeyed());
        byte[] noise = random(30_000, 6);
        byte[] text = text(30_000);
        String noiseKey = StoreLayout.chunkKey(provider.contentHash().of(noise));
        String textKey = StoreLayout.chunkKey(provider.contentHash().of(text));
        put(provider, noiseKey, noise);
        put(provider, textKey, text);
        byte[] storedNoise = stored(noiseKey);
        assertEquals(Envelope.HEADER + Envelope.ENCRYPTION_OVERHEAD + noise.length, storedNoise.length,
                "incompressible data is encrypted, not compressed");
        assertTrue(stored(textKey).length < text.length / 4, "text is compressed, then encrypted");
        assertArrayEquals(noise, get(provider, noiseKey));
        assertArrayEquals(text, get(provider, textKey));
        assertNull(provider.checkStoredSize(noiseKey, noise.length).join());
        assertNull(provider.checkStoredSize(textKey, text.length).join());

        // The same content sealed twice differs (a fresh nonce), and either opens.
        put(provider, noiseKey, noise);
        assertFalse(Arrays.equals(storedNoise, stored(noiseKey)));
        assertArrayEquals(noise, get(provider, noiseKey));

        // A sealed object moved to another key fails to open.
        Files.write(dir.resolve("store").resolve(textKey), stored(noiseKey));
        CorruptBackupException moved = assertThrows(CorruptBackupException.class, () -> get(provider, textKey));
        assertTrue(moved.getMessage().contains("failed authentication"), moved.getMessage());
        // Plain bytes put in place of a sealed object are refused, not taken as content.
        Files.write(dir.resolve("store").resolve(textKey), text);
        CorruptBackupException plain = assertThrows(CorruptBackupException.class, () -> get(provider, textKey));
        assertTrue(plain.getMessage().contains("is not encrypted, but the store is"), plain.getMessage());
        Path file = dir.resolve("f");
        CompletionException viaFile = assertThrows(CompletionException.class, () -> provider.getFile(textKey, file).join());
        assertTrue(viaFile.getCause() instanceof CorruptBackupException, viaFile.toString());
    }

    @Test
    void aTruncatedOrGrownSealedObjectIsCaughtByItsSizeCheckAndByReading() throws Exception {
        SealingProvider provider = new SealingProvider(local(), Compression.DEFAULT, null, Runnable::run);
        byte[] text = text(100_000);
        put(provider, chunkKey(text), text);
        Path file = dir.resolve("store").resolve(chunkKey(text));
        byte[] stored = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(stored, stored.length - 1));
        String problem = provider.checkStoredSize(chunkKey(text), text.length).join();
        assertTrue(problem.startsWith("is corrupt: the store holds " + (stored.length - 1) + " bytes, expected "
                + text.length + " bytes"), problem);
        Files.write(file, Arrays.copyOf(stored, stored.length + 1));
        assertTrue(provider.checkStoredSize(chunkKey(text), text.length).join().startsWith("is corrupt"));
        assertEquals("is missing", provider.checkStoredSize(chunkKey(random(10, 9)), 10).join());
    }

    @Test
    void aKeylessReaderReadsACompressedStoreAndWritesUncompressed() throws Exception {
        InMemoryProvider memory = new InMemoryProvider();
        SealingProvider writer = new SealingProvider(memory, Compression.DEFAULT, null, Runnable::run);
        byte[] text = text(10_000);
        put(writer, chunkKey(text), text);
        SealingProvider reader = SealingProvider.reader(memory, Runnable::run);
        assertArrayEquals(text, get(reader, chunkKey(text)));
        assertFalse(reader.compression().enabled(), "it writes uncompressed");
    }

    @Test
    void compressionSettingsAreParsedAndMistakesNamed() {
        assertEquals(Compression.DEFAULT, Compression.parse(null));
        assertEquals(Compression.DEFAULT, Compression.parse("zstd"));
        assertEquals(new Compression(9), Compression.parse(" ZSTD:9 "));
        assertEquals(Compression.NONE, Compression.parse("none"));
        for (String bad : new String[] {"gzip", "zstd:0", "zstd:20", "zstd:fast", ""}) {
            BackupConfigException e = assertThrows(BackupConfigException.class, () -> Compression.parse(bad));
            assertEquals("backup.compression is \"" + bad + "\"; give none, zstd, or zstd:<level> with a level from 1"
                    + " (fastest) to 19 (smallest), e.g. zstd:3", e.getMessage());
        }
    }

    @Test
    void aFormatRecordAWriterReplacedIsRefusedBeforeAnythingIsSealed() throws Exception {
        LocalMasterKey key = new LocalMasterKey(random(32, 10));
        SealingProvider creator = new SealingProvider(local(), Compression.DEFAULT, key, Runnable::run);
        creator.keys().initialize(false).join();
        Path record = dir.resolve("store").resolve(StoreLayout.FORMAT_KEY);
        String original = Files.readString(record);

        Files.writeString(record, "{\"format\":2,\"encryption\":null}");
        io.modbackup.core.error.BackupException plain = assertThrows(io.modbackup.core.error.BackupException.class,
                () -> new SealingProvider(local(), Compression.DEFAULT, key, Runnable::run).contentHash());
        assertEquals(io.modbackup.core.error.BackupException.Problem.STORE_NOT_ENCRYPTED, plain.problem());

        LocalMasterKey attacker = new LocalMasterKey(random(32, 11));
        InMemoryProvider attackers = new InMemoryProvider();
        new SealingProvider(attackers, Compression.DEFAULT, attacker, Runnable::run).keys().initialize(false).join();
        try (InputStream theirRecord = attackers.getObject(StoreLayout.FORMAT_KEY).join()) {
            Files.write(record, theirRecord.readAllBytes());
        }
        io.modbackup.core.error.BackupException wrong = assertThrows(io.modbackup.core.error.BackupException.class,
                () -> new SealingProvider(local(), Compression.DEFAULT, key, Runnable::run).contentHash());
        assertEquals(io.modbackup.core.error.BackupException.Problem.WRONG_KEY, wrong.problem());
        assertTrue(wrong.getMessage().contains(attacker.keyId()), wrong.getMessage());
        Files.writeString(record, original);
        assertTrue(new SealingProvider(local(), Compression.DEFAULT, key, Runnable::run).encrypted(), "the real record opens");

        Files.writeString(record, "{\"format\":3,\"encryption\":null}");
        io.modbackup.core.error.BackupException newer = assertThrows(io.modbackup.core.error.BackupException.class,
                () -> new SealingProvider(local(), Compression.DEFAULT, null, Runnable::run).contentHash());
        assertEquals(io.modbackup.core.error.BackupException.Problem.UNSUPPORTED_FORMAT, newer.problem());
        assertTrue(newer.getMessage().contains("format 3"), newer.getMessage());
        assertTrue(Files.readString(record).contains("\"format\":3"), "refusing wrote nothing");
    }
}
