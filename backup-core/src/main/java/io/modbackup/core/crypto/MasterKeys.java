package io.modbackup.core.crypto;

import io.modbackup.api.crypto.MasterKeyProvider;
import io.modbackup.api.provider.BackupConfigException;
import io.modbackup.core.fs.PrivateFiles;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;

/**
 * Loads the master key that {@code backup.encryption.key} names:
 * <ul>
 *   <li>{@code file:<path>}: a file holding 32 random bytes, raw, in base64 or in hex (make one with
 *       {@code head -c 32 /dev/urandom | base64 > master.key});</li>
 *   <li>{@code env:<VARIABLE>}: an environment variable holding them in base64 or hex;</li>
 *   <li>{@code <fully.qualified.Class> <argument>}: any {@link MasterKeyProvider}, e.g. one backed by
 *       a KMS, built from its one-{@code String} constructor.</li>
 * </ul>
 * Every mistake is a {@link BackupConfigException} saying what is wrong and how to mend it.
 */
public final class MasterKeys {
    /** The config key. */
    public static final String CONFIG_KEY = "backup.encryption.key";

    private final Map<String, String> environment;

    /** A loader reading this process's environment. */
    public MasterKeys() {
        this(System.getenv());
    }

    /** A loader reading {@code environment} for {@code env:} keys. */
    public MasterKeys(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    /** The key {@code spec} names, or null when it is null or blank (no encryption). */
    public MasterKeyProvider load(String spec) {
        if (spec == null || spec.isBlank()) {
            return null;
        }
        String s = spec.trim();
        if (s.startsWith("file:")) {
            return fromFile(Path.of(s.substring(5)));
        }
        if (s.startsWith("env:")) {
            String variable = s.substring(4);
            String value = environment.get(variable);
            if (value == null || value.isBlank()) {
                throw new BackupConfigException(CONFIG_KEY + " names environment variable " + variable
                        + ", which is not set; set it to the store's 32-byte master key in base64");
            }
            byte[] key = decode(value.trim().getBytes(StandardCharsets.UTF_8));
            if (key == null) {
                throw new BackupConfigException("environment variable " + variable + " (" + CONFIG_KEY + ") does not"
                        + " hold a 32-byte key in base64 or hex; make one with: head -c 32 /dev/urandom | base64");
            }
            return new LocalMasterKey(key);
        }
        return fromClass(s);
    }

    private static MasterKeyProvider fromFile(Path file) {
        byte[] bytes;
        try {
            java.util.Optional<String> open = Files.exists(file) ? PrivateFiles.openToOthers(file.toRealPath())
                    : java.util.Optional.empty();
            if (open.isPresent()) {
                throw new BackupConfigException("key file " + file + " (" + CONFIG_KEY + ") is readable by other users ("
                        + open.get() + "): chmod 600 it, and rotate the key if others may have read it");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new BackupConfigException(CONFIG_KEY + " names key file " + file + ", which does not exist; give the"
                    + " path of the store's master key file");
        } catch (IOException e) {
            throw new BackupConfigException("cannot read key file " + file + " (" + CONFIG_KEY + "): " + e.getMessage(), e);
        }
        byte[] key = decode(bytes);
        if (key == null && bytes.length == LocalMasterKey.LENGTH) {
            throw new BackupConfigException("key file " + file + " (" + CONFIG_KEY + ") holds 32 characters of text, a"
                    + " passphrase rather than 32 random bytes; make a key with: head -c 32 /dev/urandom | base64 > " + file);
        }
        if (key == null) {
            throw new BackupConfigException("key file " + file + " (" + CONFIG_KEY + ") holds " + bytes.length + " bytes,"
                    + " not a 32-byte key (raw, base64 or hex); make one with: head -c 32 /dev/urandom | base64 > " + file);
        }
        return new LocalMasterKey(key);
    }

    /** 32 key bytes from text in base64 or hex, or raw; null when it is none of these. */
    static byte[] decode(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.ISO_8859_1).trim();
        try {
            byte[] key = Base64.getDecoder().decode(text);
            if (key.length == LocalMasterKey.LENGTH) {
                return key;
            }
        } catch (IllegalArgumentException e) {
            // not base64
        }
        if (text.length() == 2 * LocalMasterKey.LENGTH) {
            try {
                return HexFormat.of().parseHex(text);
            } catch (IllegalArgumentException e) {
                // not hex
            }
        }
        // 32 printable characters are a passphrase, not 32 random bytes (the odds of those all being printable
        // are 1 in 10^14): taken as a key, its ID would let a bucket reader test guesses offline.
        return bytes.length == LocalMasterKey.LENGTH && !printable(bytes) ? bytes.clone() : null;
    }

    private static boolean printable(byte[] bytes) {
        for (byte b : bytes) {
            if (b < 0x20 || b > 0x7e) {
                return false;
            }
        }
        return true;
    }

    private static MasterKeyProvider fromClass(String spec) {
        int space = spec.indexOf(' ');
        String className = space < 0 ? spec : spec.substring(0, space);
        String argument = space < 0 ? "" : spec.substring(space + 1).trim();
        Class<?> type;
        try {
            // Not initialized until it is known to be a key provider: a named class's static code runs only then.
            type = Class.forName(className, false, Thread.currentThread().getContextClassLoader());
        } catch (ClassNotFoundException e) {
            throw new BackupConfigException(CONFIG_KEY + " is \"" + spec + "\": give file:<path>, env:<VARIABLE>, or the"
                    + " class of a master key provider on the classpath (" + className + " is not)");
        }
        if (!MasterKeyProvider.class.isAssignableFrom(type)) {
            throw new BackupConfigException(CONFIG_KEY + " names " + className + ", which does not implement "
                    + MasterKeyProvider.class.getName());
        }
        try {
            return (MasterKeyProvider) type.getConstructor(String.class).newInstance(argument);
        } catch (NoSuchMethodException e) {
            throw new BackupConfigException(className + " (" + CONFIG_KEY + ") has no public constructor taking one String");
        } catch (InvocationTargetException e) {
            throw new BackupConfigException(className + " (" + CONFIG_KEY + ") refused its argument \"" + argument + "\": "
                    + e.getCause().getMessage(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new BackupConfigException("cannot create " + className + " (" + CONFIG_KEY + "): " + e, e);
        }
    }
}
