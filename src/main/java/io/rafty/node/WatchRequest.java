package io.rafty.node;

import io.rafty.kv.KeySelector;
import java.util.Objects;

/**
 * What a client asks to watch (DESIGN §4, Watch).
 *
 * @param selector      the key or the prefix
 * @param start         where the stream starts
 * @param prevKv        whether each event carries the key's previous state
 * @param progressNanos how long an idle stream waits before a progress message (0: never)
 */
public record WatchRequest(KeySelector selector, Start start, boolean prevKv, long progressNanos) {

    public WatchRequest {
        Objects.requireNonNull(selector, "selector");
        if (selector.kind() == KeySelector.Kind.RANGE) {
            throw new IllegalArgumentException("a watch takes a key or a prefix, not " + selector);
        }
        Objects.requireNonNull(start, "start");
        if (progressNanos < 0) {
            throw new IllegalArgumentException("progressNanos must be >= 0, was " + progressNanos);
        }
    }

    /**
     * Where a watch starts: {@link #now()} (every change after the node's applied revision, which a
     * read barrier taken first makes at least every write acknowledged before the request),
     * {@link #from} a revision, or {@link #after} the last revision a client saw (SSE
     * {@code Last-Event-ID}: the stream resumes at the next one).
     *
     * @param kind     which of the three
     * @param revision the revision {@code from} or {@code after}; 0 for now
     */
    public record Start(Kind kind, long revision) {

        /** The kinds of start. */
        public enum Kind { NOW, FROM, AFTER }

        public Start {
            Objects.requireNonNull(kind, "kind");
            if (kind == Kind.FROM && revision < 1) {
                throw new IllegalArgumentException("a watch starts from revision 1 or later, not " + revision);
            }
            if (kind == Kind.AFTER && revision < 0) {
                throw new IllegalArgumentException("a watch resumes after revision 0 or later, not " + revision);
            }
        }

        public static Start now() {
            return new Start(Kind.NOW, 0);
        }

        public static Start from(long revision) {
            return new Start(Kind.FROM, revision);
        }

        public static Start after(long revision) {
            return new Start(Kind.AFTER, revision);
        }
    }
}
