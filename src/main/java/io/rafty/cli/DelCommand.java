package io.rafty.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code rafty del KEY}: {@code DELETE /v1/kv/{key}}; exit 1 when there was no such key. {@code --prefix}
 * deletes every key under KEY in one revision, as a transaction with one {@code delete prefix} op (the HTTP
 * API has no prefix DELETE); deleting nothing is not an error there, and says "deleted 0 keys".
 */
@Command(name = "del", aliases = "delete", description = "Delete a key (or, with --prefix, every key under a prefix).")
final class DelCommand implements Callable<Integer> {

    @Mixin
    Endpoints endpoints;

    @Mixin
    Output output;

    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Option(names = "--prefix", description = "Delete every key that starts with KEY, in one revision")
    boolean prefix;

    @Option(names = "--prev-revision", paramLabel = "N", description = "Delete only if the key's revision is N")
    Long prevRevision;

    @Override
    public Integer call() {
        RaftyHttp http = endpoints.client();
        if (prefix) {
            if (prevRevision != null) {
                throw CliException.usage("--prev-revision applies to one key, not to --prefix");
            }
            JsonObject txn = new JsonObject().put("compare", new JsonArray())
                    .put("success", new JsonArray().add(new JsonObject().put("op", "delete").put("prefix", key)))
                    .put("failure", new JsonArray());
            RaftyHttp.Response response = http.send("POST", "/v1/txn", txn.encode().getBytes(StandardCharsets.UTF_8));
            if (!response.ok()) {
                throw CliException.fromResponse(response);
            }
            JsonObject body = response.json();
            long deleted = body.getJsonArray("results").getJsonObject(0).getLong("deleted", 0L);
            if (output.json()) {
                output.json(new JsonObject().put("prefix", key).put("revision", body.getValue("revision"))
                        .put("deleted", deleted));
            } else {
                output.line("deleted " + deleted + (deleted == 1 ? " key" : " keys") + " (revision "
                        + body.getValue("revision") + ")");
            }
            return ExitCodes.OK;
        }
        String path = ApiPaths.kv(key) + (prevRevision == null ? "" : "?prevRevision=" + prevRevision);
        RaftyHttp.Response response = http.send("DELETE", path, null);
        if (!response.ok()) {
            throw CliException.fromResponse(response);
        }
        JsonObject body = response.json();
        if (output.json()) {
            output.json(body);
        } else {
            output.line("deleted " + key + " (revision " + body.getValue("revision") + ")");
        }
        return ExitCodes.OK;
    }
}
