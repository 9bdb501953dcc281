package io.rafty.node;

import io.rafty.kv.Event;
import java.util.List;
import java.util.function.Function;

/**
 * One message of a watch stream, in the order a watcher receives them: one {@link Created}, then
 * {@link Change}s (one per revision, whole) and {@link Progress} notes, and at most one final
 * {@link Cancelled}. Every message but Created carries a revision {@code R}: nothing at or below
 * {@code R} is still to come, so a client that saw it resumes after it.
 */
public sealed interface WatchMessage {

    /** The kinds of message, for exhaustive switches. */
    enum Kind { CREATED, CHANGE, PROGRESS, CANCELLED }

    Kind kind();

    long revision();

    /** The watch exists: every matching change after {@code revision} follows. */
    record Created(long revision) implements WatchMessage {
        @Override
        public Kind kind() {
            return Kind.CREATED;
        }
    }

    /** Nothing matching happened since the last message, through {@code revision}. */
    record Progress(long revision) implements WatchMessage {
        @Override
        public Kind kind() {
            return Kind.PROGRESS;
        }
    }

    /** Why a stream was ended by the node. */
    enum Reason {
        /** The watcher fell further behind than the node's queue limit allows. */
        SLOW_WATCHER("slow_watcher"),
        /** The history the watcher still needed was compacted. */
        COMPACTED("compacted"),
        /** The node is shutting down. */
        SHUTDOWN("shutdown"),
        /** The node stopped serving after a storage failure. */
        UNAVAILABLE("unavailable");

        private final String code;

        Reason(String code) {
            this.code = code;
        }

        /** The {@code reason} of DESIGN §4's cancelled message. */
        public String code() {
            return code;
        }
    }

    /**
     * The stream ends. {@code revision} is the last revision the watcher was sent (resume after it
     * elsewhere); for {@link Reason#COMPACTED}, {@code compactRevision} is the oldest revision still kept.
     */
    record Cancelled(Reason reason, long revision, long compactRevision) implements WatchMessage {
        @Override
        public Kind kind() {
            return Kind.CANCELLED;
        }
    }

    /**
     * The matching events of one revision, in key order. Many watchers of the same keys are handed the
     * same instance, so its encoding (JSON, SSE bytes) is computed once: see {@link #encoded}.
     */
    final class Change implements WatchMessage {
        private final long revision;
        private final List<Event> events;
        private volatile Object encoding;

        public Change(long revision, List<Event> events) {
            if (events.isEmpty()) {
                throw new IllegalArgumentException("a change holds at least one event");
            }
            this.revision = revision;
            this.events = List.copyOf(events);
        }

        @Override
        public Kind kind() {
            return Kind.CHANGE;
        }

        @Override
        public long revision() {
            return revision;
        }

        public List<Event> events() {
            return events;
        }

        /**
         * This change encoded by {@code encoder}, computed on first use and kept: every watcher handed this
         * instance shares it. Callers use one encoder per type (a second encoder would get the first's result).
         */
        @SuppressWarnings("unchecked")
        public <T> T encoded(Function<Change, T> encoder) {
            Object value = encoding;
            if (value == null) {
                value = encoder.apply(this);
                encoding = value;
            }
            return (T) value;
        }

        /** About how many bytes the change holds, for queue limits. */
        public long sizeBytes() {
            long size = 64;
            for (Event event : events) {
                size += event.sizeBytes();
            }
            return size;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Change that && revision == that.revision && events.equals(that.events);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(revision) * 31 + events.hashCode();
        }

        @Override
        public String toString() {
            return "Change[" + revision + ", " + events + "]";
        }
    }
}
