package io.modbackup.s3;

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
import java.util.concurrent.CompletableFuture;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The drop-in jar works where it lands: in a {@code lib/} classloader next to an older AWS SDK, with
 * only the SPI and SLF4J from the host. Runs after {@code package} (failsafe), on the real jar.
 */
class ShadedJarIT {
    private final Path shadedJar = Path.of(System.getProperty("shaded.jar"));
    private final Path olderSdk = Path.of(System.getProperty("older.sdk.dir"));

    @Test
    void everyClassInTheJarIsOursOrRelocated() throws Exception {
        List<String> leaked = new ArrayList<>();
        int classes = 0;
        try (JarFile jar = new JarFile(shadedJar.toFile())) {
            for (var entries = jar.entries(); entries.hasMoreElements(); ) {
                String name = entries.nextElement().getName();
                if (name.endsWith(".class")) {
                    classes++;
                    if (!name.startsWith("io/modbackup/s3/") && !name.startsWith("io/modbackup/shaded/")) {
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
        assertEquals(List.of(), leaked, "unrelocated classes would clash with a module's own SDK");
    }

    @Test
    void theProviderWorksInAnIsolatedClassLoaderNextToAnOlderSdk() throws Exception {
        Path dir = Files.createTempDirectory("s3proxy-shaded-");
        try (S3ProxyServer server = new S3ProxyServer(dir)) {
            URL api = BackupProvider.class.getProtectionDomain().getCodeSource().getLocation();
            URL slf4j = org.slf4j.LoggerFactory.class.getProtectionDomain().getCodeSource().getLocation();
            List<URL> lib = new ArrayList<>();
            try (Stream<Path> older = Files.list(olderSdk)) {
                for (Path jar : older.sorted().toList()) {
                    lib.add(jar.toUri().toURL());
                }
            }
            assertEquals(3, lib.size(), "older SDK jars: " + lib);
            lib.add(shadedJar.toUri().toURL());
            try (URLClassLoader host = new URLClassLoader(new URL[] {api, slf4j}, ClassLoader.getPlatformClassLoader());
                 URLClassLoader libDir = new URLClassLoader(lib.toArray(URL[]::new), host)) {
                Class<?> olderBytes = libDir.loadClass("software.amazon.awssdk.core.SdkBytes");
                assertTrue(olderBytes.getProtectionDomain().getCodeSource().getLocation().toString().contains("2.36.2"),
                        "the unrelocated SDK in lib/ is the older one");

                Class<?> loaderType = host.loadClass("io.modbackup.api.provider.ProviderLoader");
                Object loader = loaderType.getConstructor(ClassLoader.class).newInstance(libDir);
                Object provider = loaderType.getMethod("load", String.class).invoke(loader,
                        S3BackupProvider.class.getName() + " " + server.newBucketArgument("shaded"));
                assertSame(libDir, provider.getClass().getClassLoader(), "loaded from the drop-in jar");
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
            }
        } finally {
            TestFiles.deleteRecursively(dir);
        }
    }

    private static Object call(Class<?> spi, Object provider, String name, Class<?>[] types, Object... args) throws Exception {
        Method method = spi.getMethod(name, types);
        return ((CompletableFuture<?>) method.invoke(provider, args)).get();
    }
}
