package io.modbackup.core.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.provider.BackupConfigException;
import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.provider.ProviderLoader;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
import io.modbackup.testkit.provider.InMemoryProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ProviderLoaderTest {
    private final ProviderLoader loader = new ProviderLoader();

    @TempDir
    Path dir;

    @Test
    void loadsTheLocalProviderWithItsDirectoryArgument() {
        String config = LocalDirectoryProvider.class.getName() + " " + dir.resolve("store");
        try (BackupProvider provider = loader.load(config)) {
            LocalDirectoryProvider local = assertInstanceOf(LocalDirectoryProvider.class, provider);
            assertEquals(dir.resolve("store"), local.root());
        }
    }

    @Test
    void theArgumentMayContainSpacesAndSurroundingWhitespaceIsIgnored() {
        String config = "  " + LocalDirectoryProvider.class.getName() + "   " + dir.resolve("with space") + "  ";
        try (BackupProvider provider = loader.load(config)) {
            assertEquals(dir.resolve("with space"), ((LocalDirectoryProvider) provider).root());
        }
    }

    @Test
    void aClassWithoutArgumentUsesItsNoArgumentConstructor() {
        try (BackupProvider provider = loader.load(InMemoryProvider.class.getName())) {
            assertInstanceOf(InMemoryProvider.class, provider);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   "})
    void aBlankValueSaysHowToSetIt(String config) {
        BackupConfigException e = assertThrows(BackupConfigException.class, () -> loader.load(config));
        assertTrue(e.getMessage().contains("backup.provider is not set"), e.getMessage());
        assertTrue(e.getMessage().contains("<fully.qualified.Class> <argument>"), e.getMessage());
    }

    @Test
    void aNullValueSaysHowToSetIt() {
        assertThrows(BackupConfigException.class, () -> loader.load(null));
    }

    @Test
    void anUnknownClassNamesTheValueAndTheFix() {
        String config = "com.example.NoSuchProvider my-bucket";
        BackupConfigException e = assertThrows(BackupConfigException.class, () -> loader.load(config));
        assertTrue(e.getMessage().contains("\"" + config + "\""), e.getMessage());
        assertTrue(e.getMessage().contains("not on the classpath"), e.getMessage());
        assertTrue(e.getMessage().contains("lib/"), e.getMessage());
    }

    @Test
    void aMalformedClassNameIsRefused() {
        BackupConfigException e = assertThrows(BackupConfigException.class, () -> loader.load("s3://bucket/prefix"));
        assertTrue(e.getMessage().contains("not a fully qualified Java class name"), e.getMessage());
    }

    @Test
    void aClassThatIsNotAProviderIsRefused() {
        BackupConfigException e = assertThrows(BackupConfigException.class, () -> loader.load("java.lang.String x"));
        assertTrue(e.getMessage().contains("does not implement " + BackupProvider.class.getName()), e.getMessage());
    }

    @Test
    void anAbstractProviderIsRefused() {
        BackupConfigException e = assertThrows(BackupConfigException.class,
                () -> loader.load(BackupProvider.class.getName()));
        assertTrue(e.getMessage().contains("abstract"), e.getMessage());
    }

    @Test
    void anArgumentForAClassWithoutAStringConstructorIsRefused() {
        BackupConfigException e = assertThrows(BackupConfigException.class,
                () -> loader.load(InMemoryProvider.class.getName() + " unexpected"));
        assertTrue(e.getMessage().contains("has no public constructor taking one String"), e.getMessage());
    }

    @Test
    void noArgumentForAClassThatNeedsOneIsRefused() {
        BackupConfigException e = assertThrows(BackupConfigException.class,
                () -> loader.load(LocalDirectoryProvider.class.getName()));
        assertTrue(e.getMessage().contains("no-argument constructor"), e.getMessage());
    }

    @Test
    void aConstructorThatThrowsIsReportedWithItsReason() throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "not a directory");
        BackupConfigException e = assertThrows(BackupConfigException.class,
                () -> loader.load(LocalDirectoryProvider.class.getName() + " " + file));
        assertTrue(e.getMessage().contains("refused its argument"), e.getMessage());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }
}
