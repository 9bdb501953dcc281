package io.rafty.chaos;

import io.rafty.check.KvInput;
import io.rafty.check.KvOutput;
import io.rafty.check.Operation;
import io.rafty.check.Outcome;
import io.vertx.core.json.JsonObject;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A saved client history: one JSON object per line, in invocation order, e.g.
 * <pre>
 * {"id":17,"client":3,"node":2,"invokeMicros":120034,"completeMicros":131002,"key":"k2","op":"cas","expected":"c1-5","value":"c3-17","outcome":"ok","swapped":false}
 * </pre>
 * {@code op} is {@code get}, {@code put}, {@code cas} or {@code delete}; {@code expected} null means
 * "absent"; {@code outcome} is {@code ok}, {@code fail} (definitely not applied) or {@code unknown}
 * (no {@code completeMicros}). An ok get has {@code "read"} (null: absent), an ok cas {@code "swapped"},
 * an ok delete {@code "found"}. {@code describe} is the checker's own one-line form of the operation.
 */
final class HistoryFile {

    private HistoryFile() {
    }

    /** @param nodeOfOperation the node each operation was sent to, by operation id */
    static void write(Path file, List<Operation> operations, Map<Integer, Integer> nodeOfOperation) throws IOException {
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (Operation op : operations) {
                out.write(json(op, nodeOfOperation.get(op.id())).encode());
                out.newLine();
            }
        }
    }

    static JsonObject json(Operation op, Integer node) {
        JsonObject line = new JsonObject().put("id", op.id()).put("client", op.clientId()).put("node", node)
                .put("invokeMicros", op.invokeTime());
        if (op.completeTime() != Long.MAX_VALUE) {
            line.put("completeMicros", op.completeTime());
        }
        line.put("key", op.key());
        KvInput input = op.input();
        if (input instanceof KvInput.Get) {
            line.put("op", "get");
        } else if (input instanceof KvInput.Put put) {
            line.put("op", "put").put("value", put.value());
        } else if (input instanceof KvInput.Cas cas) {
            line.put("op", "cas").put("expected", cas.expectedValue()).put("value", cas.newValue());
        } else {
            line.put("op", "delete");
        }
        Outcome outcome = op.outcome();
        if (outcome instanceof Outcome.Ok ok) {
            line.put("outcome", "ok");
            KvOutput output = ok.output();
            if (output instanceof KvOutput.GetResult get) {
                line.put("read", get.value());
            } else if (output instanceof KvOutput.CasResult cas) {
                line.put("swapped", cas.swapped());
            } else if (output instanceof KvOutput.DeleteResult delete) {
                line.put("found", delete.found());
            }
        } else {
            line.put("outcome", outcome instanceof Outcome.Fail ? "fail" : "unknown");
        }
        return line.put("describe", op.describe());
    }
}
