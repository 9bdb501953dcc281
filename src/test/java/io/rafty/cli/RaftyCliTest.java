package io.rafty.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Argument parsing, exit codes, output formatting and failover of the CLI, in-process and without a cluster. */
class RaftyCliTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private final List<HttpServer> servers = new CopyOnWriteArrayList<>();

    @AfterEach
    void stopServers() {
        servers.forEach(server -> server.stop(0));
        Endpoints.environment = System.getenv();
    }

    private int run(String... args) {
        return RaftyCli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    }

    private static String deadEndpoint() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return "http://127.0.0.1:" + socket.getLocalPort();
        }
    }

    /** A fake node answering every request with {@code status} and {@code body}, recording Idempotency-Keys. */
    private String fakeNode(int status, String body, List<String> idempotencyKeys) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            idempotencyKeys.add(String.valueOf(exchange.getRequestHeaders().getFirst("Idempotency-Key")));
            exchange.getRequestBody().readAllBytes();
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("content-type", "application/json");
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
        servers.add(server);
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Test
    void firstArgumentNamingACommandRunsTheCliAndAnythingElseStartsANode() {
        for (String command : List.of("put", "get", "del", "ls", "watch", "txn", "lease", "cluster", "bench", "help",
                "--help")) {
            assertTrue(RaftyCli.handles(new String[] {command, "x"}), command);
        }
        assertFalse(RaftyCli.handles(new String[0]));
        assertFalse(RaftyCli.handles(new String[] {"conf/node1.json"}));
    }

    @Test
    void helpListsEveryCommandAndTheExitCodes() {
        assertEquals(0, run("--help"));
        String help = out.toString();
        for (String command : List.of("put", "get", "del", "ls", "watch", "txn", "lease", "cluster", "bench")) {
            assertTrue(help.contains("\n  " + command + " ") || help.contains("\n  " + command + ","),
                    command + " in " + help);
        }
        assertTrue(help.contains("Exit codes:"), help);
        assertTrue(help.contains("3   unavailable"), help);
        out.getBuffer().setLength(0);
        assertEquals(0, run("lease", "grant", "--help"));
        assertTrue(out.toString().contains("Exit codes:"), "subcommands list them too: " + out);
    }

    @Test
    void usageErrorsExitWith2AndOneLine() {
        assertEquals(2, run("put", "only-a-key"));
        assertEquals(2, run("get", "k", "--rev", "abc"));
        assertEquals(2, run("frobnicate-not-a-command"));
        assertEquals(2, run("watch", "k", "--prefix", "p"));
        assertEquals(2, run("lease"));
        assertEquals(2, run("get", "k", "--endpoints", "not-a-url"));
        assertEquals(2, run("get", "k", "--timeout", "-3s"));
        for (String line : err.toString().lines().toList()) {
            assertTrue(line.startsWith("rafty"), line);
        }
        assertFalse(err.toString().contains("\tat "), "no stack trace: " + err);
    }

    @Test
    void noEndpointAnsweringExitsWith3NamingEach() throws IOException {
        String a = deadEndpoint();
        String b = deadEndpoint();
        assertEquals(3, run("get", "k", "--endpoints", a + "," + b));
        assertTrue(err.toString().contains(a + ": connection refused"), err.toString());
        assertTrue(err.toString().contains(b + ": connection refused"), err.toString());
        assertEquals(1, err.toString().lines().count(), err.toString());
    }

    @Test
    void endpointsComeFromTheEnvironmentWhenNotGiven() throws IOException {
        String dead = deadEndpoint();
        Endpoints.environment = Map.of(Endpoints.ENV, dead);
        assertEquals(3, run("get", "k"));
        assertTrue(err.toString().contains(dead), err.toString());
        assertEquals(Endpoints.parse(Endpoints.LOCAL_CLUSTER).size(), 3);
    }

    @Test
    void a503MovesOnToTheNextEndpointWithTheSameIdempotencyKey() throws IOException {
        List<String> keys = new CopyOnWriteArrayList<>();
        String busy = fakeNode(503, "{\"error\":\"no_leader\",\"message\":\"none\",\"applied\":false}", keys);
        String good = fakeNode(200, "{\"key\":\"k\",\"revision\":7}", keys);
        assertEquals(0, run("put", "k", "v", "-v", "--endpoints", busy + "," + good));
        assertEquals("OK (revision 7)", out.toString().strip());
        assertEquals(2, keys.size());
        assertEquals(keys.get(0), keys.get(1));
        assertTrue(keys.get(0).startsWith("rafty-cli-"), keys.get(0));
        assertTrue(err.toString().contains(busy + "/v1/kv/k: 503 no_leader, trying the next endpoint"), err.toString());
        assertTrue(err.toString().contains(good + "/v1/kv/k answered 200"), err.toString());
    }

    @Test
    void everyEndpoint503IsUnavailable() throws IOException {
        List<String> keys = new CopyOnWriteArrayList<>();
        String busy = fakeNode(503, "{\"error\":\"overloaded\",\"message\":\"full\",\"applied\":false}", keys);
        assertEquals(3, run("get", "k", "--endpoints", busy));
        assertTrue(err.toString().contains("503 overloaded"), err.toString());
    }

    @Test
    void serverErrorsAreOneLineWithTheirCode() throws IOException {
        List<String> keys = new CopyOnWriteArrayList<>();
        String missing = fakeNode(404, "{\"error\":\"key_not_found\",\"message\":\"key not found: k\"}", keys);
        assertEquals(1, run("get", "k", "--endpoints", missing));
        assertEquals("rafty get: key_not_found: key not found: k", err.toString().strip());
        err.getBuffer().setLength(0);
        String conflict = fakeNode(409, "{\"error\":\"change_in_progress\",\"message\":\"wait\"}", keys);
        assertEquals(4, run("cluster", "remove", "4", "--endpoints", conflict));
        assertEquals("rafty cluster remove: change_in_progress: wait", err.toString().strip());
    }

    @Test
    void exitCodesFollowTheErrorAnswer() {
        assertEquals(ExitCodes.USAGE, ExitCodes.forError(400, "bad_request"));
        assertEquals(ExitCodes.USAGE, ExitCodes.forError(400, "future_revision"));
        assertEquals(ExitCodes.NOT_FOUND_OR_FAILED, ExitCodes.forError(404, "key_not_found"));
        assertEquals(ExitCodes.NOT_FOUND_OR_FAILED, ExitCodes.forError(404, "lease_not_found"));
        assertEquals(ExitCodes.NOT_FOUND_OR_FAILED, ExitCodes.forError(412, "compare_failed"));
        assertEquals(ExitCodes.SERVER_ERROR, ExitCodes.forError(404, "not_found"));
        assertEquals(ExitCodes.SERVER_ERROR, ExitCodes.forError(410, "compacted"));
        assertEquals(ExitCodes.SERVER_ERROR, ExitCodes.forError(504, "outcome_unknown"));
        assertEquals(ExitCodes.UNAVAILABLE, ExitCodes.forError(503, "no_leader"));
    }

    @Test
    void tablesAlignColumnsAndClipLongCells() {
        List<String> lines = Output.formatTable(List.of("KEY", "VALUE"),
                List.of(List.of("a", "1"), List.of("longer-key", "x".repeat(100))));
        assertEquals("KEY         VALUE", lines.get(0));
        assertEquals("a           1", lines.get(1));
        assertEquals(12 + Output.MAX_CELL_CHARS, lines.get(2).length());
        assertTrue(lines.get(2).endsWith("..."), lines.get(2));
    }

    @Test
    void valuesPrintAsTextOrBase64() {
        assertEquals("a\\nb\\u0001", Output.escapeControls("a\nb\u0001"));
        JsonObject binary = new JsonObject().put("value", "AP8=").put("encoding", "base64");
        assertEquals("base64:AP8=", Output.valueText(binary));
        assertEquals(2, Output.valueBytes(binary).length);
        assertEquals("héllo", new String(Output.valueBytes(new JsonObject().put("value", "héllo")), StandardCharsets.UTF_8));
    }

    @Test
    void keysArePercentEncodedInThePathKeepingSlashes() {
        assertEquals("/v1/kv/a/b%20c", ApiPaths.kv("a/b c"));
        assertEquals("/v1/kv/a/%2E%2E/b", ApiPaths.kv("a/../b"));
        assertEquals("/v1/kv/%C3%A9", ApiPaths.kv("é"));
        assertEquals("x%26y%3Dz%2F.", ApiPaths.query("x&y=z/."));
    }

    @Test
    void durationsTakeUnits() {
        DurationConverter converter = new DurationConverter();
        assertEquals(Duration.ofMillis(500), converter.convert("500ms"));
        assertEquals(Duration.ofMillis(1500), converter.convert("1.5s"));
        assertEquals(Duration.ofMinutes(2), converter.convert("2m"));
        assertThrows(CommandLine.TypeConversionException.class, () -> converter.convert("soon"));
        assertThrows(CommandLine.TypeConversionException.class, () -> converter.convert("0s"));
    }
}
