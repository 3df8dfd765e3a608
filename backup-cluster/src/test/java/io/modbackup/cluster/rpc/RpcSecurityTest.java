package io.modbackup.cluster.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.cluster.node.Catalogs;
import io.modbackup.sim.ClusterView;
import io.modbackup.sim.ModuleCode;
import io.modbackup.sim.SupervisorChannel;
import io.modbackup.sim.SupervisorHost;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node RPC as an attacker on the same machine meets it: a real server exporting a real
 * Supervisor's channel, called over raw sockets as another local process or a web page would. Before
 * the secret, each of these calls was served: {@code discardStaging} with an absolute restore ID
 * deleted that directory.
 */
@EnabledOnOs(OS.LINUX)
class RpcSecurityTest {
    @TempDir
    Path dir;
    private Path canary;
    private RpcSecret secret;
    private JsonRpcServer server;
    private SupervisorHost host;
    private final AtomicInteger pageCalls = new AtomicInteger();

    @BeforeEach
    void start() throws IOException {
        canary = Files.createDirectories(dir.resolve("operator-data"));
        Files.writeString(canary.resolve("precious.txt"), "keep me");
        Path cluster = Files.createDirectories(dir.resolve("cluster"));
        secret = RpcSecret.createIfAbsent(cluster);
        host = new SupervisorHost("supervisor-0", cluster.resolve("supervisor-0"), 64 * 1024,
                new ModuleCode(Catalogs.named("sample")), new ClusterView() {
                    @Override
                    public OptionalInt taskCount(String module) {
                        return OptionalInt.empty();
                    }

                    @Override
                    public List<io.modbackup.sim.DepotEntry> readDepot(String module, String depot, int partition, long from,
                                                                       int max) {
                        return List.of();
                    }

                    @Override
                    public Optional<io.modbackup.api.runtime.RestoreMarker> restoreMarker(String module) {
                        return Optional.empty();
                    }
                });
        server = new JsonRpcServer(secret);
        server.export("supervisor", SupervisorChannel.class, host);
        server.serve("/modules/", exchange -> {
            pageCalls.incrementAndGet();
            byte[] body = "<p>page</p>".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
        });
    }

    @AfterEach
    void stop() {
        server.close();
        host.close();
    }

    private String discardCanary() {
        return "[\"com.mycompany.ModuleA\",\"" + canary + "\"]";
    }

    private void assertCanaryIntact() throws IOException {
        assertEquals("keep me", Files.readString(canary.resolve("precious.txt")));
    }

    @Test
    void aCallWithoutTheSecretIsRefusedAndNothingIsDeleted() throws IOException {
        Answer answer = post("/rpc/supervisor/discardStaging", host(), null, "application/json", discardCanary());
        assertEquals(401, answer.status());
        assertTrue(answer.body().contains("does not carry the cluster's RPC secret"), answer.body());
        assertCanaryIntact();
    }

    @Test
    void aCallWithAWrongSecretIsRefused() throws IOException {
        Answer answer = post("/rpc/supervisor/discardStaging", host(), "Bearer " + "0".repeat(64), "application/json",
                discardCanary());
        assertEquals(401, answer.status());
        assertCanaryIntact();
    }

    @Test
    void aRebindingPageWithTheSecretIsStillRefusedForItsHost() throws IOException {
        Answer answer = post("/rpc/supervisor/discardStaging", "attacker.example:" + server.address().getPort(),
                secret.authorization(), "application/json", discardCanary());
        assertEquals(421, answer.status());
        assertCanaryIntact();
    }

    @Test
    void aCrossSiteFormPostIsRefusedForItsContentType() throws IOException {
        Answer answer = post("/rpc/supervisor/discardStaging", host(), secret.authorization(),
                "application/x-www-form-urlencoded", discardCanary());
        assertEquals(415, answer.status());
        assertCanaryIntact();
    }

    @Test
    void aBodyOverTheCapIsRefusedFromItsLengthBeforeItIsRead() throws IOException {
        String request = "POST /rpc/supervisor/discardStaging HTTP/1.1\r\nHost: " + host() + "\r\nAuthorization: "
                + secret.authorization() + "\r\nContent-Type: application/json\r\nContent-Length: "
                + (JsonRpcServer.MAX_BODY_BYTES + 1L) + "\r\nConnection: close\r\n\r\n";
        Answer answer = send(request.getBytes(StandardCharsets.US_ASCII));
        assertEquals(413, answer.status());
        assertCanaryIntact();
    }

    @Test
    void anAuthenticatedCallNamingAPathIsRefusedAsNoSingleSegmentAndNothingIsDeleted() {
        SupervisorChannel channel = new JsonRpcClient(secret).proxy(SupervisorChannel.class, "supervisor", "Supervisor 0",
                server::address, m -> Duration.ofSeconds(10));
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> channel.discardStaging("com.mycompany.ModuleA", canary.toString()));
        assertEquals("restore ID '" + canary + "' is not a single path segment (empty, '.', '..', longer than 200"
                + " characters, or with '/', '\\', ':' or a control character)", refused.getMessage());
        assertThrows(IllegalArgumentException.class, () -> channel.discardStaging("..", "x"));
        assertTrue(Files.exists(canary.resolve("precious.txt")));
        assertEquals(List.of(), channel.stagedTasks("com.mycompany.ModuleA", "restore-1"), "a well-formed call is served");
    }

    @Test
    void theClientWithAnotherClustersSecretGetsANamedRefusal() throws IOException {
        RpcSecret other = RpcSecret.createIfAbsent(Files.createDirectories(dir.resolve("other")));
        SupervisorChannel channel = new JsonRpcClient(other).proxy(SupervisorChannel.class, "supervisor", "Supervisor 0",
                server::address, m -> Duration.ofSeconds(10));
        SecurityException refused = assertThrows(SecurityException.class,
                () -> channel.stagedTasks("com.mycompany.ModuleA", "restore-1"));
        assertTrue(refused.getMessage().contains("RPC secret"), refused.getMessage());
    }

    @Test
    void thePageAnswersOnlyItsOwnHostAndForbidsSniffingAndFraming() throws IOException {
        Answer foreign = send(("GET /modules/x/backups HTTP/1.1\r\nHost: attacker.example:" + server.address().getPort()
                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        assertEquals(421, foreign.status());
        assertEquals(0, pageCalls.get());
        Answer own = send(("GET /modules/x/backups HTTP/1.1\r\nHost: " + host() + "\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        assertEquals(200, own.status());
        assertEquals(1, pageCalls.get());
        assertTrue(own.headers().contains("x-content-type-options: nosniff"), own.headers());
        assertTrue(own.headers().contains("x-frame-options: deny"), own.headers());
        assertTrue(own.headers().contains("content-security-policy: default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"),
                own.headers());
    }

    @Test
    void theSecretFileIsTheOwnersAloneAndAReadableOneIsRefused() throws IOException {
        Path file = dir.resolve("cluster").resolve(RpcSecret.FILE);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(RpcSecret.read(dir.resolve("cluster")).authorization(), secret.authorization());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> RpcSecret.read(dir.resolve("cluster")));
        assertEquals("the cluster's RPC secret " + file + " is readable by other users (rw-r--r--): chmod 600 it",
                refused.getMessage());
        assertFalse(secret.toString().contains(secret.authorization().substring(7)));
    }

    // ------------------------------------------------------------------ raw HTTP

    private record Answer(int status, String headers, String body) {
    }

    private String host() {
        return "127.0.0.1:" + server.address().getPort();
    }

    private Answer post(String path, String hostHeader, String authorization, String contentType, String body)
            throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String request = "POST " + path + " HTTP/1.1\r\nHost: " + hostHeader + "\r\n"
                + (authorization == null ? "" : "Authorization: " + authorization + "\r\n")
                + "Content-Type: " + contentType + "\r\nContent-Length: " + bytes.length + "\r\nConnection: close\r\n\r\n";
        byte[] head = request.getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[head.length + bytes.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(bytes, 0, all, head.length, bytes.length);
        return send(all);
    }

    private Answer send(byte[] request) throws IOException {
        try (Socket socket = new Socket(server.address().getHost(), server.address().getPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(request);
            out.flush();
            // Read by the answer's length, not to the end: a refused call's unread body keeps the connection open.
            InputStream in = socket.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int c = in.read();
                if (c < 0) {
                    throw new IOException("the server closed the connection after " + head);
                }
                head.append((char) c);
            }
            String headers = head.toString().toLowerCase(java.util.Locale.ROOT);
            int status = Integer.parseInt(headers.split(" ")[1]);
            java.util.regex.Matcher length = java.util.regex.Pattern.compile("content-length: (\\d+)").matcher(headers);
            byte[] body = length.find() ? in.readNBytes(Integer.parseInt(length.group(1))) : in.readAllBytes();
            return new Answer(status, headers, new String(body, StandardCharsets.UTF_8));
        }
    }
}
