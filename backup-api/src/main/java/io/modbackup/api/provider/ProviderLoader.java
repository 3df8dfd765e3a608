package io.modbackup.api.provider;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.util.Objects;

/**
 * Turns the {@code backup.provider} config value, {@code "<fully.qualified.Class> <argument>"}, into
 * a {@link BackupProvider}. Every problem is a {@link BackupConfigException} that quotes the value
 * and says what to fix.
 */
public final class ProviderLoader {
    /** The config key this loader reads. */
    public static final String CONFIG_KEY = "backup.provider";
    /**
     * The Conductor's own provider setting: the same store as {@link #CONFIG_KEY}, reached with credentials
     * that may delete (leases, garbage collection), so that the Supervisors' {@code backup.provider} may be
     * write-only. Read by the Conductor and the CLI; a Supervisor never reads it. Optional: without it the
     * Conductor uses {@code backup.provider}.
     */
    public static final String CONDUCTOR_CONFIG_KEY = "backup.conductor.provider";

    private final ClassLoader classLoader;

    /** A loader that finds provider classes through {@code classLoader} (the host's {@code lib/}). */
    public ProviderLoader(ClassLoader classLoader) {
        this.classLoader = Objects.requireNonNull(classLoader, "classLoader");
    }

    /** A loader that finds provider classes through the loader that loaded this class. */
    public ProviderLoader() {
        this(ProviderLoader.class.getClassLoader());
    }

    /** The class name and argument of a {@code backup.provider} value; {@code argument} may be null. */
    public record ProviderSpec(String className, String argument) {
        public ProviderSpec {
            Objects.requireNonNull(className, "className");
        }
    }

    /**
     * Splits {@code configValue} at its first run of whitespace into class name and argument.
     *
     * @throws BackupConfigException when the value is blank or the class name is not a Java name
     */
    public static ProviderSpec parse(String configValue) {
        if (configValue == null || configValue.isBlank()) {
            throw new BackupConfigException(CONFIG_KEY + " is not set: give it \"<fully.qualified.Class> <argument>\", e.g. \""
                    + "io.modbackup.core.provider.local.LocalDirectoryProvider /var/backups/modbackup\"");
        }
        String trimmed = configValue.strip();
        String[] parts = trimmed.split("\\s+", 2);
        String className = parts[0];
        String argument = parts.length == 2 ? parts[1] : null;
        if (!isJavaClassName(className)) {
            throw new BackupConfigException(describe(configValue) + ": '" + className
                    + "' is not a fully qualified Java class name; the value must start with the provider class, e.g. "
                    + "com.example.MyBackupProvider");
        }
        return new ProviderSpec(className, argument);
    }

    /**
     * Instantiates the provider named by {@code configValue}: its public {@code (String)} constructor
     * with the argument, or its public no-argument constructor when the value has no argument.
     *
     * @throws BackupConfigException naming the value when the class is missing, is not a
     *     {@link BackupProvider}, lacks the constructor, or its constructor throws
     */
    public BackupProvider load(String configValue) {
        ProviderSpec spec = parse(configValue);
        Class<?> type;
        try {
            type = Class.forName(spec.className(), false, classLoader);
        } catch (ClassNotFoundException | LinkageError e) {
            throw new BackupConfigException(describe(configValue) + ": class " + spec.className()
                    + " is not on the classpath; put the provider's jar in lib/ of the Conductor and every Supervisor"
                    + " and restart them", e);
        }
        if (!BackupProvider.class.isAssignableFrom(type)) {
            throw new BackupConfigException(describe(configValue) + ": class " + spec.className()
                    + " does not implement " + BackupProvider.class.getName());
        }
        if (type.isInterface() || Modifier.isAbstract(type.getModifiers())) {
            throw new BackupConfigException(describe(configValue) + ": class " + spec.className()
                    + " is abstract; name a concrete BackupProvider class");
        }
        Constructor<?> constructor = findConstructor(type, spec, configValue);
        try {
            Object instance = spec.argument() == null ? constructor.newInstance() : constructor.newInstance(spec.argument());
            return (BackupProvider) instance;
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            throw new BackupConfigException(describe(configValue) + ": " + spec.className()
                    + " refused its argument: " + cause, cause);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new BackupConfigException(describe(configValue) + ": cannot instantiate " + spec.className() + ": " + e, e);
        }
    }

    private static Constructor<?> findConstructor(Class<?> type, ProviderSpec spec, String configValue) {
        try {
            Constructor<?> c = spec.argument() == null ? type.getConstructor() : type.getConstructor(String.class);
            if (!Modifier.isPublic(type.getModifiers())) {
                throw new NoSuchMethodException("class is not public");
            }
            return c;
        } catch (NoSuchMethodException e) {
            String needed = spec.argument() == null
                    ? "public no-argument constructor (give an argument after the class name if it takes one)"
                    : "public constructor taking one String (for the argument '" + spec.argument() + "')";
            throw new BackupConfigException(describe(configValue) + ": class " + spec.className() + " has no " + needed, e);
        }
    }

    private static String describe(String configValue) {
        return CONFIG_KEY + " \"" + configValue + "\"";
    }

    private static boolean isJavaClassName(String name) {
        if (name.isEmpty() || name.startsWith(".") || name.endsWith(".") || name.contains("..")) {
            return false;
        }
        for (String part : name.split("\\.")) {
            if (!Character.isJavaIdentifierStart(part.codePointAt(0))) {
                return false;
            }
            if (!part.codePoints().allMatch(cp -> Character.isJavaIdentifierPart(cp) || cp == '$')) {
                return false;
            }
        }
        return true;
    }
}
