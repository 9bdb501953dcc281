package io.rafty.api;

import io.rafty.kv.CommandCodec;
import io.rafty.kv.Command;
import io.rafty.kv.KeySelector;
import io.rafty.kv.KvEntry;
import io.rafty.kv.KvResult;
import io.rafty.kv.Txn;
import io.rafty.kv.TxnRunner;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The JSON of {@code POST /v1/txn} (DESIGN §4): parsing a request into a {@link Txn}, strictly — an
 * unknown field, a wrong type or a value out of range is a 400 naming where it is — and rendering
 * the answer. The rules of the transaction itself live in {@link Txn}.
 *
 * <pre>
 * {"compare": [{"key":"a","target":"value","op":"==","value":"x"}, ...],
 *  "success": [{"op":"put","key":"a","value":"y"}, {"op":"delete","prefix":"tmp/"}, {"op":"get","key":"c"}],
 *  "failure": [{"op":"get","prefix":"p/","limit":10}]}
 * → {"succeeded":true,"revision":R,"results":[{"op":"put","key":"a","revision":R}, {"op":"delete","deleted":2},
 *    {"op":"get","items":[{entry}],"more":false}]}
 * </pre>
 *
 * Keys and prefixes are UTF-8 strings ({@code "keyBase64"} / {@code "prefixBase64"} for other bytes),
 * values too ({@code "valueBase64"}). A get of a prefix returns at most {@code limit} keys (default
 * 100, at most {@code maxListLimit}) and says {@code "more"} when there were others, as a listing does.
 */
final class TxnJson {

    private static final int DEFAULT_GET_LIMIT = 100;
    private static final Set<String> TOP_FIELDS = Set.of("compare", "success", "failure");
    private static final Set<String> COMPARE_FIELDS = Set.of("key", "keyBase64", "target", "op", "value", "valueBase64");
    private static final Set<String> PUT_FIELDS = Set.of("op", "key", "keyBase64", "value", "valueBase64", "lease");
    private static final Set<String> DELETE_FIELDS = Set.of("op", "key", "keyBase64", "prefix", "prefixBase64");
    private static final Set<String> GET_FIELDS = Set.of("op", "key", "keyBase64", "prefix", "prefixBase64", "limit");
    private static final Map<String, Txn.Target> TARGETS = Map.of("value", Txn.Target.VALUE,
            "revision", Txn.Target.REVISION, "createRevision", Txn.Target.CREATE_REVISION,
            "version", Txn.Target.VERSION, "lease", Txn.Target.LEASE, "exists", Txn.Target.EXISTS);
    private static final Map<String, Txn.Operator> OPERATORS = Map.of("==", Txn.Operator.EQUAL,
            "!=", Txn.Operator.NOT_EQUAL, "<", Txn.Operator.LESS, ">", Txn.Operator.GREATER);

    /** The limits a transaction is checked against. */
    record Limits(int maxKeyBytes, int maxValueBytes, int maxListLimit, int maxTxnOps) {
    }

    private TxnJson() {
    }

    /**
     * Parses and checks a request body.
     *
     * @throws ApiException 400 for malformed or invalid input, 413 when the transaction is too large,
     */
    static Txn parse(Buffer body, Limits limits) {
        JsonObject json;
        try {
            json = body == null || body.length() == 0 ? null : body.toJsonObject();
        } catch (DecodeException | ClassCastException e) {
            json = null;
        }
        if (json == null) {
            throw ApiException.badRequest("the body must be a JSON object with \"compare\", \"success\" and "
                    + "\"failure\" arrays");
        }
        unknownFields(json, TOP_FIELDS, "the transaction");
        List<Txn.Compare> compares = new ArrayList<>();
        JsonArray compareJson = array(json, "compare", limits);
        for (int i = 0; i < compareJson.size(); i++) {
            compares.add(compare(object(compareJson, i, "compare"), "compare[" + i + "]", limits));
        }
        Txn txn = new Txn(compares, ops(json, "success", limits), ops(json, "failure", limits));
        String problem = txn.problem();
        if (problem != null) {
            throw ApiException.badRequest(problem);
        }
        if (!txn.readOnly()) {
            int encodedBytes = CommandCodec.encode(new Command.Transaction(txn)).length;
            if (encodedBytes > limits.maxValueBytes()) {
                throw new ApiException(413, "too_large", "the transaction is " + encodedBytes + " bytes encoded; the "
                        + "limit is " + limits.maxValueBytes() + " (maxValueBytes)");
            }
        }
        return txn;
    }

    private static JsonArray array(JsonObject json, String field, Limits limits) {
        Object value = json.getValue(field);
        if (value == null) {
            return new JsonArray();
        }
        if (!(value instanceof JsonArray array)) {
            throw ApiException.badRequest("\"" + field + "\" must be an array");
        }
        if (array.size() > limits.maxTxnOps()) {
            throw ApiException.badRequest("\"" + field + "\" has " + array.size() + " entries; the limit is "
                    + limits.maxTxnOps() + " (maxTxnOps)");
        }
        return array;
    }

    private static JsonObject object(JsonArray array, int index, String field) {
        if (!(array.getValue(index) instanceof JsonObject object)) {
            throw ApiException.badRequest(field + "[" + index + "] must be an object");
        }
        return object;
    }

    private static Txn.Compare compare(JsonObject json, String where, Limits limits) {
        unknownFields(json, COMPARE_FIELDS, where);
        byte[] key = key(json, where, limits);
        Txn.Target target = TARGETS.get(string(json, "target", where));
        if (target == null) {
            throw ApiException.badRequest(where + ": \"target\" must be one of value, revision, createRevision, "
                    + "version, lease, exists");
        }
        Txn.Operator operator = OPERATORS.get(string(json, "op", where));
        if (operator == null) {
            throw ApiException.badRequest(where + ": \"op\" must be one of ==, !=, <, >");
        }
        switch (target) {
            case VALUE -> {
                return Txn.Compare.value(key, operator, value(json, where, limits));
            }
            case EXISTS -> {
                if (!(json.getValue("value") instanceof Boolean exists) || json.containsKey("valueBase64")) {
                    throw ApiException.badRequest(where + ": an exists compare needs \"value\": true or false");
                }
                if (operator != Txn.Operator.EQUAL && operator != Txn.Operator.NOT_EQUAL) {
                    throw ApiException.badRequest(where + ": an exists compare takes == or !=");
                }
                return Txn.Compare.number(key, target, operator, exists ? 1 : 0);
            }
            default -> {
                if (json.containsKey("valueBase64")) {
                    throw ApiException.badRequest(where + ": a " + string(json, "target", where)
                            + " compare takes a number in \"value\"");
                }
                return Txn.Compare.number(key, target, operator, number(json.getValue("value"), where + ".value"));
            }
        }
    }

    private static List<Txn.Op> ops(JsonObject json, String branch, Limits limits) {
        JsonArray array = array(json, branch, limits);
        List<Txn.Op> ops = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            ops.add(op(object(array, i, branch), branch + "[" + i + "]", limits));
        }
        return ops;
    }

    private static Txn.Op op(JsonObject json, String where, Limits limits) {
        String op = string(json, "op", where);
        switch (op) {
            case "put" -> {
                unknownFields(json, PUT_FIELDS, where);
                byte[] key = key(json, where, limits);
                byte[] value = value(json, where, limits);
                long lease = json.containsKey("lease") ? number(json.getValue("lease"), where + ".lease") : 0;
                return new Txn.Put(key, value, lease);
            }
            case "delete" -> {
                unknownFields(json, DELETE_FIELDS, where);
                return new Txn.Delete(selector(json, where, limits));
            }
            case "get" -> {
                unknownFields(json, GET_FIELDS, where);
                KeySelector keys = selector(json, where, limits);
                int limit = DEFAULT_GET_LIMIT;
                if (json.containsKey("limit")) {
                    long asked = number(json.getValue("limit"), where + ".limit");
                    if (asked < 1 || asked > limits.maxListLimit()) {
                        throw ApiException.badRequest(where + ": \"limit\" must be 1.." + limits.maxListLimit()
                                + " (maxListLimit), was " + asked);
                    }
                    limit = (int) asked;
                }
                return new Txn.Get(keys, keys.prefix() ? Math.min(limit, limits.maxListLimit()) : 1);
            }
            default -> throw ApiException.badRequest(where + ": \"op\" must be put, delete or get, was \"" + op + "\"");
        }
    }

    private static KeySelector selector(JsonObject json, String where, Limits limits) {
        boolean hasKey = json.containsKey("key") || json.containsKey("keyBase64");
        boolean hasPrefix = json.containsKey("prefix") || json.containsKey("prefixBase64");
        if (hasKey == hasPrefix) {
            throw ApiException.badRequest(where + ": give exactly one of \"key\" and \"prefix\"");
        }
        if (hasKey) {
            return KeySelector.key(key(json, where, limits));
        }
        byte[] prefix = bytes(json, "prefix", where);
        if (prefix.length > limits.maxKeyBytes()) {
            throw ApiException.badRequest(where + ": the prefix is " + prefix.length + " bytes; the limit is "
                    + limits.maxKeyBytes());
        }
        return KeySelector.prefix(prefix);
    }

    private static byte[] key(JsonObject json, String where, Limits limits) {
        if (!json.containsKey("key") && !json.containsKey("keyBase64")) {
            throw ApiException.badRequest(where + ": \"key\" is missing");
        }
        byte[] key = bytes(json, "key", where);
        if (key.length == 0) {
            throw ApiException.badRequest(where + ": the key must not be empty");
        }
        if (key.length > limits.maxKeyBytes()) {
            throw ApiException.badRequest(where + ": the key is " + key.length + " bytes; the limit is "
                    + limits.maxKeyBytes());
        }
        return key;
    }

    private static byte[] value(JsonObject json, String where, Limits limits) {
        if (!json.containsKey("value") && !json.containsKey("valueBase64")) {
            throw ApiException.badRequest(where + ": \"value\" is missing");
        }
        byte[] value = bytes(json, "value", where);
        if (value.length > limits.maxValueBytes()) {
            throw new ApiException(413, "too_large", where + ": the value is " + value.length + " bytes; the limit is "
                    + limits.maxValueBytes());
        }
        return value;
    }

    /** {@code field} as UTF-8, or {@code field + "Base64"} decoded; exactly one of them. */
    private static byte[] bytes(JsonObject json, String field, String where) {
        String base64Field = field + "Base64";
        if (json.containsKey(field) && json.containsKey(base64Field)) {
            throw ApiException.badRequest(where + ": give \"" + field + "\" or \"" + base64Field + "\", not both");
        }
        if (json.containsKey(field)) {
            return string(json, field, where).getBytes(StandardCharsets.UTF_8);
        }
        try {
            return Base64.getDecoder().decode(string(json, base64Field, where));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(where + ": \"" + base64Field + "\" is not valid base64");
        }
    }

    private static String string(JsonObject json, String field, String where) {
        if (!(json.getValue(field) instanceof String text)) {
            throw ApiException.badRequest(where + ": \"" + field + "\" must be a string");
        }
        return text;
    }

    private static long number(Object value, String where) {
        return RequestParams.jsonInteger(value, where, 0);
    }

    private static void unknownFields(JsonObject json, Set<String> known, String where) {
        for (String field : json.fieldNames()) {
            if (!known.contains(field)) {
                throw ApiException.badRequest(where + ": unknown field \"" + field + "\"");
            }
        }
    }

    // ----- the answer ------------------------------------------------------------------------

    /** {@code {"succeeded","revision","results":[…]}}: one result per op of the branch that ran. */
    static JsonObject render(KvResult.TxnDone done) {
        JsonArray results = new JsonArray();
        for (TxnRunner.OpResult result : done.outcome().results()) {
            results.add(render(result, done.index()));
        }
        return new JsonObject().put("succeeded", done.outcome().succeeded()).put("revision", done.index())
                .put("results", results);
    }

    private static JsonObject render(TxnRunner.OpResult result, long revision) {
        if (result instanceof TxnRunner.OpResult.Put put) {
            return new JsonObject().put("op", "put").put("key", KeyCodec.display(put.entry().key()))
                    .put("revision", revision);
        }
        if (result instanceof TxnRunner.OpResult.Delete delete) {
            return new JsonObject().put("op", "delete").put("deleted", delete.deleted().size());
        }
        TxnRunner.OpResult.Get get = (TxnRunner.OpResult.Get) result;
        JsonArray items = new JsonArray();
        for (KvEntry entry : get.entries()) {
            items.add(KvJson.entry(entry));
        }
        return new JsonObject().put("op", "get").put("items", items).put("more", get.more());
    }
}
