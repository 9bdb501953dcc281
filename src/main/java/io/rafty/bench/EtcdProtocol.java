package io.rafty.bench;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * etcd 3.4's v3 HTTP/JSON gateway (grpc-gateway on the client port), the peer reference:
 * {@code POST /v3/kv/put} with {@code {"key": base64, "value": base64}} and {@code POST /v3/kv/range}
 * with {@code {"key": base64}}. A range is linearizable unless the run asks for stale reads, which
 * become {@code "serializable": true} (answered by the member itself, like Rafty's stale reads).
 *
 * <p>Success is a 200 whose body is a JSON object. The gateway answers errors with a non-200 status
 * and {@code {"error": ..., "code": ...}}. The body is only checked for its opening brace, not parsed:
 * a parse per answer would take CPU from the servers, which share the machine with the generator.
 *
 * <p>No content type is sent, as for Rafty's writes: the gateway reads every body as JSON.
 */
final class EtcdProtocol implements TargetProtocol {

    static final String PUT_PATH = "/v3/kv/put";
    static final String RANGE_PATH = "/v3/kv/range";

    private static final Base64.Encoder BASE64 = Base64.getEncoder();
    private static final String KEY_HEAD = "{\"key\":\"";

    private final String keyPrefix;
    /** What follows the key in a put body: the value, the same for every write. */
    private final String putTail;
    /** What follows the key in a range body. */
    private final String rangeTail;

    EtcdProtocol(String keyPrefix, boolean stale, byte[] value) {
        this.keyPrefix = keyPrefix;
        this.putTail = "\",\"value\":\"" + BASE64.encodeToString(value) + "\"}";
        this.rangeTail = stale ? "\",\"serializable\":true}" : "\"}";
    }

    @Override
    public HttpMethod method(boolean read) {
        return HttpMethod.POST;
    }

    @Override
    public String uri(int key, boolean read) {
        return read ? RANGE_PATH : PUT_PATH;
    }

    @Override
    public Buffer body(int key, boolean read) {
        byte[] name = TargetProtocol.appendKey(new StringBuilder(10 + keyPrefix.length()), keyPrefix, key).toString()
                .getBytes(StandardCharsets.US_ASCII);
        return Buffer.buffer(KEY_HEAD + BASE64.encodeToString(name) + (read ? rangeTail : putTail));
    }

    @Override
    public boolean succeeded(int statusCode, Buffer body) {
        return statusCode == 200 && body != null && body.length() > 0 && body.getByte(0) == '{';
    }
}
