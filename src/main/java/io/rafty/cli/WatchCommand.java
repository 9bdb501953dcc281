package io.rafty.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code rafty watch KEY | --prefix P}: follows {@code GET /v1/watch} (Server-Sent Events) and prints each
 * change as it arrives, one line per event. When the stream breaks or the node goes away it reconnects
 * (to the next endpoint if need be) with {@code Last-Event-ID}, so no revision is missed or printed twice;
 * each connect and reconnect is a line on stderr. Stops on Ctrl-C, after {@code --count} events, or when
 * {@code --timeout} has passed.
 */
@Command(name = "watch", description = "Print every change to a key or prefix as it happens.")
final class WatchCommand implements Callable<Integer> {

    /** The server's progress interval asked for when a --timeout must be noticed on an idle stream. */
    static final int PROGRESS_MS = 1000;
    /** Reconnects in a row that may find no endpoint before the watch gives up (exit 3). */
    static final int MAX_FAILED_RECONNECTS = 20;
    /** Pause between reconnects that found no endpoint. */
    static final Duration RECONNECT_PAUSE = Duration.ofMillis(500);

    @Mixin
    Endpoints endpoints;

    @Mixin
    Output output;

    @ArgGroup(multiplicity = "1")
    Target target;

    static final class Target {
        @Parameters(paramLabel = "KEY", description = "The key to watch")
        String key;

        @Option(names = "--prefix", paramLabel = "P", description = "Watch every key starting with P ('' for all keys)")
        String prefix;
    }

    @Option(names = "--rev", paramLabel = "R", description = "Start at revision R (replaying the history since), "
            + "not now")
    Long revision;

    @Option(names = "--prev-kv", description = "Include each key's previous value (shown with -o json)")
    boolean prevKv;

    @Option(names = "--count", paramLabel = "N", description = "Stop after N events (exit 1 if --timeout passes first)")
    Integer count;

    @Override
    public Integer call() throws InterruptedException {
        if (count != null && count < 1) {
            throw CliException.usage("--count must be at least 1");
        }
        if (revision != null && revision < 1) {
            throw CliException.usage("--rev must be at least 1");
        }
        Duration timeout = endpoints.runTimeout();
        long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
        String what = target.prefix != null ? "prefix '" + target.prefix + "'" : "key '" + target.key + "'";
        String path = (target.prefix != null ? "/v1/watch?prefix=" + ApiPaths.query(target.prefix) + "&"
                : ApiPaths.watch(target.key) + "?")
                + "progressMs=" + PROGRESS_MS + (prevKv ? "&prevKv=true" : "");
        RaftyHttp http = endpoints.client();
        // The revision everything up to which has been seen; -1 until the first stream says where it starts.
        long seenThrough = revision == null ? -1 : revision - 1;
        int events = 0;
        int failedReconnects = 0;
        boolean first = true;
        while (true) {
            Map<String, String> headers = new HashMap<>();
            if (seenThrough >= 0) {
                headers.put("Last-Event-ID", Long.toString(seenThrough));
            }
            HttpResponse<InputStream> stream;
            try {
                stream = http.openStream(path, headers);
            } catch (RaftyHttp.Unavailable e) {
                if (first || ++failedReconnects > MAX_FAILED_RECONNECTS || System.nanoTime() >= deadline) {
                    throw e;
                }
                Thread.sleep(RECONNECT_PAUSE.toMillis());
                continue;
            }
            if (stream.statusCode() != 200) {
                byte[] body;
                try (InputStream in = stream.body()) {
                    body = in.readNBytes(RaftyHttp.MAX_BODY_BYTES);
                } catch (IOException e) {
                    body = new byte[0];
                }
                throw CliException.fromResponse(new RaftyHttp.Response(stream.statusCode(), body, stream.headers(),
                        stream.uri()));
            }
            failedReconnects = 0;
            String endpoint = stream.uri().getScheme() + "://" + stream.uri().getAuthority();
            String why;
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
                String event = null;
                StringBuilder data = new StringBuilder();
                String line;
                while ((line = reader.readLine()) != null) {
                    if (!line.isEmpty()) {
                        if (line.startsWith("event:")) {
                            event = line.substring(6).trim();
                        } else if (line.startsWith("data:")) {
                            data.append(line.substring(5).trim());
                        }
                    } else if (event != null) {
                        JsonObject json = new JsonObject(data.toString());
                        long at = json.getLong("revision", seenThrough);
                        if (event.equals("created")) {
                            output.progress((first ? "watching " : "reconnected: watching ") + what + " on " + endpoint
                                    + (seenThrough >= 0 ? " from revision " + (seenThrough + 1) : " after revision " + at));
                            first = false;
                            if (seenThrough < 0) {
                                seenThrough = at;
                            }
                        } else if (event.equals("change")) {
                            events += print(json);
                            seenThrough = at;
                            if (count != null && events >= count) {
                                return ExitCodes.OK;
                            }
                        } else if (event.equals("progress")) {
                            seenThrough = Math.max(seenThrough, at);
                        } else if (event.equals("cancelled")) {
                            String reason = json.getString("reason", "unknown");
                            if (reason.equals("compacted")) {
                                throw new CliException(ExitCodes.SERVER_ERROR, "compacted: the history from revision "
                                        + (seenThrough + 1) + " is gone (" + json.encode() + ")");
                            }
                        }
                        event = null;
                        data.setLength(0);
                    }
                    if (System.nanoTime() >= deadline) {
                        return count == null ? ExitCodes.OK : ExitCodes.NOT_FOUND_OR_FAILED;
                    }
                }
                why = "the stream ended";
            } catch (IOException e) {
                why = "the stream broke (" + RaftyHttp.reason(e) + ")";
            }
            if (System.nanoTime() >= deadline) {
                return count == null ? ExitCodes.OK : ExitCodes.NOT_FOUND_OR_FAILED;
            }
            output.progress(why + " on " + endpoint + "; reconnecting from revision " + (seenThrough + 1));
        }
    }

    /** Prints one change message's events; returns how many. */
    private int print(JsonObject change) {
        if (output.json()) {
            output.json(change);
            return change.getJsonArray("events", new JsonArray()).size();
        }
        JsonArray list = change.getJsonArray("events", new JsonArray());
        for (int i = 0; i < list.size(); i++) {
            JsonObject e = list.getJsonObject(i);
            String type = e.getString("type", "?");
            output.line(change.getValue("revision") + " " + type + " " + e.getString("key", "")
                    + (type.equals("put") ? " " + Output.valueText(e) : ""));
        }
        return list.size();
    }
}
