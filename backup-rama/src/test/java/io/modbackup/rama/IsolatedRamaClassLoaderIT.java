package io.modbackup.rama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.s3.S3ProxyServer;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/**
 * The jars work where a Rama operator puts them: a class loader holding only what Rama's classpath
 * gives (its provider interface, here the stub, and SLF4J), and below it {@code lib/} with our Rama
 * jar and our shaded S3 jar. Runs after {@code package} (failsafe), on the real jars.
 */
class IsolatedRamaClassLoaderIT {
    private final Path ramaJar = Path.of(System.getProperty("rama.jar"));
    private final Path s3Jar = Path.of(System.getProperty("s3.jar"));
    private final Path stubJar = Path.of(System.getProperty("rama.stub.jar"));
    private final Path azureJar = Path.of(System.getProperty("azure.jar"));

    @Test
    void theRamaJarHoldsOurClassesAndTheSpiButNeitherRamasInterfaceNorTheS3Provider() throws Exception {
        List<String> classes = new ArrayList<>();
        try (JarFile jar = new JarFile(ramaJar.toFile())) {
            jar.stream().map(e -> e.getName()).filter(n -> n.endsWith(".class")).forEach(classes::add);
        }
        assertTrue(classes.contains("io/modbackup/rama/S3ProviderForRama.class"));
        assertTrue(classes.contains("io/modbackup/api/provider/BackupProvider.class"), "the SPI travels with the adapter");
        assertEquals(List.of(), classes.stream().filter(n -> n.startsWith("com/rpl/")).toList(), "Rama's interface is Rama's");
        assertEquals(List.of(), classes.stream().filter(n -> n.startsWith("io/modbackup/s3/")).toList(),
                "the S3 provider comes from its own drop-in jar");
    }

    @Test
    void ourS3ProviderRunsAsARamaProviderInAnIsolatedClassLoader() throws Exception {
        Path dir = Files.createTempDirectory("s3proxy-rama-isolated-");
        try (S3ProxyServer server = new S3ProxyServer(dir)) {
            URL slf4j = org.slf4j.LoggerFactory.class.getProtectionDomain().getCodeSource().getLocation();
            try (URLClassLoader ramaClasspath = new URLClassLoader(new URL[] {stubJar.toUri().toURL(), slf4j},
                    ClassLoader.getPlatformClassLoader());
                 URLClassLoader lib = new URLClassLoader(new URL[] {ramaJar.toUri().toURL(), s3Jar.toUri().toURL()},
                         ramaClasspath)) {
                Class<?> ramaInterface = ramaClasspath.loadClass("com.rpl.rama.backup.BackupProvider");
                assertNotSame(com.rpl.rama.backup.BackupProvider.class, ramaInterface, "not the test's own copy");

                Class<?> s3ForRama = lib.loadClass(S3ProviderForRama.class.getName());
                assertSame(lib, s3ForRama.getClassLoader(), "loaded from lib/");
                Object provider = s3ForRama.getConstructor(String.class).newInstance(server.newBucketArgument("rama/isolated"));
                exercise(ramaInterface, provider, "dedicated");

                // The generic form, as "backup.provider: io.modbackup.rama.ModbackupProviderForRama <our class> <arg>".
                Object generic = lib.loadClass(ModbackupProviderForRama.class.getName()).getConstructor(String.class)
                        .newInstance("io.modbackup.s3.S3BackupProvider " + server.newBucketArgument("rama/generic"));
                exercise(ramaInterface, generic, "generic");
            }
        } finally {
            io.modbackup.s3.TestFiles.deleteRecursively(dir);
        }
    }

    /**
     * Our Azure provider's drop-in jar beside ours, through the generic adapter, on Azurite; credentials from
     * the environment, as a cluster's (the pom sets Azurite's development account).
     */
    @Test
    void ourAzureProviderRunsAsARamaProviderThroughTheGenericAdapter() throws Exception {
        Path dir = Files.createTempDirectory("azurite-rama-isolated-");
        try (io.modbackup.azure.AzuriteServer azurite = new io.modbackup.azure.AzuriteServer(dir.resolve("blobs"))) {
            URL slf4j = org.slf4j.LoggerFactory.class.getProtectionDomain().getCodeSource().getLocation();
            try (URLClassLoader ramaClasspath = new URLClassLoader(new URL[] {stubJar.toUri().toURL(), slf4j},
                    ClassLoader.getPlatformClassLoader());
                 URLClassLoader lib = new URLClassLoader(new URL[] {ramaJar.toUri().toURL(), azureJar.toUri().toURL()},
                         ramaClasspath)) {
                Class<?> ramaInterface = ramaClasspath.loadClass("com.rpl.rama.backup.BackupProvider");
                // As "backup.provider: io.modbackup.rama.ModbackupProviderForRama io.modbackup.azure.AzureBlobBackupProvider URL".
                Object provider = lib.loadClass(ModbackupProviderForRama.class.getName()).getConstructor(String.class)
                        .newInstance("io.modbackup.azure.AzureBlobBackupProvider " + azurite.newContainerArgument("rama"));
                exercise(ramaInterface, provider, "azure");
            }
        } finally {
            io.modbackup.s3.TestFiles.deleteRecursively(dir);
        }
    }

    /** A put, a list of both kinds and a get through Rama's interface, by reflection across the loaders. */
    private static void exercise(Class<?> rama, Object provider, String name) throws Exception {
        byte[] data = ("stored from a Rama class loader, " + name).getBytes(StandardCharsets.UTF_8);
        call(rama, provider, "putObject", new Class<?>[] {String.class, InputStream.class, Long.class},
                "modules/A/backup.json", new ByteArrayInputStream(data), (long) data.length);
        Object recursive = call(rama, provider, "listKeysRecursive", new Class<?>[] {String.class, String.class}, "modules", null);
        assertEquals(List.of("modules/A/backup.json"), keys(recursive));
        Object flat = call(rama, provider, "listKeysNonRecursive", new Class<?>[] {String.class, String.class, int.class},
                "modules/", null, -1);
        assertEquals(List.of("A"), keys(flat));
        try (InputStream in = (InputStream) call(rama, provider, "getObject", new Class<?>[] {String.class},
                "modules/A/backup.json")) {
            assertArrayEquals(data, in.readAllBytes());
        }
        rama.getMethod("close").invoke(provider);
    }

    private static Object keys(Object page) throws Exception {
        return page.getClass().getField("keys").get(page);
    }

    private static Object call(Class<?> rama, Object provider, String name, Class<?>[] types, Object... args) throws Exception {
        Method method = rama.getMethod(name, types);
        return ((CompletableFuture<?>) method.invoke(provider, args)).get();
    }
}
