package io.rafty.node;


import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * A minimal Server-Sent Events client for tests: opens one watch stream, parses its messages on a
 * reader thread, and lets a test wait — with a deadline, on what arrived — for the messages it expects.
 */
public final class SseClient implements AutoCloseable {

    /** One SSE message: its {@code id} (null when none), {@code event} and parsed {@code data}. */
    public record Message(String id, String event, JsonObject data) {
        public long revision() {
            return data.getLong("revision");
        }
    }

    private final List<Message> messages = new CopyOnWriteArrayList<>();
    private final HttpResponse<InputStream> response;
    private final Thread reader;
    private volatile boolean ended;
    private volatile Throwable failure;

    private SseClient(HttpResponse<InputStream> response) {
        this.response = response;
        this.reader = new Thread(this::read, "sse-client");
        this.reader.setDaemon(true);
        this.reader.start();
    }

    /** Opens {@code url}; answers the status and body instead when the server did not start a stream. */
    public static SseClient open(HttpClient http, String url, String lastEventId) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).GET()
                .header("accept", "text/event-stream");
        if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200) {
            try (InputStream body = response.body()) {
                throw new Refused(response.statusCode(), new String(body.readAllBytes(), StandardCharsets.UTF_8),
                        response.headers().firstValue("content-type").orElse(""));
            }
        }
        return new SseClient(response);
    }

    /** The server answered with an error instead of a stream. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;
        final String body;
        final String contentType;

        Refused(int status, String body, String contentType) {
            super(status + " " + body);
            this.status = status;
            this.body = body;
            this.contentType = contentType;
        }

        JsonObject json() {
            return new JsonObject(body);
        }
    }

    String contentType() {
        return response.headers().firstValue("content-type").orElse("");
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String id = null;
            String event = null;
            StringBuilder data = new StringBuilder();
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isEmpty()) {
                    if (event != null || data.length() > 0) {
                        messages.add(new Message(id, event, new JsonObject(data.toString())));
                    }
                    id = null;
                    event = null;
                    data.setLength(0);
                } else if (line.startsWith(":")) {
                    continue;
                } else if (line.startsWith("id: ")) {
                    id = line.substring(4);
                } else if (line.startsWith("event: ")) {
                    event = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    data.append(line.substring(6));
                } else {
                    throw new IOException("not an SSE line: " + line);
                }
            }
        } catch (IOException | RuntimeException e) {
            failure = e;
        } finally {
            ended = true;
        }
    }

    public List<Message> messages() {
        return new ArrayList<>(messages);
    }

    /** The {@code change} messages so far. */
    public List<Message> changes() {
        return messages.stream().filter(m -> "change".equals(m.event())).toList();
    }

    public boolean ended() {
        return ended;
    }

    Throwable failure() {
        return failure;
    }

    /** Waits until some message matches. */
    public Message await(Predicate<Message> what, Duration budget) {
        Message[] found = new Message[1];
        org.awaitility.Awaitility.await().atMost(budget).pollInterval(Duration.ofMillis(10)).until(() -> {
            for (Message message : messages) {
                if (what.test(message)) {
                    found[0] = message;
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    /** Waits until the stream has ended (the server closed it, or the connection broke). */
    public void awaitEnd(Duration budget) {
        org.awaitility.Awaitility.await().atMost(budget).pollInterval(Duration.ofMillis(10)).until(() -> ended);
    }

    /** The revision of the last message that carried an id: what a reconnecting client sends as Last-Event-ID. */
    public String lastEventId() {
        String last = null;
        for (Message message : messages) {
            if (message.id() != null) {
                last = message.id();
            }
        }
        return last;
    }

    @Override
    public void close() {
        reader.interrupt();
        try {
            response.body().close();
        } catch (IOException e) {
            // Closing a stream the server already ended.
        }
    }
}
