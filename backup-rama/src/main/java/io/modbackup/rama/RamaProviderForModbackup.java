package io.modbackup.rama;

import io.modbackup.api.provider.BackupConfigException;
import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.provider.BackupStorageException;
import io.modbackup.api.provider.ExactLengthInputStream;
import io.modbackup.api.provider.ObjectKeys;
import io.modbackup.api.provider.PageTokens;
import io.modbackup.api.provider.ProgressInputStream;
import io.modbackup.api.provider.ProviderLoader;
import java.io.InputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * A provider written for Rama ({@code com.rpl.rama.backup.BackupProvider}) under our engine. Our
 * {@code backup.provider} value names this class, then the Rama provider's class and its argument:
 *
 * <pre>
 * backup.provider: "io.modbackup.rama.RamaProviderForModbackup com.rpl.rama.backup.s3.S3BackupProvider my-bucket"
 * </pre>
 *
 * <p>What it bridges: keys and prefixes are checked against our rules before the Rama provider sees
 * them ({@link IllegalArgumentException}); the length is passed boxed, and a stream shorter than it
 * fails the put instead of storing a short object; {@code null} from {@code getObject} is our
 * "absent"; non-recursive names get the trailing {@code /} our SPI gives directories, which Rama's
 * listings drop (one recursive listing of at most a page per name tells a directory from an object,
 * in parallel, so a non-recursive page costs up to 1 + page-size calls); Rama's page markers are
 * wrapped in our page tokens, so a token from another listing is refused; failures become
 * {@link BackupStorageException}s naming the key.
 *
 * <p>What it cannot bridge: Rama's providers complete {@link #hasKey} with {@code false} on any error.
 * A {@code false} from this provider may therefore hide a failure, where our SPI requires one. The
 * engine uses {@code hasKey} to skip uploading chunks the store holds, so a hidden error only costs
 * an upload; reads of missing data still fail, and verify reads the objects themselves.
 *
 * <p>Threading and idempotency are the Rama provider's; Rama's providers are thread-safe.
 */
public final class RamaProviderForModbackup implements BackupProvider {
    private final com.rpl.rama.backup.BackupProvider rama;
    private final String name;
    private volatile ProgressListener listener;

    /**
     * Loads the Rama provider named by {@code ramaProviderConfig}, {@code "<Rama provider class> <its argument>"}:
     * its public {@code (String)} constructor with the argument, or its no-argument one without.
     *
     * @throws BackupConfigException naming the value when the class is missing, is not a Rama
     *     provider, lacks the constructor or refuses its argument
     */
    public RamaProviderForModbackup(String ramaProviderConfig) {
        this(load(ramaProviderConfig));
    }

    /** Serves {@code rama} through our SPI; closing this closes it. */
    public RamaProviderForModbackup(com.rpl.rama.backup.BackupProvider rama) {
        this.rama = Objects.requireNonNull(rama, "rama");
        this.name = rama.getClass().getName();
    }

    private static com.rpl.rama.backup.BackupProvider load(String config) {
        String self = RamaProviderForModbackup.class.getName();
        if (config == null || config.isBlank()) {
            throw new BackupConfigException(self + " needs the Rama provider after it: \"" + self
                    + " <Rama provider class> <its argument>\", e.g. \"" + self + " com.rpl.rama.backup.s3.S3BackupProvider my-bucket\"");
        }
        ProviderLoader.ProviderSpec spec = ProviderLoader.parse(config);
        String what = "Rama provider \"" + config + "\"";
        Class<?> type;
        try {
            type = Class.forName(spec.className(), false, RamaProviderForModbackup.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new BackupConfigException(what + ": class " + spec.className()
                    + " is not on the classpath; put its jar next to backup-rama's", e);
        }
        if (!com.rpl.rama.backup.BackupProvider.class.isAssignableFrom(type)) {
            throw new BackupConfigException(what + ": class " + spec.className() + " does not implement "
                    + com.rpl.rama.backup.BackupProvider.class.getName());
        }
        try {
            Constructor<?> constructor = spec.argument() == null ? type.getConstructor() : type.getConstructor(String.class);
            Object instance = spec.argument() == null ? constructor.newInstance() : constructor.newInstance(spec.argument());
            return (com.rpl.rama.backup.BackupProvider) instance;
        } catch (NoSuchMethodException e) {
            throw new BackupConfigException(what + ": class " + spec.className() + " has no public "
                    + (spec.argument() == null ? "no-argument constructor" : "constructor taking one String"), e);
        } catch (InvocationTargetException e) {
            throw new BackupConfigException(what + ": " + spec.className() + " refused its argument: " + e.getCause(),
                    e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new BackupConfigException(what + ": cannot instantiate " + spec.className() + ": " + e, e);
        }
    }

    @Override
    public CompletableFuture<Void> putObject(String key, InputStream in, long length) {
        return call("put", key, () -> {
            ObjectKeys.requireValidKey(key);
            if (length < 0) {
                throw new IllegalArgumentException("length must not be negative, got " + length + " for '" + key + "'");
            }
            InputStream counted = new ProgressInputStream(new ExactLengthInputStream(in, length, key), () -> listener,
                    Direction.UPLOAD, key);
            return rama.putObject(key, counted, length);
        });
    }

    @Override
    public CompletableFuture<InputStream> getObject(String key) {
        return call("get", key, () -> {
            ObjectKeys.requireValidKey(key);
            return rama.<InputStream>getObject(key);
        }).thenApply(in -> in == null ? null : new ProgressInputStream(in, () -> listener, Direction.DOWNLOAD, key));
    }

    /** As Rama's provider answers: {@code false} may hide an error there (see the class comment). */
    @Override
    public CompletableFuture<Boolean> hasKey(String key) {
        return call("check", key, () -> {
            ObjectKeys.requireValidKey(key);
            return rama.hasKey(key);
        });
    }

    @Override
    public CompletableFuture<Void> deleteObject(String key) {
        return call("delete", key, () -> {
            ObjectKeys.requireValidKey(key);
            return rama.deleteObject(key);
        });
    }

    @Override
    public CompletableFuture<KeysPage> listKeysRecursive(String prefix, String pageToken) {
        String listing = "r:" + prefix;
        return call("list", prefix, () -> {
            ObjectKeys.requireValidPrefix(prefix);
            return rama.listKeysRecursive(prefix, PageTokens.decode(pageToken, listing));
        }).thenApply(page -> new KeysPage(page.keys, token(listing, page.nextPageMarker)));
    }

    @Override
    public CompletableFuture<KeysPage> listKeysNonRecursive(String prefix, String pageToken, int pageSize) {
        String listing = "n:" + prefix;
        return call("list", prefix, () -> {
            ObjectKeys.requireDirectoryPrefix(prefix);
            return rama.listKeysNonRecursive(prefix, PageTokens.decode(pageToken, listing), pageSize <= 0 ? -1 : pageSize);
        }).thenCompose(page -> {
            List<CompletableFuture<String>> names = new ArrayList<>();
            for (String name : page.keys) {
                names.add(call("list", prefix + name + "/", () -> rama.listKeysRecursive(prefix + name + "/", null))
                        .thenApply(below -> below.keys.isEmpty() ? name : name + "/"));
            }
            return CompletableFuture.allOf(names.toArray(CompletableFuture[]::new)).thenApply(v -> {
                // Directory names sort by their '/', which Rama's listing left out: "a-c" < "a/" though "a" < "a-c".
                List<String> sorted = names.stream().map(CompletableFuture::join).sorted().toList();
                return new KeysPage(sorted, token(listing, page.nextPageMarker));
            });
        });
    }

    private static String token(String listing, String marker) {
        return marker == null ? null : PageTokens.encode(listing, marker);
    }

    @Override
    public void setProgressListener(ProgressListener listener) {
        this.listener = listener;
    }

    @Override
    public void close() {
        rama.close();
    }

    /**
     * Starts a Rama call; an invalid argument fails the future with its own
     * {@link IllegalArgumentException}, any other failure (thrown or completed) with a
     * {@link BackupStorageException} naming the operation, the key and the Rama provider.
     */
    private <T> CompletableFuture<T> call(String operation, String key, Supplier<CompletableFuture<T>> start) {
        CompletableFuture<T> started;
        try {
            started = Objects.requireNonNull(start.get(), () -> name + " returned no future for " + operation + " '" + key + "'");
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        } catch (RuntimeException e) {
            started = CompletableFuture.failedFuture(e);
        }
        return started.handle((value, error) -> {
            if (error == null) {
                return value;
            }
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            if (cause instanceof IllegalArgumentException argument) {
                throw argument;
            }
            throw new BackupStorageException("Rama provider " + name + " could not " + operation + " '" + key + "': "
                    + cause.getMessage(), cause);
        });
    }
}
