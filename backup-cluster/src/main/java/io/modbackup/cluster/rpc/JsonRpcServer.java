package io.modbackup.cluster.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.modbackup.core.async.Futures;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves Java interfaces over JSON-RPC (see {@link JsonRpc}) on the JDK's HTTP server, bound to the
 * loopback address on a free port. Each call runs on its own thread (up to {@value #MAX_THREADS} at
 * once), so a slow call does not hold up the others. Counts the bytes it receives and sends.
 *
 * <p>Before a call's body is read, the request must name a loopback {@code Host} (a page on another
 * site that rebinds its DNS name to 127.0.0.1 sends its own name), carry the cluster's
 * {@link RpcSecret} as a bearer token, declare {@code application/json} (a cross-site form cannot
 * without a preflight, which this server never grants) and be at most {@value #MAX_BODY_BYTES}
 * bytes. Other pages ({@link #serve}) get the same {@code Host} check and headers that stop a browser
 * from sniffing or framing them.
 */
public final class JsonRpcServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(JsonRpcServer.class);
    private static final String NO_DELAY = "sun.net.httpserver.nodelay";

    /** The largest request body served; the largest the nodes send (a batch of appends) is far smaller. */
    static final int MAX_BODY_BYTES = 16 << 20;
    /** Calls served at once; more wait in a queue of the same size, and beyond that are refused. */
    static final int MAX_THREADS = 256;

    private final ObjectMapper json = JsonRpc.mapper();
    private final HttpServer server;
    private final RpcSecret secret;
    private final ThreadPoolExecutor threads = new ThreadPoolExecutor(MAX_THREADS, MAX_THREADS, 30, TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(MAX_THREADS), r -> {
                Thread t = new Thread(r, "rpc-server");
                t.setDaemon(true);
                return t;
            });
    private final Map<String, Exported> services = new ConcurrentHashMap<>();
    private final AtomicLong bytesIn = new AtomicLong();
    private final AtomicLong bytesOut = new AtomicLong();

    private record Exported(Object target, Map<String, Method> methods) {
    }

    static {
        // The JDK's server leaves Nagle's algorithm on unless told otherwise: every small answer then waits for
        // the client's delayed ACK, about 40 ms a call. Read once, when its first server is created.
        if (System.getProperty(NO_DELAY) == null) {
            System.setProperty(NO_DELAY, "true");
        }
    }

    /** Starts serving on a free loopback port, to callers that hold {@code secret}. */
    public JsonRpcServer(RpcSecret secret) throws IOException {
        this.secret = secret;
        threads.allowCoreThreadTimeOut(true);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.setExecutor(threads);
        server.createContext("/rpc/", this::handle);
        server.start();
    }

    /** Serves {@code target}'s methods of {@code api} as {@code /rpc/<service>/<method>}. */
    public <T> void export(String service, Class<T> api, T target) {
        services.put(service, new Exported(target, JsonRpc.methods(api)));
    }

    /**
     * Serves another handler at {@code path}, such as a web page, to any local caller that names a
     * loopback {@code Host}; its answers tell the browser not to sniff their type or frame them.
     */
    public void serve(String path, HttpHandler handler) {
        server.createContext(path, exchange -> {
            try (exchange) {
                Headers headers = exchange.getResponseHeaders();
                headers.set("X-Content-Type-Options", "nosniff");
                headers.set("X-Frame-Options", "DENY");
                // The page is one HTML document with its style inline and no script: nothing else may load.
                headers.set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
                if (!loopbackHost(exchange)) {
                    refuse(exchange, 421, "this server answers only requests addressed to " + address());
                    return;
                }
                handler.handle(exchange);
            }
        });
    }

    /** Where clients reach this server: {@code http://127.0.0.1:<port>}. */
    public URI address() {
        return URI.create("http://" + server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort());
    }

    /** Bytes of requests received so far. */
    public long bytesIn() {
        return bytesIn.get();
    }

    /** Bytes of answers sent so far. */
    public long bytesOut() {
        return bytesOut.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            Refusal refusal = refusal(exchange);
            if (refusal != null) {
                refuse(exchange, refusal.status(), refusal.reason());
                return;
            }
            String[] parts = exchange.getRequestURI().getPath().split("/");
            Exported service = parts.length == 4 ? services.get(parts[2]) : null;
            Method method = service == null ? null : service.methods().get(parts[3]);
            byte[] body = readBody(exchange);
            if (body == null) {
                refuse(exchange, TOO_LARGE.status(), TOO_LARGE.reason());
                return;
            }
            bytesIn.addAndGet(body.length);
            if (method == null) {
                respond(exchange, 404, error("java.lang.UnsupportedOperationException", "no such call "
                        + exchange.getRequestURI().getPath()));
                return;
            }
            Object result;
            try {
                result = invoke(service.target(), method, body);
            } catch (Throwable e) {
                Throwable cause = Futures.cause(e instanceof InvocationTargetException ite ? ite.getCause() : e);
                log.debug("call {} failed: {}", exchange.getRequestURI().getPath(), cause.toString());
                respond(exchange, 500, error(cause.getClass().getName(), String.valueOf(cause.getMessage())));
                return;
            }
            ObjectNode answer = json.createObjectNode();
            answer.set("result", json.valueToTree(result));
            respond(exchange, 200, answer);
        }
    }

    /** An answer to a call that is not served, with its HTTP status. */
    private record Refusal(int status, String reason) {
    }

    private static final Refusal TOO_LARGE = new Refusal(413, "a call's body is at most " + MAX_BODY_BYTES + " bytes");

    /** Why a call is refused before its body is read, or null when it is admitted. */
    private Refusal refusal(HttpExchange exchange) {
        Headers headers = exchange.getRequestHeaders();
        if (!loopbackHost(exchange)) {
            return new Refusal(421, "this server answers only requests addressed to " + address());
        }
        if (!secret.admits(headers.getFirst("Authorization"))) {
            return new Refusal(401, "the call does not carry the cluster's RPC secret (" + RpcSecret.FILE + " in the cluster's"
                    + " directory)");
        }
        if (!"POST".equals(exchange.getRequestMethod())) {
            return new Refusal(405, "a call is a POST");
        }
        String type = headers.getFirst("Content-Type");
        if (type == null || !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            return new Refusal(415, "a call's body is application/json");
        }
        String length = headers.getFirst("Content-Length");
        if (length != null && (!length.matches("[0-9]{1,12}") || Long.parseLong(length) > MAX_BODY_BYTES)) {
            return TOO_LARGE;
        }
        return null;
    }

    /** Whether the request's {@code Host} is this server's loopback address (by number or as localhost). */
    private boolean loopbackHost(HttpExchange exchange) {
        String host = exchange.getRequestHeaders().getFirst("Host");
        int port = server.getAddress().getPort();
        return host != null && (host.equals("127.0.0.1:" + port) || host.equals("localhost:" + port)
                || host.equals("[::1]:" + port));
    }

    /** The body, or null when it is longer than {@link #MAX_BODY_BYTES} (a chunked body has no length to check first). */
    private static byte[] readBody(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
            return body.length > MAX_BODY_BYTES ? null : body;
        }
    }

    private void refuse(HttpExchange exchange, int status, String reason) throws IOException {
        respond(exchange, status, error("java.lang.SecurityException", reason));
    }

    private Object invoke(Object target, Method method, byte[] body) throws Exception {
        JsonNode args = json.readTree(body);
        Object[] values = new Object[method.getParameterCount()];
        for (int i = 0; i < values.length; i++) {
            values[i] = json.treeToValue(args.get(i), json.getTypeFactory().constructType(method.getGenericParameterTypes()[i]));
        }
        Object result = method.invoke(target, values);
        if (result instanceof CompletableFuture<?> future) {
            return future.get();
        }
        return result;
    }

    private ObjectNode error(String type, String message) {
        ObjectNode error = json.createObjectNode();
        error.put("type", type);
        error.put("message", message);
        return error;
    }

    private void respond(HttpExchange exchange, int status, JsonNode body) throws IOException {
        byte[] bytes = json.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
        bytesOut.addAndGet(bytes.length);
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
