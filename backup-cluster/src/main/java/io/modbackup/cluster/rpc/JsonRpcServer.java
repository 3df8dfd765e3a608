package io.modbackup.cluster.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import io.modbackup.core.async.Futures;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves Java interfaces over JSON-RPC (see {@link JsonRpc}) on the JDK's HTTP server, bound to the
 * loopback address on a free port. Each call runs on its own thread, so a slow call does not hold up
 * the others. Counts the bytes it receives and sends.
 */
public final class JsonRpcServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(JsonRpcServer.class);
    private static final String NO_DELAY = "sun.net.httpserver.nodelay";

    private final ObjectMapper json = JsonRpc.mapper();
    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
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

    /** Starts serving on a free loopback port. */
    public JsonRpcServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.setExecutor(threads);
        server.createContext("/rpc/", this::handle);
        server.start();
    }

    /** Serves {@code target}'s methods of {@code api} as {@code /rpc/<service>/<method>}. */
    public <T> void export(String service, Class<T> api, T target) {
        services.put(service, new Exported(target, JsonRpc.methods(api)));
    }

    /** Serves another handler at {@code path}, such as a web page. */
    public void serve(String path, com.sun.net.httpserver.HttpHandler handler) {
        server.createContext(path, handler);
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
            String[] parts = exchange.getRequestURI().getPath().split("/");
            Exported service = parts.length == 4 ? services.get(parts[2]) : null;
            Method method = service == null ? null : service.methods().get(parts[3]);
            byte[] body = exchange.getRequestBody().readAllBytes();
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
