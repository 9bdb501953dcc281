package io.rafty.bench;

import java.util.concurrent.TimeoutException;

/**
 * How one request ended, whatever carried it: a success, with the revision of a write when it was asked
 * for and the answer had one, or the kind of error ({@code "503 no_leader (put)"}, {@code "UNAVAILABLE:
 * etcdserver: leader changed (get)"}, {@code "timeout"}) that the summary counts.
 *
 * @param error    null for a success, else the error's kind
 * @param revision the write's revision, or -1 when not asked for or not known
 */
record Outcome(String error, long revision) {

    /** A success without a revision; shared, so that a success allocates nothing. */
    static final Outcome OK = new Outcome(null, -1);

    /** Longest detail (an exception's message, a gRPC status message) kept in an error's kind. */
    static final int MAX_DETAIL_CHARS = 60;

    static Outcome ok(long revision) {
        return revision < 0 ? OK : new Outcome(null, revision);
    }

    static Outcome failed(String kind) {
        return new Outcome(kind, -1);
    }

    boolean succeeded() {
        return error == null;
    }

    /** The kind of a request that failed without an answer: {@code "timeout"}, or the exception's class and message. */
    static String kindOf(Throwable cause) {
        if (cause instanceof TimeoutException || cause.getClass().getSimpleName().contains("Timeout")) {
            return "timeout";
        }
        return cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + shorten(cause.getMessage()));
    }

    /** {@code text} cut to {@value #MAX_DETAIL_CHARS} characters, so that kinds stay few and lines short. */
    static String shorten(String text) {
        return text.length() > MAX_DETAIL_CHARS ? text.substring(0, MAX_DETAIL_CHARS) : text;
    }
}
