package io.modbackup.core.async;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/** Waiting for futures at the engine's blocking edges, with their failures unwrapped. */
public final class Futures {
    private Futures() {
    }

    /**
     * Waits for {@code future} and returns its value. A failure is rethrown as its own unchecked
     * exception or {@link Error}, unwrapped; a checked one is wrapped in an {@link IllegalStateException}
     * saying what was being done. An interruption keeps the thread's interrupt flag and throws.
     *
     * @param doing what the future does, for messages: "read backup X"
     */
    public static <T> T await(Future<T> future, String doing) {
        try {
            return future.get();
        } catch (ExecutionException e) {
            Throwable cause = cause(e);
            if (cause instanceof RuntimeException runtimeException) {
                throw runtimeException;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException("cannot " + doing + ": " + cause, cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while trying to " + doing, e);
        }
    }

    /** Waits for every future in order and returns their values. */
    public static <T> List<T> awaitAll(List<CompletableFuture<T>> futures, String doing) {
        return await(CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
                .thenApply(v -> futures.stream().map(CompletableFuture::join).toList()), doing);
    }

    /** Completes {@code target} as {@code source} completes: with its value, or with the cause of its failure. */
    public static <T> void forward(CompletableFuture<T> source, CompletableFuture<T> target) {
        source.whenComplete((value, error) -> {
            if (error == null) {
                target.complete(value);
            } else {
                target.completeExceptionally(cause(error));
            }
        });
    }

    /** The exception a future failed with, without its {@link CompletionException} or {@link ExecutionException} wrappers. */
    public static Throwable cause(Throwable error) {
        Throwable t = error;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
