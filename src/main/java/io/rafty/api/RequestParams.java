package io.rafty.api;

import io.rafty.kv.Precondition;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Parsing and validation of query parameters; every problem is a 400 naming the parameter. */
final class RequestParams {

    private static final int DEFAULT_LIST_LIMIT = 100;

    private RequestParams() {
    }

    static String single(RoutingContext ctx, String name) {
        List<String> values = ctx.queryParam(name);
        if (values.isEmpty()) {
            return null;
        }
        if (values.size() > 1) {
            throw ApiException.badRequest("parameter " + name + " is given more than once");
        }
        return values.get(0);
    }

    static byte[] bytes(RoutingContext ctx, String name) {
        String value = single(ctx, name);
        return value == null ? null : value.getBytes(StandardCharsets.UTF_8);
    }

    static Precondition precondition(RoutingContext ctx) {
        byte[] prevValue = bytes(ctx, "prevValue");
        Long prevRevision = null;
        String revision = single(ctx, "prevRevision");
        if (revision != null) {
            try {
                prevRevision = Long.parseLong(revision);
            } catch (NumberFormatException e) {
                throw ApiException.badRequest("prevRevision must be a non-negative integer, got \"" + revision + "\"");
            }
            if (prevRevision < 0) {
                throw ApiException.badRequest("prevRevision must be a non-negative integer, got " + revision);
            }
        }
        Boolean prevExist = null;
        String exist = single(ctx, "prevExist");
        if (exist != null) {
            if (!exist.equals("true") && !exist.equals("false")) {
                throw ApiException.badRequest("prevExist must be true or false, got \"" + exist + "\"");
            }
            prevExist = Boolean.valueOf(exist);
        }
        return new Precondition(prevValue, prevRevision, prevExist);
    }

    /** True for {@code consistency=stale}; false for absent or {@code linearizable}; 400 otherwise. */
    static boolean stale(RoutingContext ctx) {
        String consistency = single(ctx, "consistency");
        if (consistency == null || consistency.equals("linearizable")) {
            return false;
        }
        if (consistency.equals("stale")) {
            return true;
        }
        throw ApiException.badRequest("consistency must be linearizable or stale, got \"" + consistency + "\"");
    }

    static int limit(RoutingContext ctx, int max) {
        String limit = single(ctx, "limit");
        if (limit == null) {
            return Math.min(DEFAULT_LIST_LIMIT, max);
        }
        try {
            int value = Integer.parseInt(limit);
            if (value < 1 || value > max) {
                throw ApiException.badRequest("limit must be between 1 and " + max + ", got " + value);
            }
            return value;
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("limit must be an integer, got \"" + limit + "\"");
        }
    }
}
