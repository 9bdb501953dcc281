package io.rafty.cli;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code rafty txn [FILE|-]}: posts a transaction ({@code {"compare":[…],"success":[…],"failure":[…]}}, DESIGN
 * §4) read from a file or stdin to {@code POST /v1/txn}, prints which branch ran and each op's result, and
 * exits 1 when the compares failed (the failure branch ran), so a script can branch on it.
 */
@Command(name = "txn", description = "Run a transaction read as JSON from FILE or stdin; exit 1 when its compares failed.")
final class TxnCommand implements Callable<Integer> {

    /** Most bytes of transaction JSON read (the server's body limit, 1 MiB by default, is lower). */
    static final int MAX_INPUT_BYTES = 64 << 20;

    @Mixin
    Endpoints endpoints;

    @Mixin
    Output output;

    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE", defaultValue = "-",
            description = "The transaction's JSON; - (the default) reads stdin")
    String file;

    @Override
    public Integer call() throws IOException {
        String text = new String(read(), StandardCharsets.UTF_8);
        try {
            new JsonObject(text);
        } catch (DecodeException | ClassCastException e) {
            throw CliException.usage((file.equals("-") ? "stdin" : file) + " is not a JSON object: "
                    + firstLine(e.getMessage()));
        }
        RaftyHttp.Response response = endpoints.client().send("POST", "/v1/txn", text.getBytes(StandardCharsets.UTF_8));
        if (!response.ok()) {
            throw CliException.fromResponse(response);
        }
        JsonObject body = response.json();
        boolean succeeded = body.getBoolean("succeeded", false);
        if (output.json()) {
            output.json(body);
        } else {
            print(body, succeeded);
        }
        return succeeded ? ExitCodes.OK : ExitCodes.NOT_FOUND_OR_FAILED;
    }

    private void print(JsonObject body, boolean succeeded) {
        output.line((succeeded ? "SUCCESS: the compares held; the success branch ran"
                : "FAILURE: a compare failed; the failure branch ran") + " (revision " + body.getValue("revision") + ")");
        JsonArray results = body.getJsonArray("results", new JsonArray());
        List<List<String>> rows = new ArrayList<>();
        for (int i = 0; i < results.size(); i++) {
            JsonObject result = results.getJsonObject(i);
            String op = result.getString("op", "?");
            if (op.equals("put")) {
                rows.add(List.of(Integer.toString(i), "put", result.getString("key", ""), "revision "
                        + result.getValue("revision")));
            } else if (op.equals("delete")) {
                rows.add(List.of(Integer.toString(i), "delete", "", "deleted " + result.getValue("deleted")));
            } else {
                JsonArray items = result.getJsonArray("items", new JsonArray());
                if (items.isEmpty()) {
                    rows.add(List.of(Integer.toString(i), "get", "", "(no keys)"));
                }
                for (int j = 0; j < items.size(); j++) {
                    JsonObject item = items.getJsonObject(j);
                    rows.add(List.of(Integer.toString(i), "get", item.getString("key", ""), Output.valueText(item)));
                }
            }
        }
        if (!rows.isEmpty()) {
            output.table(List.of("#", "OP", "KEY", "RESULT"), rows);
        }
    }

    private byte[] read() throws IOException {
        byte[] bytes;
        if (file.equals("-")) {
            bytes = PutCommand.stdin.readNBytes(MAX_INPUT_BYTES + 1);
        } else {
            try (InputStream in = Files.newInputStream(Path.of(file))) {
                bytes = in.readNBytes(MAX_INPUT_BYTES + 1);
            } catch (NoSuchFileException e) {
                throw CliException.usage("no such file: " + file);
            } catch (IOException e) {
                throw CliException.usage("cannot read " + file + ": " + e.getMessage());
            }
        }
        if (bytes.length > MAX_INPUT_BYTES) {
            throw CliException.usage("the transaction is larger than " + MAX_INPUT_BYTES + " bytes");
        }
        return bytes;
    }

    private static String firstLine(String text) {
        return text == null ? "" : text.lines().findFirst().orElse("");
    }
}
