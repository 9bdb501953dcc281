package io.rafty.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code rafty get KEY}: prints the value alone (so {@code $(rafty get k)} is the value), as text or, for a
 * value that is not UTF-8, its bytes unchanged; {@code --prefix} prints every key under KEY with its value.
 */
@Command(name = "get", description = "Read a key's value (or, with --prefix, every key under a prefix).")
final class GetCommand implements Callable<Integer> {

    @Mixin
    Endpoints endpoints;

    @Mixin
    Output output;

    @Parameters(index = "0", paramLabel = "KEY", description = "The key, or the prefix with --prefix")
    String key;

    @Option(names = "--rev", paramLabel = "R", description = "Read as of revision R (from the kept history)")
    Long revision;

    @Option(names = "--prefix", description = "Read every key that starts with KEY")
    boolean prefix;

    @Option(names = {"--stale", "--serializable"},
            description = "Read the answering node's state at once (?consistency=stale), possibly behind the leader")
    boolean stale;

    @Override
    public Integer call() {
        RaftyHttp http = endpoints.client();
        if (prefix) {
            JsonObject page = LsCommand.listAll(http, key, revision, null, stale);
            if (output.json()) {
                output.json(page);
                return ExitCodes.OK;
            }
            List<List<String>> rows = new ArrayList<>();
            JsonArray items = page.getJsonArray("items");
            for (int i = 0; i < items.size(); i++) {
                JsonObject item = items.getJsonObject(i);
                rows.add(List.of(item.getString("key"), Output.valueText(item)));
            }
            output.table(List.of("KEY", "VALUE"), rows);
            return ExitCodes.OK;
        }
        List<String> query = new ArrayList<>();
        if (revision != null) {
            query.add("revision=" + revision);
        }
        if (stale) {
            query.add("consistency=stale");
        }
        RaftyHttp.Response response = http.get(ApiPaths.kv(key) + (query.isEmpty() ? "" : "?" + String.join("&", query)));
        if (!response.ok()) {
            throw CliException.fromResponse(response);
        }
        JsonObject entry = response.json();
        if (output.json()) {
            output.json(entry);
        } else if ("base64".equals(entry.getString("encoding"))) {
            output.bytes(Output.valueBytes(entry));
        } else {
            output.line(entry.getString("value", ""));
        }
        return ExitCodes.OK;
    }
}
