package io.modbackup.azure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.provider.BackupProvider;
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
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The drop-in jar works where it lands: in a {@code lib/} class loader with only the SPI and SLF4J from the
 * host (backup-rama's {@code IsolatedRamaClassLoaderIT} runs it behind Rama's interface). Runs after
 * {@code package} (failsafe), on the real jar; credentials from the environment, as in a cluster (the pom
 * sets Azurite's).
 */
class AzureShadedJarIT {
    @RegisterExtension
    static final AzuriteExtension AZURITE = new AzuriteExtension();

    private final Path shadedJar = Path.of(System.getProperty("shaded.jar"));

    @Test
    void everyClassInTheJarIsOursOrRelocated() throws Exception {
        List<String> leaked = new ArrayList<>();
        int classes = 0;
        try (JarFile jar = new JarFile(shadedJar.toFile())) {
            for (var entries = jar.entries(); entries.hasMoreElements(); ) {
                String name = entries.nextElement().getName();
                if (name.endsWith(".class") && !name.startsWith("META-INF/versions/")) {
                    classes++;
                    if (!name.startsWith("io/modbackup/azure/") && !name.startsWith("io/modbackup/shaded/")) {
                        leaked.add(name);
                    }
                }
                if (name.startsWith("META-INF/services/") && !name.endsWith("/")) {
                    String service = name.substring("META-INF/services/".length());
                    assertTrue(service.startsWith("io.modbackup."), "service file not relocated: " + name);
                }
            }
        }
        assertTrue(classes > 1000, "the SDK is inside: " + classes + " classes");
        Set<String> packages = leaked.stream().map(n -> n.substring(0, Math.max(0, n.lastIndexOf('/')))).collect(Collectors.toSet());
        assertEquals(Set.of(), packages, "unrelocated classes would clash with a module's own SDK");
    }

    @Test
    void theProviderWorksInAnIsolatedClassLoaderAndLeavesNoThreadOnClose() throws Exception {
        URL api = BackupProvider.class.getProtectionDomain().getCodeSource().getLocation();
        URL slf4j = org.slf4j.LoggerFactory.class.getProtectionDomain().getCodeSource().getLocation();
        try (URLClassLoader host = new URLClassLoader(new URL[] {api, slf4j}, ClassLoader.getPlatformClassLoader());
             URLClassLoader lib = new URLClassLoader(new URL[] {shadedJar.toUri().toURL()}, host)) {
            Class<?> loaderType = host.loadClass("io.modbackup.api.provider.ProviderLoader");
            Object loader = loaderType.getConstructor(ClassLoader.class).newInstance(lib);
            Object provider = loaderType.getMethod("load", String.class).invoke(loader,
                    AzureBlobBackupProvider.class.getName() + " " + AZURITE.server().newContainerArgument("shaded"));
            assertSame(lib, provider.getClass().getClassLoader(), "loaded from the drop-in jar");
            Class<?> spi = host.loadClass(BackupProvider.class.getName());
            byte[] data = "drop-in".getBytes(StandardCharsets.UTF_8);
            call(spi, provider, "putObject", new Class<?>[] {String.class, InputStream.class, long.class},
                    "k/v", new ByteArrayInputStream(data), (long) data.length);
            assertEquals(true, call(spi, provider, "hasKey", new Class<?>[] {String.class}, "k/v"));
            try (InputStream in = (InputStream) call(spi, provider, "getObject", new Class<?>[] {String.class}, "k/v")) {
                assertArrayEquals(data, in.readAllBytes());
            }
            assertFalse((Boolean) call(spi, provider, "hasKey", new Class<?>[] {String.class}, "absent"));
            spi.getMethod("close").invoke(provider);
            // A pool's last worker may still be on its way out when close returns: give each 10 s to end.
            List<Thread> ours = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getContextClassLoader() == lib || t.getName().startsWith("modbackup-azure")).toList();
            for (Thread thread : ours) {
                thread.join(10_000);
            }
            List<String> left = ours.stream().filter(Thread::isAlive).map(Thread::getName).toList();
            assertEquals(List.of(), left, "the provider's threads ended with it");
        }
    }

    private static Object call(Class<?> spi, Object provider, String name, Class<?>[] types, Object... args) throws Exception {
        Method method = spi.getMethod(name, types);
        return ((CompletableFuture<?>) method.invoke(provider, args)).get();
    }
}
