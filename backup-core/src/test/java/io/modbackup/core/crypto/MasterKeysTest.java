package io.modbackup.core.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.crypto.MasterKeyProvider;
import io.modbackup.api.provider.BackupConfigException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MasterKeysTest {
    @TempDir
    Path dir;

    private static byte[] material(int seed) {
        byte[] key = new byte[32];
        new Random(seed).nextBytes(key);
        return key;
    }

    @Test
    void aKeyFileInRawBase64OrHexAndAnEnvironmentVariableGiveTheSameKey() throws Exception {
        byte[] key = material(1);
        Path raw = Files.write(dir.resolve("raw.key"), key);
        java.nio.file.Files.setPosixFilePermissions(raw, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Path base64 = Files.writeString(dir.resolve("b64.key"), Base64.getEncoder().encodeToString(key) + "\n");
        java.nio.file.Files.setPosixFilePermissions(base64, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Path hex = Files.writeString(dir.resolve("hex.key"), HexFormat.of().formatHex(key));
        java.nio.file.Files.setPosixFilePermissions(hex, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        MasterKeys keys = new MasterKeys(Map.of("MODBACKUP_KEY", Base64.getEncoder().encodeToString(key)));
        String id = new LocalMasterKey(key).keyId();
        assertEquals(id, keys.load("file:" + raw).keyId());
        assertEquals(id, keys.load("file:" + base64).keyId());
        assertEquals(id, keys.load("file:" + hex).keyId());
        assertEquals(id, keys.load("env:MODBACKUP_KEY").keyId());
        assertNotEquals(id, new LocalMasterKey(material(2)).keyId());
        assertNull(keys.load(null));
        assertNull(keys.load("  "));
    }

    @Test
    void everyMistakeIsNamedWithItsRemedy() throws Exception {
        MasterKeys keys = new MasterKeys(Map.of("SHORT", "c2hvcnQ="));
        Path missing = dir.resolve("nope.key");
        assertEquals("backup.encryption.key names key file " + missing + ", which does not exist; give the path of the"
                + " store's master key file", assertThrows(BackupConfigException.class, () -> keys.load("file:" + missing))
                .getMessage());
        // 32 characters of text are a passphrase: before, they were taken as a raw key.
        Path passphrase = Files.writeString(dir.resolve("passphrase.key"), "correct horse battery staple 123");
        java.nio.file.Files.setPosixFilePermissions(passphrase, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertEquals("key file " + passphrase + " (backup.encryption.key) holds 32 characters of text, a passphrase rather"
                + " than 32 random bytes; make a key with: head -c 32 /dev/urandom | base64 > " + passphrase,
                assertThrows(BackupConfigException.class, () -> keys.load("file:" + passphrase)).getMessage());
        Path shortFile = Files.writeString(dir.resolve("short.key"), "too short");
        java.nio.file.Files.setPosixFilePermissions(shortFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertEquals("key file " + shortFile + " (backup.encryption.key) holds 9 bytes, not a 32-byte key (raw, base64 or"
                + " hex); make one with: head -c 32 /dev/urandom | base64 > " + shortFile,
                assertThrows(BackupConfigException.class, () -> keys.load("file:" + shortFile)).getMessage());
        Path exposed = Files.writeString(dir.resolve("exposed.key"), Base64.getEncoder().encodeToString(material(3)));
        java.nio.file.Files.setPosixFilePermissions(exposed, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        assertEquals("key file " + exposed + " (backup.encryption.key) is readable by other users (rw-r--r--): chmod 600 it,"
                + " and rotate the key if others may have read it",
                assertThrows(BackupConfigException.class, () -> keys.load("file:" + exposed)).getMessage());
        assertEquals("backup.encryption.key names environment variable UNSET, which is not set; set it to the store's"
                + " 32-byte master key in base64", assertThrows(BackupConfigException.class, () -> keys.load("env:UNSET"))
                .getMessage());
        assertTrue(assertThrows(BackupConfigException.class, () -> keys.load("env:SHORT")).getMessage()
                .startsWith("environment variable SHORT (backup.encryption.key) does not hold a 32-byte key"));
        assertTrue(assertThrows(BackupConfigException.class, () -> keys.load("com.example.NoSuchKms arn:x")).getMessage()
                .contains("com.example.NoSuchKms is not"));
        assertEquals("backup.encryption.key names java.lang.String, which does not implement "
                + MasterKeyProvider.class.getName(), assertThrows(BackupConfigException.class,
                () -> keys.load("java.lang.String x")).getMessage());
    }

    /** A stand-in KMS: a provider class named in config, built from its argument. */
    public static final class FixedKms implements MasterKeyProvider {
        private final LocalMasterKey key;

        public FixedKms(String seed) {
            this.key = new LocalMasterKey(material(Integer.parseInt(seed)));
        }

        @Override
        public String keyId() {
            return "kms:" + key.keyId();
        }

        @Override
        public byte[] wrap(byte[] dataKey, byte[] context) {
            return key.wrap(dataKey, context);
        }

        @Override
        public Optional<byte[]> unwrap(byte[] wrapped, byte[] context) {
            return key.unwrap(wrapped, context);
        }
    }

    @Test
    void aProviderClassIsBuiltFromItsArgument() {
        MasterKeyProvider kms = new MasterKeys(Map.of()).load(FixedKms.class.getName() + " 7");
        assertEquals("kms:" + new LocalMasterKey(material(7)).keyId(), kms.keyId());
        BackupConfigException refused = assertThrows(BackupConfigException.class,
                () -> new MasterKeys(Map.of()).load(FixedKms.class.getName() + " seven"));
        assertTrue(refused.getMessage().contains("refused its argument \"seven\""), refused.getMessage());
    }

    @Test
    void aWrappedKeyOpensOnlyUnderItsMasterKeyAndContext() {
        LocalMasterKey key = new LocalMasterKey(material(3));
        byte[] dataKey = material(4);
        byte[] context = "ctx".getBytes(StandardCharsets.UTF_8);
        byte[] wrapped = key.wrap(dataKey, context);
        assertArrayEquals(dataKey, key.unwrap(wrapped, context).orElseThrow());
        assertTrue(new LocalMasterKey(material(5)).unwrap(wrapped, context).isEmpty(), "another key");
        assertTrue(key.unwrap(wrapped, "other".getBytes(StandardCharsets.UTF_8)).isEmpty(), "another context");
        wrapped[wrapped.length - 1] ^= 1;
        assertTrue(key.unwrap(wrapped, context).isEmpty(), "altered bytes");
        assertTrue(key.unwrap(new byte[3], context).isEmpty(), "too short");
    }
}
