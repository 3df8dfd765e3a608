package io.modbackup.sim;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * The module code a simulated cluster can run, every version of it. A real Conductor loads a module's
 * code from its jar; a simulated jar only names its code (its {@link ModuleDefinition}'s text), which is
 * looked up here ({@link ModuleDefinition#canonicalText()}), so a restored jar brings back the code it
 * carried, in any process. Thread-safe.
 */
public final class ModuleCode {
    private final Map<String, ModuleDefinition> byId = new ConcurrentHashMap<>();
    private final Map<String, ModuleDefinition> defaults = new ConcurrentHashMap<>();

    /** Code of {@code versions}; the first version of each module is what deploying it by name runs. */
    public ModuleCode(List<ModuleDefinition> versions) {
        versions.forEach(this::add);
    }

    /** Adds a version; it becomes its module's default when the module had none. */
    public void add(ModuleDefinition version) {
        byId.put(idOf(version), version);
        defaults.putIfAbsent(version.name(), version);
    }

    /** The identity of a version of module code: a hash of the text its jar carries. */
    public static String idOf(ModuleDefinition version) {
        return idOfText(version.canonicalText());
    }

    private static String idOfText(String canonicalText) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(canonicalText.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The version with identity {@code id}.
     *
     * @throws IllegalArgumentException when this cluster does not have it
     */
    public ModuleDefinition byId(String id) {
        ModuleDefinition version = byId.get(id);
        if (version == null) {
            throw new IllegalArgumentException("this node has no module code " + id + "; start every node with the same catalog");
        }
        return version;
    }

    /** The default code of {@code module}, if this cluster has any. */
    public Optional<ModuleDefinition> named(String module) {
        return Optional.ofNullable(defaults.get(module));
    }

    /** The code a simulated jar carries, or empty when the jar names code this cluster does not have. */
    public Optional<ModuleDefinition> ofJar(Path jar) {
        try (JarFile file = new JarFile(jar.toFile())) {
            JarEntry entry = file.getJarEntry(ClusterState.DEFINITION_ENTRY);
            if (entry == null) {
                return Optional.empty();
            }
            try (InputStream in = file.getInputStream(entry)) {
                return Optional.ofNullable(byId.get(idOfText(new String(in.readAllBytes(), StandardCharsets.UTF_8))));
            }
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
