package io.modbackup.cluster.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Calls an interface served by a {@link JsonRpcServer} through a dynamic proxy on the JDK's
 * {@link HttpClient}. Every call has a deadline; a peer that does not answer in time, or cannot be
 * reached, fails the call with an {@link IllegalStateException} naming the peer and the call. A failure
 * the callee threw comes back as the same exception type when it is a {@link RuntimeException} with a
 * message constructor (so a {@code CorruptBackupException} stays one), else as a
 * {@link RemoteCallException}. Thread-safe.
 */
public final class JsonRpcClient {
    /** How long past a call's deadline the client waits for the answer's body before it gives up. */
    private static final long ANSWER_GRACE_MILLIS = 2_000;
    private final ObjectMapper json = JsonRpc.mapper();
    private final HttpClient http;
    private final AtomicLong bytesOut = new AtomicLong();
    private final AtomicLong bytesIn = new AtomicLong();
    private final RpcSecret secret;

    /** A client whose calls carry {@code secret}, the cluster's, which its servers require. */
    public JsonRpcClient(RpcSecret secret) {
        this.secret = secret;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2))
                .build();
    }

    /** Bytes of requests sent so far. */
    public long bytesOut() {
        return bytesOut.get();
    }

    /** Bytes of answers received so far. */
    public long bytesIn() {
        return bytesIn.get();
    }

    /**
     * A proxy calling {@code service} at the address {@code address} gives at each call (a restarted peer
     * may have moved).
     *
     * @param peer names the peer in messages: "Supervisor supervisor-1"
     * @param deadline how long each call may take, by method
     */
    public <T> T proxy(Class<T> api, String service, String peer, Supplier<URI> address, Function<Method, Duration> deadline) {
        return proxy(api, service, peer, address, deadline, (method, call) -> call);
    }

    /**
     * Watches each call of a proxy: given the method and the call's future, returns the future the caller
     * gets (and, for a blocking method, waits on), which may fail before the call does, for a peer known
     * to be down. Called on the caller's thread; must not block.
     */
    @FunctionalInterface
    public interface CallGuard {
        CompletableFuture<Object> watch(Method method, CompletableFuture<Object> call);
    }

    /** As {@link #proxy(Class, String, String, Supplier, Function)}, each call watched by {@code guard}. */
    public <T> T proxy(Class<T> api, String service, String peer, Supplier<URI> address, Function<Method, Duration> deadline,
                       CallGuard guard) {
        Map<String, Method> methods = JsonRpc.methods(api);
        Object proxy = Proxy.newProxyInstance(api.getClassLoader(), new Class<?>[] {api}, (self, method, args) -> {
            if (method.getDeclaringClass() == Object.class) {
                return switch (method.getName()) {
                    case "toString" -> api.getSimpleName() + " of " + peer;
                    case "hashCode" -> System.identityHashCode(self);
                    case "equals" -> self == args[0];
                    default -> throw new UnsupportedOperationException(method.getName());
                };
            }
            if (!methods.containsKey(method.getName())) {
                return java.lang.reflect.InvocationHandler.invokeDefault(self, method, args);
            }
            CompletableFuture<Object> call = guard.watch(method, call(service, peer, address, method,
                    args == null ? new Object[0] : args, deadline.apply(method)));
            if (method.getReturnType() == CompletableFuture.class) {
                return call;
            }
            try {
                return call.join();
            } catch (java.util.concurrent.CompletionException e) {
                // The failure was raised on an HTTP client thread: give it the caller's stack, which says where
                // the call was made (the callee's stack stayed in the callee).
                Throwable cause = e.getCause();
                cause.setStackTrace(new Throwable().getStackTrace());
                throw cause;
            }
        });
        return api.cast(proxy);
    }

    private CompletableFuture<Object> call(String service, String peer, Supplier<URI> address, Method method, Object[] args,
                                           Duration deadline) {
        byte[] body;
        URI target;
        try {
            body = json.writeValueAsBytes(args);
            target = address.get().resolve("/rpc/" + service + "/" + method.getName());
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.failedFuture(new IllegalStateException("cannot call " + method.getName() + " on "
                    + peer + ": " + e.getMessage(), e));
        }
        bytesOut.addAndGet(body.length);
        HttpRequest request = HttpRequest.newBuilder(target).timeout(deadline)
                .header("Content-Type", "application/json").header("Authorization", secret.authorization()).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        // The request's own timeout covers waiting for the answer's headers; the future's covers the rest, and
        // holds even where the HTTP client loses a request on a reused connection (seen under thousands of calls).
        CompletableFuture<HttpResponse<byte[]>> sent = http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
                .orTimeout(deadline.toMillis() + ANSWER_GRACE_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
        return sent.handle((response, error) -> {
            if (error != null) {
                Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                boolean timedOut = cause instanceof java.net.http.HttpTimeoutException
                        || cause instanceof java.util.concurrent.TimeoutException;
                throw new IllegalStateException(peer + " did not answer " + method.getName()
                        + (timedOut ? " within " + deadline.toMillis() + " ms" : ": " + cause), cause);
            }
            bytesIn.addAndGet(response.body().length);
            try {
                JsonNode answer = json.readTree(response.body());
                if (response.statusCode() != 200) {
                    throw rebuild(peer, answer.path("type").asText(), answer.path("message").asText());
                }
                return json.treeToValue(answer.get("result"), JsonRpc.resultType(json, method));
            } catch (IOException e) {
                throw new IllegalStateException(peer + " answered " + method.getName() + " with malformed JSON: "
                        + e.getMessage(), e);
            }
        });
    }

    /**
     * The callee's exception, as its own type when that type can be rebuilt from a message. The type is
     * loaded without running its initializer, and only a {@link RuntimeException} is constructed.
     */
    private static RuntimeException rebuild(String peer, String type, String message) {
        try {
            Class<?> cls = Class.forName(type, false, JsonRpcClient.class.getClassLoader());
            if (RuntimeException.class.isAssignableFrom(cls)) {
                Constructor<?> constructor = cls.getConstructor(String.class);
                return (RuntimeException) constructor.newInstance(message);
            }
        } catch (ReflectiveOperationException | LinkageError notRebuildable) {
            // below
        }
        return new RemoteCallException(peer, type, message);
    }
}
