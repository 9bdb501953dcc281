package io.rafty.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * HTTP/1.1 requests written by a {@link TargetProtocol} (Rafty's API, or etcd's HTTP/JSON gateway): one
 * keep-alive pool per endpoint, as large as the loop's clients of that endpoint, so that every client
 * holds one connection.
 */
final class HttpSender implements Sender {

    private final BenchSettings settings;
    private final TargetProtocol protocol;
    private final Context context;
    private final int[] clientsPerEndpoint;
    /** Created on the loop's context at the first request, so that their connections belong to it. */
    private final List<HttpClient> clientsByEndpoint = new ArrayList<>();

    HttpSender(BenchSettings settings, TargetProtocol protocol, Context context, int[] clientsPerEndpoint) {
        this.settings = settings;
        this.protocol = protocol;
        this.context = context;
        this.clientsPerEndpoint = clientsPerEndpoint.clone();
    }

    private HttpClient client(int endpoint) {
        if (clientsByEndpoint.isEmpty()) {
            for (int clients : clientsPerEndpoint) {
                clientsByEndpoint.add(client(context.owner(), settings, Math.max(1, clients), settings.clients()));
            }
        }
        return clientsByEndpoint.get(endpoint);
    }

    /**
     * A keep-alive HTTP/1.1 client of the run (its TLS, no Nagle, no idle timeout) with up to
     * {@code connections} connections and {@code waitQueue} requests waiting for one. The core client: the Web
     * client's per-request interceptor chain cost the generator CPU that, on a shared 2-core machine, the
     * nodes under test need.
     */
    static HttpClient client(Vertx vertx, BenchSettings settings, int connections, int waitQueue) {
        HttpClientOptions options = settings.tls().apply(new HttpClientOptions().setKeepAlive(true)
                .setTcpNoDelay(true).setIdleTimeout(0));
        return vertx.httpClientBuilder().with(options)
                .with(new PoolOptions().setHttp1MaxSize(connections).setMaxWaitQueueSize(waitQueue))
                .build();
    }

    /** A request to endpoint {@code endpoint}: host, port, TLS and URI, and the run's token when it has one. */
    static RequestOptions request(BenchSettings settings, int endpoint, HttpMethod method, String uri) {
        URI base = settings.endpoints().get(endpoint);
        RequestOptions options = new RequestOptions()
                .setMethod(method)
                .setHost(base.getHost())
                .setPort(base.getPort())
                .setSsl("https".equalsIgnoreCase(base.getScheme()))
                .setURI(uri);
        if (settings.token() != null) {
            options.putHeader("authorization", "Bearer " + settings.token());
        }
        return options;
    }

    @Override
    public Future<Outcome> send(int client, int endpoint, int key, boolean read, boolean revision) {
        RequestOptions options = request(settings, endpoint, protocol.method(read), protocol.uri(key, read))
                .setTimeout(settings.timeout().toMillis());
        Buffer body = protocol.body(key, read);
        return client(endpoint).request(options)
                .compose(request -> body == null ? request.send() : request.send(body))
                .compose(response -> response.body().map(bytes -> outcome(protocol, response.statusCode(), bytes,
                        read, revision)));
    }

    /**
     * The outcome of an answer with this status and body. A failure's kind is the status and the JSON
     * {@code error} field when there is one: {@code "503 no_leader (put)"}; a 200 that the protocol does
     * not accept is {@code "200 unexpected_body (get)"}.
     */
    static Outcome outcome(TargetProtocol protocol, int statusCode, Buffer body, boolean read, boolean revision) {
        if (protocol.succeeded(statusCode, body)) {
            return revision && !read ? Outcome.ok(protocol.revision(body)) : Outcome.OK;
        }
        String code = statusCode == 200 ? " unexpected_body" : "";
        try {
            if (body != null && body.length() > 0 && body.getByte(0) == '{') {
                Object error = body.toJsonObject().getValue("error");
                code = error == null ? "" : " " + error;
            }
        } catch (RuntimeException ignored) {
            // Not JSON: the status alone says enough.
        }
        return Outcome.failed(statusCode + code + (read ? " (get)" : " (put)"));
    }
}
