package io.rafty.bench;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
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

    private final String keyPrefix;
    private final boolean stale;
    private final byte[] value;

    RaftyProtocol(String keyPrefix, boolean stale, byte[] value) {
        this.keyPrefix = keyPrefix;
        this.stale = stale;
        this.value = value;
    }

    @Override
    public HttpMethod method(boolean read) {
        return read ? HttpMethod.GET : HttpMethod.PUT;
    }

    @Override
    public String uri(int key, boolean read) {
        String path = TargetProtocol.appendKey(new StringBuilder(24 + keyPrefix.length()).append(KV_PATH), keyPrefix,
                key).toString();
        return read && stale ? path + STALE_QUERY : path;
    }

    @Override
    public Buffer body(int key, boolean read) {
        return read ? null : Buffer.buffer(value);
    }

    @Override
    public boolean succeeded(int statusCode, Buffer body) {
        return statusCode == 200;
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
