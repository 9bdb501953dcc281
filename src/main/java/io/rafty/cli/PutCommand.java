package io.rafty.cli;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rafty put KEY VALUE|-}: {@code PUT /v1/kv/{key}}, with the API's preconditions and {@code ?lease=}. */
@Command(name = "put", description = "Write a key (VALUE '-' reads the value from stdin).")
final class PutCommand implements Callable<Integer> {

    /** Most bytes read from stdin for a value; the server's own limit (1 MiB by default) is lower. */
    static final int MAX_STDIN_BYTES = 64 << 20;

    /** Where a value of '-' is read from; tests replace it. */
    static InputStream stdin = System.in;

    @Mixin
    Endpoints endpoints;

    @Mixin
    Output output;

    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Parameters(index = "1", paramLabel = "VALUE", description = "The value, or - to read it from stdin")
    String value;

    @Option(names = "--lease", paramLabel = "ID", description = "Attach the key to this lease")
    Long lease;

    @Option(names = "--prev-value", paramLabel = "V", description = "Write only if the current value is V")
    String prevValue;

    @Option(names = "--prev-revision", paramLabel = "N",
            description = "Write only if the key's revision is N (0: only if it does not exist)")
    Long prevRevision;

    @Option(names = "--prev-exist", paramLabel = "true|false", arity = "1",
            description = "Write only if the key exists (true) or does not (false)")
    Boolean prevExist;

    @Override
    public Integer call() throws IOException {
        byte[] bytes = value.equals("-") ? readStdin() : value.getBytes(StandardCharsets.UTF_8);
        List<String> query = new ArrayList<>();
        if (lease != null) {
            query.add("lease=" + lease);
        }
        if (prevValue != null) {
            query.add("prevValue=" + ApiPaths.query(prevValue));
        }
        if (prevRevision != null) {
            query.add("prevRevision=" + prevRevision);
        }
        if (prevExist != null) {
            query.add("prevExist=" + prevExist);
        }
        String path = ApiPaths.kv(key) + (query.isEmpty() ? "" : "?" + String.join("&", query));
        RaftyHttp.Response response = endpoints.client().send("PUT", path, bytes, "application/octet-stream");
        if (!response.ok()) {
            throw CliException.fromResponse(response);
        }
        JsonObject body = response.json();
        if (output.json()) {
            output.json(body);
        } else {
            output.line("OK (revision " + body.getValue("revision") + ")");
        }
        return ExitCodes.OK;
    }

    private static byte[] readStdin() throws IOException {
        byte[] bytes = stdin.readNBytes(MAX_STDIN_BYTES + 1);
        if (bytes.length > MAX_STDIN_BYTES) {
            throw CliException.usage("the value on stdin is larger than " + MAX_STDIN_BYTES + " bytes");
        }
        return bytes;
    }
}
