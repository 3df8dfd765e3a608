package io.modbackup.core.manifest;

/**
 * Where a packed file's bytes are inside its one chunk, a <em>pack</em>: the file is bytes
 * {@code [offset, offset + size)} of a chunk of {@code packSize} bytes that holds several small files of
 * one task back to back. The pack is content-addressed like any chunk, so the index, the GC's reference
 * counts, verify and copies treat it as one; only reading a file out of it needs the slice.
 *
 * @param offset where the file starts in the pack
 * @param packSize the whole pack's length (what the store holds under the chunk's name)
 */
public record PackSlice(long offset, long packSize) {
}
