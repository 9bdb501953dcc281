package io.rafty.bench;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.Json;
import java.nio.charset.StandardCharsets;

/**
 * Rafty's client API: {@code PUT /v1/kv/<key>} with the value as the body, {@code GET /v1/kv/<key>}
 * (with {@code ?consistency=stale} for stale reads). Success is a 200, whose body for a write is
 * {@code {"key":"...","revision":R}}; a watch run reads R from it ({@link #writeRevision}).
 */
final class RaftyProtocol implements TargetProtocol {

    private static final String KV_PATH = "/v1/kv/";
    private static final String STALE_QUERY = "?consistency=stale";
    private static final String REVISION_FIELD = "\"revision\":";
    /** Digits of the largest revision read: fewer than {@code Long.MAX_VALUE} has. */
    private static final int MAX_REVISION_DIGITS = 18;

    private static final String TXN_PATH = "/v1/txn";

    private final String keyPrefix;
    private final boolean stale;
    private final byte[] value;
    /** With {@code --workload txn}, the key count (a write's transaction names keys beside its own); else 0. */
    private final int txnKeys;
    private final String valueJson;
    private final String prefixJson;

    /**
     * @param value   the bytes every write stores (printable ASCII, so a transaction carries it as JSON text)
     * @param txnKeys the key count when every write is a transaction, or 0
     */
    RaftyProtocol(String keyPrefix, boolean stale, byte[] value, int txnKeys) {
        this.keyPrefix = keyPrefix;
        this.stale = stale;
        this.value = value;
        this.txnKeys = txnKeys;
        this.valueJson = new String(value, StandardCharsets.US_ASCII);
        String quoted = Json.encode(keyPrefix);
        this.prefixJson = quoted.substring(1, quoted.length() - 1);
    }

    /** The TTL of the leases a keepalive run grants in its preload: long enough never to expire during it. */
    static final long KEEPALIVE_LEASE_TTL_SECONDS = 600;

    /**
     * A keepalive run ({@code keepalives}): the preload grants lease {@code key + 1} for every key (a 409 for
     * a lease left by an earlier run counts as done) and every request keeps one alive.
     */
    static RaftyProtocol keepalives(String keyPrefix) {
        return new RaftyProtocol(keyPrefix, false, new byte[0], -1);
    }

    private boolean keepaliveRun() {
        return txnKeys < 0;
    }

    @Override
    public HttpMethod method(boolean read) {
        if (keepaliveRun()) {
            return HttpMethod.POST;
        }
        return read ? HttpMethod.GET : txnKeys > 0 ? HttpMethod.POST : HttpMethod.PUT;
    }

    @Override
    public String uri(int key, boolean read) {
        if (keepaliveRun()) {
            return read ? "/v1/leases/" + (key + 1L) + "/keepalive" : "/v1/leases";
        }
        if (!read && txnKeys > 0) {
            return TXN_PATH;
        }
        String path = TargetProtocol.appendKey(new StringBuilder(24 + keyPrefix.length()).append(KV_PATH), keyPrefix,
                key).toString();
        return read && stale ? path + STALE_QUERY : path;
    }

    @Override
    public Buffer body(int key, boolean read) {
        if (keepaliveRun()) {
            return read ? null : Buffer.buffer("{\"ttl\":" + KEEPALIVE_LEASE_TTL_SECONDS + ",\"id\":" + (key + 1L) + "}");
        }
        if (read) {
            return null;
        }
        return txnKeys > 0 ? Buffer.buffer(transaction(key)) : Buffer.buffer(value);
    }

    /**
     * A compare-and-set transaction with four ops around key {@code key}: if its version is below 2^50
     * (always: the compare is evaluated, not decisive), put it and its neighbour, and read both back;
     * otherwise read it. One revision, two keys written, two read.
     */
    String transaction(int key) {
        String own = key(key);
        String next = key((key + 1) % txnKeys);
        return "{\"compare\":[{\"key\":\"" + own + "\",\"target\":\"version\",\"op\":\"<\",\"value\":"
                + (1L << 50) + "}],\"success\":[{\"op\":\"put\",\"key\":\"" + own + "\",\"value\":\"" + valueJson
                + "\"},{\"op\":\"put\",\"key\":\"" + next + "\",\"value\":\"" + valueJson + "\"},{\"op\":\"get\",\"key\":\""
                + own + "\"},{\"op\":\"get\",\"key\":\"" + next + "\"}],\"failure\":[{\"op\":\"get\",\"key\":\"" + own
                + "\"}]}";
    }

    /** Key number {@code key} as JSON string content (the prefix escaped once; digits need none). */
    private String key(int key) {
        return TargetProtocol.appendKey(new StringBuilder(16 + prefixJson.length()), prefixJson, key).toString();
    }

    @Override
    public boolean succeeded(int statusCode, Buffer body) {
        return statusCode == 200 || keepaliveRun() && statusCode == 409;
    }

    @Override
    public long revision(Buffer body) {
        return writeRevision(body);
    }

    /**
     * The revision in a write's answer {@code {"key":"bench/0000000042","revision":17}}, or -1 when it
     * has none. Read without a JSON parse (the body is small and its last field is the revision); the
     * last {@code "revision":} is taken, as a key's own quotes would be escaped.
     */
    static long writeRevision(Buffer body) {
        if (body == null || body.length() == 0) {
            return -1;
        }
        String text = body.toString(StandardCharsets.UTF_8);
        int at = text.lastIndexOf(REVISION_FIELD);
        if (at < 0) {
            return -1;
        }
        int i = at + REVISION_FIELD.length();
        while (i < text.length() && text.charAt(i) == ' ') {
            i++;
        }
        long revision = 0;
        int digits = 0;
        for (; i < text.length() && text.charAt(i) >= '0' && text.charAt(i) <= '9'; i++) {
            if (++digits > MAX_REVISION_DIGITS) {
                return -1;
            }
            revision = revision * 10 + (text.charAt(i) - '0');
        }
        return digits == 0 ? -1 : revision;
    }
}
