package io.rafty.chaos;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * What the nemesis did, in order, for the dashboard's feed and the run's report: one event per node
 * or link it touches ({@code kill node 2}, {@code partition 1->3}), and the verdict at the end.
 *
 * <p>Bounded: the newest {@link #MAX_EVENTS_KEPT} events are kept (a flapping partition touches every
 * link several times a second), so a reader that falls further behind than that misses the oldest
 * ones; {@link #after} tells it so with the first sequence number it still has. Thread-safe.
 */
public final class ChaosEvents {

    /** The events kept for readers of the feed; older ones are dropped. */
    public static final int MAX_EVENTS_KEPT = 10_000;
    /** The most events one {@link #after} call returns, so one answer stays small. */
    public static final int MAX_EVENTS_PER_READ = 1_000;

    /** What happened; {@link #wire()} is the feed's {@code kind}. */
    public enum Kind {
        KILL, RESTART, PAUSE, RESUME, PARTITION, HEAL, SLOW, UNSLOW, VERDICT;

        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * One event.
     *
     * @param seq        1, 2, 3, … in the order they happened
     * @param time       wall-clock time, for the page
     * @param runMicros  microseconds since the run started: the clock of the saved history
     * @param target     {@code "node 2"}, {@code "1->3"} (a directed peer link) or {@code "cluster"}
     */
    public record Event(long seq, Instant time, long runMicros, Kind kind, String target, String detail) {

        /** E.g. {@code [   12.345 s] partition 1->3 (cut)}. */
        public String describe() {
            return String.format("[%9.3f s] %s %s%s", runMicros / 1e6, kind.wire(), target,
                    detail.isEmpty() ? "" : " (" + detail + ")");
        }
    }

    private final long startNanos;
    private final Deque<Event> events = new ArrayDeque<>();
    private long nextSeq = 1;
    private boolean running = true;

    public ChaosEvents(long startNanos) {
        this.startNanos = startNanos;
    }

    public synchronized Event record(Kind kind, String target, String detail) {
        Event event = new Event(nextSeq++, Instant.now(), (System.nanoTime() - startNanos) / 1000, kind, target,
                detail == null ? "" : detail);
        events.addLast(event);
        if (events.size() > MAX_EVENTS_KEPT) {
            events.removeFirst();
        }
        return event;
    }

    /** The run is over (the verdict is recorded); the feed says {@code "running":false} from now on. */
    public synchronized void finish() {
        running = false;
    }

    public synchronized boolean running() {
        return running;
    }

    /** Up to {@link #MAX_EVENTS_PER_READ} events with {@code seq > after}, oldest first. */
    public synchronized List<Event> after(long after) {
        List<Event> page = new ArrayList<>();
        for (Event event : events) {
            if (event.seq() > after) {
                page.add(event);
                if (page.size() == MAX_EVENTS_PER_READ) {
                    break;
                }
            }
        }
        return page;
    }

    /** Every event kept, oldest first. */
    public synchronized List<Event> all() {
        return List.copyOf(events);
    }
}
