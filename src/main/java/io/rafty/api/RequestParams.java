package io.rafty.api;

import io.rafty.kv.Precondition;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

/**
 * Parsing and validation of query parameters (and of integers in JSON bodies); every problem is a 400
 * naming the parameter or field.
 */
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

    /** {@code ?lease=ID}: the lease a put attaches its key to, 0 when absent; 400 unless a non-negative integer. */
    static long lease(RoutingContext ctx) {
        String text = single(ctx, "lease");
        if (text == null) {
            return 0;
        }
        try {
            long lease = Long.parseLong(text);
            if (lease >= 0) {
                return lease;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.badRequest("parameter lease must be a lease id (0 for none), got \"" + clip(text) + "\"");
    }

    /**
     * A JSON body's integer field of at least {@code min}; {@code where} names it. Jackson gives Integer or
     * Long for integral numbers that fit; anything else (a fraction, a string, a huge number) is a 400.
     */
    static long jsonInteger(Object value, String where, long min) {
        if (!(value instanceof Integer || value instanceof Long) || ((Number) value).longValue() < min) {
            throw ApiException.badRequest(where + " must be " + (min == 0 ? "a non-negative" : min == 1 ? "a positive"
                    : "an at least " + min) + " integer");
        }
        return ((Number) value).longValue();
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

    /**
     * A revision given as {@code name}: null when absent, a 400 naming the parameter unless it is an integer
     * of at least {@code min}.
     */
    static Long revision(RoutingContext ctx, String name, long min) {
        return revisionValue(single(ctx, name), "parameter " + name, min);
    }

    /** Parses a revision from {@code text} (a parameter or a header, named by {@code what}). */
    static Long revisionValue(String text, String what, long min) {
        if (text == null) {
            return null;
        }
        long value;
        try {
            value = Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw ApiException.badRequest(what + " must be an integer revision, got \"" + clip(text) + "\"");
        }
        if (value < min) {
            throw ApiException.badRequest(what + " must be at least " + min + ", got " + value);
        }
        return value;
    }

    /** {@code true}/{@code false} for {@code name}, {@code fallback} when absent; 400 otherwise. */
    static boolean flag(RoutingContext ctx, String name, boolean fallback) {
        String value = single(ctx, name);
        if (value == null) {
            return fallback;
        }
        if (!value.equals("true") && !value.equals("false")) {
            throw ApiException.badRequest(name + " must be true or false, got \"" + clip(value) + "\"");
        }
        return Boolean.parseBoolean(value);
    }

    /** A 400 naming the first query parameter that is not one of {@code allowed}. */
    static void onlyKnown(RoutingContext ctx, Set<String> allowed) {
        for (String name : ctx.queryParams().names()) {
            if (!allowed.contains(name)) {
                throw ApiException.badRequest("unknown parameter " + clip(name) + "; this endpoint takes "
                        + String.join(", ", new java.util.TreeSet<>(allowed)));
            }
        }
    }

    private static String clip(String text) {
        return text.length() > 64 ? text.substring(0, 64) + "..." : text;
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
