package io.modbackup.cluster.node;

import java.util.HashMap;
import java.util.Map;

/** {@code --name value} arguments of a node process. */
final class NodeArgs {
    private final Map<String, String> values = new HashMap<>();

    NodeArgs(String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --name value pairs, got " + String.join(" ", args));
            }
            values.put(args[i].substring(2), args[++i]);
        }
    }

    String get(String name) {
        String value = values.get(name);
        if (value == null) {
            throw new IllegalArgumentException("missing --" + name);
        }
        return value;
    }

    /** The Conductor's own provider ({@code --conductor-provider}), or "" for none: it then uses {@code --provider}. */
    String conductorProvider() {
        return values.getOrDefault("conductor-provider", "").strip();
    }

    /** The store settings these arguments carry ({@code --compression}, {@code --encryption-key}), as config keys. */
    java.util.Map<String, String> storeSettings() {
        java.util.Map<String, String> settings = new java.util.LinkedHashMap<>();
        String compression = values.getOrDefault("compression", "");
        String key = values.getOrDefault("encryption-key", "");
        if (!compression.isEmpty()) {
            settings.put(io.modbackup.core.seal.Compression.CONFIG_KEY, compression);
        }
        if (!key.isEmpty()) {
            settings.put(io.modbackup.core.crypto.MasterKeys.CONFIG_KEY, key);
        }
        return settings;
    }

    long getLong(String name) {
        return Long.parseLong(get(name));
    }
}
