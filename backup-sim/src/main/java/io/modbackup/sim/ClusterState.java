package io.modbackup.sim;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.modbackup.api.fs.FileTrees;
import io.modbackup.api.runtime.ModuleDescriptor;
import io.modbackup.api.runtime.PathSegment;
import io.modbackup.api.runtime.RestoreMarker;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * The Conductor's persistent state under {@code root/conductor}: each module's descriptor and
 * placement ({@code modules/<module>/module.json}), its jar, and its restore marker
 * ({@code markers/<module>.json}). Every write is atomic (a temporary file renamed into place), so a
 * crash leaves the old record or the new one.
 */
final class ClusterState {
    private final Path conductor;
    private final ObjectMapper json = new ObjectMapper();

    /** A module's persisted record: what it looks like and where its tasks live. */
    record StoredModule(ModuleDescriptor descriptor, Map<Integer, String> placement) {
    }

    ClusterState(Path root) {
        this.conductor = root.resolve("conductor");
    }

    /** The directory of the Conductor's own state. */
    Path conductor() {
        return conductor;
    }

    void saveModule(StoredModule module) {
        writeJson(moduleDir(module.descriptor().name()).resolve("module.json"), module);
    }

    /** Every module record found, in name order. */
    List<StoredModule> loadModules() {
        List<StoredModule> modules = new ArrayList<>();
        Path dir = conductor.resolve("modules");
        if (!Files.isDirectory(dir)) {
            return modules;
        }
        try (Stream<Path> list = Files.list(dir)) {
            for (Path moduleDir : list.sorted().toList()) {
                Path file = moduleDir.resolve("module.json");
                if (Files.exists(file)) {
                    modules.add(readJson(file, StoredModule.class));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reload the modules in " + dir, e);
        }
        return modules;
    }

    /** Deletes a module's record and jar. */
    void deleteModule(String module) {
        FileTrees.deleteTree(moduleDir(module));
    }

    /** Where a module's jar lives. */
    Path jar(String module, String jarName) {
        return moduleDir(module).resolve(PathSegment.check("jar name", jarName));
    }

    /** The jar entry holding the module code a simulated jar stands for. */
    static final String DEFINITION_ENTRY = "module-definition.txt";

    /** Writes a jar standing for a module's code. */
    void writeJar(ModuleDefinition definition) {
        Path jar = jar(definition.name(), definition.jarName());
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().putValue("Module-Name", definition.name());
        try {
            Files.createDirectories(jar.getParent());
            try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file, manifest)) {
                out.putNextEntry(new JarEntry(DEFINITION_ENTRY));
                out.write(definition.canonicalText().getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the jar of module " + definition.name(), e);
        }
    }

    /** Makes {@code source} the module's jar, replacing the one it had. */
    void installJar(Path source, String module, String jarName) throws IOException {
        Files.createDirectories(moduleDir(module));
        Files.copy(source, jar(module, jarName), StandardCopyOption.REPLACE_EXISTING);
    }

    void saveMarker(RestoreMarker marker) {
        writeJson(conductor.resolve("markers").resolve(PathSegment.check("module name", marker.module()) + ".json"), marker);
    }

    /** Every restore marker found. */
    List<RestoreMarker> loadMarkers() {
        List<RestoreMarker> markers = new ArrayList<>();
        Path dir = conductor.resolve("markers");
        if (!Files.isDirectory(dir)) {
            return markers;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                markers.add(readJson(file, RestoreMarker.class));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reload the restore markers in " + dir, e);
        }
        return markers;
    }

    private Path moduleDir(String module) {
        return conductor.resolve("modules").resolve(PathSegment.check("module name", module));
    }

    void writeJson(Path file, Object value) {
        try {
            Files.createDirectories(file.getParent());
            Path temp = file.resolveSibling(file.getFileName() + ".tmp");
            json.writerWithDefaultPrettyPrinter().writeValue(temp.toFile(), value);
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    <T> T readJson(Path file, Class<T> type) {
        try {
            return json.readValue(file.toFile(), type);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
