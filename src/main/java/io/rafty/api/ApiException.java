package io.rafty.api;

import io.vertx.core.json.JsonObject;

/**
 * A client error with its HTTP status and the stable error code of DESIGN §4. Thrown by request
 * parsing and turned into {@code {"error","message"}} by the router's failure handler.
 */
final class ApiException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;
    private final transient JsonObject extra;

    ApiException(int status, String code, String message) {
        this(status, code, message, null);
    }

    ApiException(int status, String code, String message, JsonObject extra) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.extra = extra;
    }

    static ApiException badRequest(String message) {
        return new ApiException(400, "bad_request", message);
    }

    int status() {
        return status;
    }

    String code() {
        return code;
    }

    JsonObject body() {
        JsonObject body = new JsonObject().put("error", code).put("message", getMessage());
        if (extra != null) {
            body.mergeIn(extra);
        }
        return body;
    }
}
