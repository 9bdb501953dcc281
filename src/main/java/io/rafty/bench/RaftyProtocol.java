package io.rafty.bench;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;

/**
 * Rafty's client API: {@code PUT /v1/kv/<key>} with the value as the body, {@code GET /v1/kv/<key>}
 * (with {@code ?consistency=stale} for stale reads). Success is a 200.
 */
final class RaftyProtocol implements TargetProtocol {

    private static final String KV_PATH = "/v1/kv/";
    private static final String STALE_QUERY = "?consistency=stale";

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
}
