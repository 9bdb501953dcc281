package io.rafty.cli;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The CLI's blocking HTTP client with failover: a request goes to the endpoints in the order given, and
 * moves to the next one when an endpoint refuses the connection, times out, breaks the connection, or
 * answers 503 (which the server sends only for requests it did not apply). Any other answer, error or
 * not, is the answer. When no endpoint gave one, {@link Unavailable} says what each did.
 *
 * <p>Every write carries one {@code Idempotency-Key} for all its attempts, so a write retried on the next
 * endpoint after a timeout (when the first may have applied it) applies once (DESIGN §4).
 */
public final class RaftyHttp {

    /** How long a connection may take to open before the next endpoint is tried. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);
    /** How long one request may wait for its answer (for a stream: for its headers). */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
    /** Largest answer body the client reads, so a wrong URL cannot fill the heap. */
    static final int MAX_BODY_BYTES = 64 << 20;

    private static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    /** The environment variable holding a token (from {@code POST /v1/auth/token}) sent with every request. */
    public static final String TOKEN_ENV = "RAFTY_TOKEN";

    private final List<URI> endpoints;
    private final HttpClient http;
    private final Duration requestTimeout;
    private final PrintWriter verbose;
    /** Sent as {@code Authorization: Bearer} with every request when set ($RAFTY_TOKEN); never printed. */
    private final String token;

    /**
     * @param verbose where to say which endpoint answered and why others were skipped; null for silence
     */
    public RaftyHttp(List<URI> endpoints, Duration connectTimeout, Duration requestTimeout, PrintWriter verbose) {
        this(endpoints, connectTimeout, requestTimeout, verbose, null);
    }

    /** As the other constructor, speaking TLS to {@code https://} endpoints with {@code tls} (null: the JVM's). */
    public RaftyHttp(List<URI> endpoints, Duration connectTimeout, Duration requestTimeout, PrintWriter verbose,
                     javax.net.ssl.SSLContext tls) {
        if (endpoints.isEmpty()) {
            throw CliException.usage("no endpoints given");
        }
        this.endpoints = List.copyOf(endpoints);
        this.requestTimeout = requestTimeout;
        this.verbose = verbose;
        String fromEnv = System.getenv(TOKEN_ENV);
        this.token = fromEnv == null || fromEnv.isBlank() ? null : fromEnv.strip();
        HttpClient.Builder builder = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout).followRedirects(HttpClient.Redirect.NEVER);
        this.http = (tls == null ? builder : builder.sslContext(tls)).build();
    }

    public List<URI> endpoints() {
        return endpoints;
    }

    /** An answer: its status, body, headers and the endpoint that gave it. */
    public record Response(int status, byte[] body, HttpHeaders headers, URI endpoint) {

        public boolean ok() {
            return status >= 200 && status < 300;
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** The body of a 2xx answer as a JSON object; any other answer throws the error it names. */
        public JsonObject okJson() {
            if (!ok()) {
                throw CliException.fromResponse(this);
            }
            return json();
        }

        /** The body as a JSON object; a {@link CliException} (exit 4) when it is not one. */
        public JsonObject json() {
            try {
                return new JsonObject(text());
            } catch (DecodeException | ClassCastException e) {
                throw new CliException(ExitCodes.SERVER_ERROR, endpoint + " answered " + status
                        + " with a body that is not a JSON object");
            }
        }

        /** The {@code "error"} code of an error body, or null. */
        public String errorCode() {
            JsonObject body = jsonOrNull();
            return body == null ? null : body.getString("error");
        }

        /** The {@code "message"} of an error body, or null. */
        public String errorMessage() {
            JsonObject body = jsonOrNull();
            return body == null ? null : body.getString("message");
        }

        private JsonObject jsonOrNull() {
            try {
                return new JsonObject(text());
            } catch (RuntimeException e) {
                return null;
            }
        }
    }

    /** No endpoint gave an answer (exit code 3); the message names what each one did. */
    public static final class Unavailable extends CliException {
        public Unavailable(String message) {
            super(ExitCodes.UNAVAILABLE, message);
        }
    }

    public Response get(String pathAndQuery) {
        return send("GET", pathAndQuery, null);
    }

    /** {@code body} is sent as JSON when given; null sends none. */
    public Response send(String method, String pathAndQuery, byte[] body) {
        return send(method, pathAndQuery, body, "application/json");
    }

    /** Like {@link #send(String, String, byte[])} with the body's content type. */
    public Response send(String method, String pathAndQuery, byte[] body, String contentType) {
        String idempotencyKey = method.equals("GET") ? null : "rafty-cli-" + UUID.randomUUID();
        List<String> skipped = new ArrayList<>();
        for (URI endpoint : endpoints) {
            HttpRequest.Builder request = request(endpoint, pathAndQuery, method, body, contentType);
            if (idempotencyKey != null) {
                request.header(IDEMPOTENCY_KEY, idempotencyKey);
            }
            try {
                HttpResponse<InputStream> answer = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
                byte[] bytes;
                try (InputStream in = answer.body()) {
                    bytes = in.readNBytes(MAX_BODY_BYTES);
                }
                Response response = new Response(answer.statusCode(), bytes, answer.headers(), endpoint);
                if (answer.statusCode() == 503) {
                    skip(skipped, endpoint, method, pathAndQuery, "503 " + describe(response));
                    continue;
                }
                say(method + " " + endpoint + pathAndQuery + " answered " + answer.statusCode());
                return response;
            } catch (IOException e) {
                skip(skipped, endpoint, method, pathAndQuery, reason(e));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Unavailable("interrupted");
            }
        }
        throw new Unavailable("no endpoint answered " + method + " " + pathAndQuery + " (" + String.join("; ", skipped)
                + ")");
    }

    /**
     * Opens a stream ({@code text/event-stream}) with the same failover; the caller reads and closes the
     * body. A non-2xx answer other than 503 is returned too, its body still to read.
     */
    public HttpResponse<InputStream> openStream(String pathAndQuery, Map<String, String> headers) {
        List<String> skipped = new ArrayList<>();
        for (URI endpoint : endpoints) {
            HttpRequest.Builder request = request(endpoint, pathAndQuery, "GET", null, null)
                    .header("Accept", "text/event-stream");
            headers.forEach(request::header);
            try {
                HttpResponse<InputStream> answer = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
                if (answer.statusCode() == 503) {
                    answer.body().close();
                    skip(skipped, endpoint, "GET", pathAndQuery, "503");
                    continue;
                }
                say("GET " + endpoint + pathAndQuery + " answered " + answer.statusCode());
                return answer;
            } catch (IOException e) {
                skip(skipped, endpoint, "GET", pathAndQuery, reason(e));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Unavailable("interrupted");
            }
        }
        throw new Unavailable("no endpoint answered GET " + pathAndQuery + " (" + String.join("; ", skipped) + ")");
    }

    /**
     * One GET to one endpoint, no failover (for commands that ask every endpoint, such as
     * {@code cluster status}); the IOException says why it did not answer.
     */
    public Response getFrom(URI endpoint, String pathAndQuery) throws IOException {
        try {
            HttpResponse<byte[]> answer = http.send(request(endpoint, pathAndQuery, "GET", null, null).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            return new Response(answer.statusCode(), answer.body(), answer.headers(), endpoint);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private HttpRequest.Builder request(URI endpoint, String pathAndQuery, String method, byte[] body,
                                        String contentType) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(endpoint + pathAndQuery)).timeout(requestTimeout);
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (body == null) {
            return request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return request.header("Content-Type", contentType).method(method, HttpRequest.BodyPublishers.ofByteArray(body));
    }

    private void skip(List<String> skipped, URI endpoint, String method, String pathAndQuery, String why) {
        skipped.add(endpoint + ": " + why);
        say(method + " " + endpoint + pathAndQuery + ": " + why + ", trying the next endpoint");
    }

    private void say(String line) {
        if (verbose != null) {
            verbose.println("rafty: " + line);
            verbose.flush();
        }
    }

    /** A short reason for an I/O failure; the JDK's messages are often null or long. */
    static String reason(IOException e) {
        if (e instanceof HttpConnectTimeoutException) {
            return "connect timed out";
        }
        if (e instanceof HttpTimeoutException) {
            return "timed out";
        }
        if (e instanceof ConnectException) {
            return "connection refused";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static String describe(Response response) {
        String code = response.errorCode();
        return code == null ? "" : code;
    }
}
