package io.modbackup.api.runtime;

import java.util.Objects;

/**
 * An object of another module that a module depends on, e.g. PState {@code $$p} of module A. A
 * restore of module A is refused when the backup lacks an object that another module depends on.
 */
public record ObjectRef(String module, ObjectKind kind, String name) {
    public ObjectRef {
        Objects.requireNonNull(module, "module");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(name, "name");
    }

    @Override
    public String toString() {
        return kind.name().toLowerCase(java.util.Locale.ROOT) + " " + name + " of module " + module;
    }
}
