package io.modbackup.api.runtime;

/** How a captured file may change between backups, which decides how the engine may reuse its upload. */
public enum FileKind {
    /** Never changes once it exists (an SST, a sealed depot segment): same path and size means same bytes. */
    IMMUTABLE,
    /** Only grows at its end (the active depot segment, a write-ahead log): a prefix of it never changes. */
    APPEND_ONLY,
    /** May be rewritten (progress, small metadata such as RocksDB's MANIFEST and CURRENT). */
    MUTABLE
}
