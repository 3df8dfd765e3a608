package io.modbackup.core.store;

import java.util.concurrent.CompletableFuture;

/**
 * Files being restored, in two steps a caller can wait for apart: {@code written} completes once every file is
 * written whole and verified, {@code durable} once every file is also fsynced. Either completes exceptionally
 * with the first failure ({@code durable} with a write's failure too). A caller may start more files once
 * {@code written} completed, so that the disk syncs these while the next ones are read and hashed, and must
 * await {@code durable} before anything relies on these files.
 */
public record Restoring(CompletableFuture<Void> written, CompletableFuture<Void> durable) {
}
