package io.rafty.node;

import io.rafty.kv.Event;
import io.rafty.kv.Key;
import io.rafty.kv.KeySelector;
import io.rafty.kv.KvStore;
import io.rafty.kv.RevisionUnavailableException;
import io.rafty.raft.DeliberateBug;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;

/**
 * The watchers of one node, fed by the {@link NodeDriver} after every applied batch: the fan-out of
 * DESIGN §4's watch streams. Deterministic and free of Vert.x like the driver, and run on the driver's
 * thread, so the simulator drives the very same code.
 *
 * <h2>How a watcher moves</h2>
 * A watcher is either <em>live</em> — it has been sent every matching change through the node's
 * applied revision, and each applied batch hands it the next ones — or <em>catching up</em>: it
 * starts (or, after a snapshot install, continues) below the applied revision and reads the history
 * a page at a time ({@link Reader}), each page only once the previous one has left its queue, until it
 * reaches the applied revision and turns live. A catching-up watcher ignores applied batches: the
 * history holds them, so nothing is buffered twice and nothing is missed between the two modes.
 *
 * <h2>Cost</h2>
 * An applied event is matched against the watchers of its own key (a map lookup) and of each prefix
 * length in use (one lookup per distinct length), never against every watcher. Watchers of the same
 * keys share one {@link WatchMessage.Change} per revision, and so its encoding.
 *
 * <h2>Bounds</h2>
 * At most {@code maxWatchers}. A watcher whose subscriber is congested queues messages in the hub, up
 * to {@code maxQueuedBytes}; beyond that it is cancelled with {@code slow_watcher} and its queue is
 * dropped. A catching-up watcher holds at most one history page.
 */
public final class WatchHub {

    /** Where one watcher's messages go: the SSE stream of one HTTP response, or a simulated client. */
    public interface Subscriber {

        /**
         * Takes messages, in order: everything the watcher gets from one applied batch (or one history page)
         * comes in one call, so a stream writes once per batch, not once per revision. Called on the
         * driver's thread, never with a {@link WatchMessage.Cancelled}; never empty.
         */
        void send(List<WatchMessage> messages);

        /**
         * True while the subscriber cannot take more without buffering: the hub queues instead, and flushes
         * when told {@link NodeDriver#watchWritable}. May be read from the driver's thread at any time.
         */
        boolean congested();

        /** The stream ends with {@code cancelled}; nothing follows. */
        void end(WatchMessage.Cancelled cancelled);
    }

    /** Reads a page of history for a catching-up watcher; the answer comes back through {@link #historyRead}. */
    interface Reader {
        void readHistory(long watchId, KeySelector selector, long from, long to, int maxEvents, boolean withPrev);
    }

    /**
     * @param maxWatchers    watchers this node serves at once; more are refused as overloaded
     * @param maxQueuedBytes bytes of messages queued for one congested watcher before it is cancelled
     * @param pageEvents     events in one history page of a catching-up watcher
     */
    public record Settings(int maxWatchers, long maxQueuedBytes, int pageEvents) {
        public Settings {
            if (maxWatchers < 0 || maxQueuedBytes < 1 || pageEvents < 1) {
                throw new IllegalArgumentException("watch limits must be positive: " + maxWatchers + ", "
                        + maxQueuedBytes + ", " + pageEvents);
            }
        }
    }

    private static final class Watcher {
        final long id;
        final KeySelector selector;
        final Key selectorKey;
        final boolean prevKv;
        final long progressNanos;
        final Subscriber subscriber;
        /** The first revision the watcher wants. */
        final long start;
        boolean catchingUp;
        /** While catching up: the next revision to read. */
        long position;
        boolean readInFlight;
        final ArrayDeque<WatchMessage> queue = new ArrayDeque<>();
        long queuedBytes;
        long lastSentRevision;
        long lastSentNanos;
        long dueNanos;
        boolean closed;

        Watcher(long id, WatchRequest request, Subscriber subscriber, long start) {
            this.id = id;
            this.selector = request.selector();
            this.selectorKey = new Key(request.selector().bytes());
            this.prevKv = request.prevKv();
            this.progressNanos = request.progressNanos();
            this.subscriber = subscriber;
            this.start = start;
        }
    }

    private final Settings settings;
    private final Reader reader;
    private final Set<DeliberateBug> bugs;
    private final Map<Long, Watcher> watchers = new HashMap<>();
    private final Map<Key, Set<Watcher>> byKey = new HashMap<>();
    private final Map<Key, Set<Watcher>> byPrefix = new HashMap<>();
    /** Prefix length → how many prefix watchers use it. */
    private final TreeMap<Integer, Integer> prefixLengths = new TreeMap<>();
    private final PriorityQueue<Watcher> progressDue = new PriorityQueue<>(Comparator.comparingLong(w -> w.dueNanos));
    private long appliedIndex;
    private long compactRevision;
    private long nowNanos;
    private long nextId = 1;

    WatchHub(Settings settings, Reader reader, long appliedIndex, long compactRevision, Set<DeliberateBug> bugs) {
        this.settings = settings;
        this.reader = reader;
        this.appliedIndex = appliedIndex;
        this.compactRevision = compactRevision;
        this.bugs = bugs;
    }

    int size() {
        return watchers.size();
    }

    long compactRevision() {
        return compactRevision;
    }

    /**
     * Adds a watcher and sends it its {@link WatchMessage.Created}.
     *
     * @return its id
     * @throws RequestFailure                when the node serves its maximum of watchers
     * @throws RevisionUnavailableException when the start is older than the kept history
     */
    long add(WatchRequest request, Subscriber subscriber, long nowNanos) {
        this.nowNanos = Math.max(this.nowNanos, nowNanos);
        if (watchers.size() >= settings.maxWatchers()) {
            throw new RequestFailure(RequestFailure.Kind.OVERLOADED, "this node serves its maximum of "
                    + settings.maxWatchers() + " watchers (maxWatchers)", 0);
        }
        long start = switch (request.start().kind()) {
            case NOW -> appliedIndex + 1;
            case FROM -> request.start().revision();
            // Last-Event-ID names the last revision the client saw: the stream resumes after it.
            case AFTER -> request.start().revision() + (bugs.contains(DeliberateBug.WATCH_RESUME_AT_LAST_ID) ? 0 : 1);
        };
        if (start < compactRevision) {
            throw new RevisionUnavailableException(RevisionUnavailableException.Reason.COMPACTED, start,
                    compactRevision, appliedIndex);
        }
        Watcher watcher = new Watcher(nextId++, request, subscriber, start);
        watchers.put(watcher.id, watcher);
        if (request.selector().prefix()) {
            byPrefix.computeIfAbsent(watcher.selectorKey, k -> new LinkedHashSet<>()).add(watcher);
            prefixLengths.merge(request.selector().bytes().length, 1, Integer::sum);
        } else {
            byKey.computeIfAbsent(watcher.selectorKey, k -> new LinkedHashSet<>()).add(watcher);
        }
        if (watcher.progressNanos > 0) {
            watcher.dueNanos = this.nowNanos + watcher.progressNanos;
            progressDue.add(watcher);
        }
        enqueue(watcher, new WatchMessage.Created(start - 1));
        flushQueue(watcher);
        if (start <= appliedIndex) {
            watcher.catchingUp = true;
            watcher.position = start;
            readMore(watcher);
        }
        return watcher.id;
    }

    /** The client went away: forget the watcher without a message. */
    void remove(long id) {
        Watcher watcher = watchers.get(id);
        if (watcher != null) {
            unregister(watcher);
        }
    }

    /**
     * The applied revision when watcher {@code id} has been handed every matching change through it (it is
     * live and nothing waits in its queue), else -1: what an etcd progress request may promise.
     */
    long syncedThrough(long id) {
        Watcher watcher = watchers.get(id);
        if (watcher == null || watcher.closed || watcher.catchingUp || !watcher.queue.isEmpty()) {
            return -1;
        }
        return appliedIndex;
    }

    /** The subscriber of {@code id} can take messages again. */
    void writable(long id) {
        Watcher watcher = watchers.get(id);
        if (watcher != null) {
            flush(watcher);
        }
    }

    /**
     * A batch was applied through {@code appliedIndex}; {@code events} are its changes in revision order
     * (then key order within a revision). Live watchers get the ones that match them: the matching events
     * are worked out once per key or prefix watched (not once per watcher), and every watcher of that key
     * or prefix is handed the same messages, in one {@link Subscriber#send} for the whole batch.
     */
    void applied(List<Event> events, long appliedIndex) {
        if (!watchers.isEmpty() && !events.isEmpty()) {
            // Per watched key and per watched prefix, the events that match it, in order.
            Map<Key, List<Event>> exact = new LinkedHashMap<>();
            Map<Key, List<Event>> prefixed = new LinkedHashMap<>();
            for (Event event : events) {
                byte[] key = event.key();
                if (!byKey.isEmpty()) {
                    Key whole = new Key(key);
                    if (byKey.containsKey(whole)) {
                        exact.computeIfAbsent(whole, k -> new ArrayList<>()).add(event);
                    }
                }
                for (int length : prefixLengths.keySet()) {
                    if (length > key.length) {
                        break;
                    }
                    Key prefix = new Key(Arrays.copyOf(key, length));
                    if (byPrefix.containsKey(prefix)) {
                        prefixed.computeIfAbsent(prefix, k -> new ArrayList<>()).add(event);
                    }
                }
            }
            Map<Long, Integer> eventsAt = new HashMap<>();
            for (Event event : events) {
                eventsAt.merge(event.revision(), 1, Integer::sum);
            }
            Map<Long, WatchMessage.Change[]> whole = new HashMap<>();
            List<Watcher> touched = new ArrayList<>();
            exact.forEach((key, matching) -> deliver(byKey.get(key), matching, eventsAt, whole, touched));
            prefixed.forEach((key, matching) -> deliver(byPrefix.get(key), matching, eventsAt, whole, touched));
            for (Watcher watcher : touched) {
                flush(watcher);
            }
        }
        this.appliedIndex = Math.max(this.appliedIndex, appliedIndex);
    }

    /** Queues {@code matching} (the events of one watched key or prefix) for each live watcher of it. */
    private void deliver(Set<Watcher> candidates, List<Event> matching, Map<Long, Integer> eventsAt,
                         Map<Long, WatchMessage.Change[]> whole, List<Watcher> touched) {
        List<WatchMessage> withPrev = null;
        List<WatchMessage> withoutPrev = null;
        for (Watcher watcher : List.copyOf(candidates)) {
            if (watcher.catchingUp || watcher.closed) {
                continue;
            }
            List<WatchMessage> changes;
            if (watcher.prevKv) {
                withPrev = withPrev != null ? withPrev : changes(matching, true, eventsAt, whole);
                changes = withPrev;
            } else {
                withoutPrev = withoutPrev != null ? withoutPrev : changes(matching, false, eventsAt, whole);
                changes = withoutPrev;
            }
            int from = 0;
            while (from < changes.size() && changes.get(from).revision() < watcher.start) {
                from++;
            }
            if (from == 0 && watcher.queue.isEmpty() && !watcher.subscriber.congested()) {
                // The common case: every watcher of this key or prefix is handed the very same list, which a
                // subscriber can encode once for all of them.
                send(watcher, changes);
            } else if (from < changes.size()) {
                for (int i = from; i < changes.size(); i++) {
                    enqueue(watcher, changes.get(i));
                }
                if (!watcher.closed) {
                    touched.add(watcher);
                }
            }
        }
    }

    /**
     * One message per revision of {@code matching}. A revision whose every event matches gets the message
     * shared by every watcher of every key and prefix that saw all of it ({@code whole}), so it is encoded once.
     */
    private static List<WatchMessage> changes(List<Event> matching, boolean withPrev, Map<Long, Integer> eventsAt,
                                              Map<Long, WatchMessage.Change[]> whole) {
        List<WatchMessage> out = new ArrayList<>();
        int i = 0;
        while (i < matching.size()) {
            long revision = matching.get(i).revision();
            int end = i;
            while (end < matching.size() && matching.get(end).revision() == revision) {
                end++;
            }
            List<Event> events = matching.subList(i, end);
            if (events.size() == eventsAt.get(revision)) {
                WatchMessage.Change[] shared = whole.computeIfAbsent(revision, r -> new WatchMessage.Change[2]);
                int slot = withPrev ? 1 : 0;
                if (shared[slot] == null) {
                    shared[slot] = new WatchMessage.Change(revision, withPrev ? events : stripped(events));
                }
                out.add(shared[slot]);
            } else {
                out.add(new WatchMessage.Change(revision, withPrev ? events : stripped(events)));
            }
            i = end;
        }
        return Collections.unmodifiableList(out);
    }

    private static List<Event> stripped(List<Event> events) {
        List<Event> out = new ArrayList<>(events.size());
        for (Event event : events) {
            out.add(event.withoutPrev());
        }
        return out;
    }

    /**
     * The state machine was replaced by a snapshot through {@code snapshotIndex}: the entries it covers
     * are never applied here, so every live watcher behind it reads them from the installed history.
     */
    void installed(long snapshotIndex, long installedCompactRevision) {
        compactRevision = Math.max(compactRevision, installedCompactRevision);
        if (snapshotIndex > appliedIndex && !bugs.contains(DeliberateBug.INSTALL_KEEPS_WATCHERS_LIVE)) {
            for (Watcher watcher : List.copyOf(watchers.values())) {
                long next = Math.max(watcher.start, appliedIndex + 1);
                if (!watcher.catchingUp && next <= snapshotIndex) {
                    watcher.catchingUp = true;
                    watcher.position = next;
                }
            }
        }
        appliedIndex = Math.max(appliedIndex, snapshotIndex);
        for (Watcher watcher : List.copyOf(watchers.values())) {
            if (watcher.catchingUp && !watcher.readInFlight) {
                readMore(watcher);
            }
        }
    }

    /** A compaction to {@code revision} was applied. */
    void compacted(long revision) {
        compactRevision = Math.max(compactRevision, revision);
    }

    /** A page of history for {@code watchId} arrived: a {@link KvStore.HistoryPage} or the reason it could not be read. */
    void historyRead(long watchId, Object result) {
        Watcher watcher = watchers.get(watchId);
        if (watcher == null) {
            return;
        }
        watcher.readInFlight = false;
        if (result instanceof RevisionUnavailableException unavailable) {
            compactRevision = Math.max(compactRevision, unavailable.compactRevision());
            cancel(watcher, WatchMessage.Reason.COMPACTED);
            return;
        }
        KvStore.HistoryPage page = (KvStore.HistoryPage) result;
        List<Event> events = page.events();
        int i = 0;
        while (i < events.size()) {
            long revision = events.get(i).revision();
            int end = i;
            while (end < events.size() && events.get(end).revision() == revision) {
                end++;
            }
            if (revision >= watcher.start) {
                watcher.queue.add(new WatchMessage.Change(revision, events.subList(i, end)));
                watcher.queuedBytes += sizeBytes(watcher.queue.peekLast());
            }
            i = end;
        }
        // A page is at most a page: it leaves in one send, or waits whole while the subscriber is congested.
        flushQueue(watcher);
        if (watcher.closed) {
            return;
        }
        watcher.position = page.through() + 1;
        if (watcher.position > appliedIndex) {
            watcher.catchingUp = false;
        } else {
            readMore(watcher);
        }
    }

    /** Time passes: idle watchers get their progress messages. */
    void tick(long nowNanos) {
        this.nowNanos = Math.max(this.nowNanos, nowNanos);
        while (!progressDue.isEmpty() && progressDue.peek().dueNanos <= this.nowNanos) {
            Watcher watcher = progressDue.poll();
            if (watcher.closed) {
                continue;
            }
            long idleSince = watcher.lastSentNanos;
            if (this.nowNanos - idleSince >= watcher.progressNanos) {
                if (!watcher.catchingUp && watcher.queue.isEmpty() && !watcher.subscriber.congested()) {
                    send(watcher, List.of(new WatchMessage.Progress(Math.max(appliedIndex, watcher.start - 1))));
                }
                watcher.dueNanos = this.nowNanos + watcher.progressNanos;
            } else {
                watcher.dueNanos = idleSince + watcher.progressNanos;
            }
            progressDue.add(watcher);
        }
    }

    /** Ends every stream with {@code reason} (the node stops or fences). */
    void cancelAll(WatchMessage.Reason reason) {
        for (Watcher watcher : List.copyOf(watchers.values())) {
            cancel(watcher, reason);
        }
    }

    private void readMore(Watcher watcher) {
        if (watcher.closed || watcher.readInFlight || !watcher.queue.isEmpty() || watcher.subscriber.congested()) {
            return;
        }
        if (watcher.position > appliedIndex) {
            watcher.catchingUp = false;
            return;
        }
        watcher.readInFlight = true;
        reader.readHistory(watcher.id, watcher.selector, watcher.position, appliedIndex, settings.pageEvents(),
                watcher.prevKv);
    }

    /**
     * Queues a message; the caller flushes. While the subscriber is congested the queue is what the hub
     * holds for it, and a queue past its byte limit cancels the watcher as slow; otherwise the queue leaves
     * at the end of the batch, whatever its size.
     */
    private void enqueue(Watcher watcher, WatchMessage message) {
        if (watcher.closed) {
            return;
        }
        watcher.queue.add(message);
        watcher.queuedBytes += sizeBytes(message);
        if (watcher.queuedBytes > settings.maxQueuedBytes() && watcher.subscriber.congested()) {
            cancel(watcher, WatchMessage.Reason.SLOW_WATCHER);
        }
    }

    /** Sends whatever is queued, in one call, unless the subscriber is congested; then reads on if catching up. */
    private void flush(Watcher watcher) {
        flushQueue(watcher);
        if (watcher.catchingUp) {
            readMore(watcher);
        }
    }

    private void flushQueue(Watcher watcher) {
        if (watcher.closed || watcher.queue.isEmpty() || watcher.subscriber.congested()) {
            return;
        }
        List<WatchMessage> batch = new ArrayList<>(watcher.queue);
        watcher.queue.clear();
        watcher.queuedBytes = 0;
        send(watcher, batch);
    }

    private void send(Watcher watcher, List<WatchMessage> messages) {
        watcher.lastSentRevision = messages.get(messages.size() - 1).revision();
        watcher.lastSentNanos = nowNanos;
        watcher.subscriber.send(messages);
    }

    private void cancel(Watcher watcher, WatchMessage.Reason reason) {
        if (watcher.closed) {
            return;
        }
        unregister(watcher);
        watcher.queue.clear();
        watcher.queuedBytes = 0;
        watcher.subscriber.end(new WatchMessage.Cancelled(reason, watcher.lastSentRevision, compactRevision));
    }

    private void unregister(Watcher watcher) {
        watcher.closed = true;
        watchers.remove(watcher.id);
        if (watcher.progressNanos > 0) {
            progressDue.remove(watcher);
        }
        Map<Key, Set<Watcher>> index = watcher.selector.prefix() ? byPrefix : byKey;
        Set<Watcher> same = index.get(watcher.selectorKey);
        if (same != null) {
            same.remove(watcher);
            if (same.isEmpty()) {
                index.remove(watcher.selectorKey);
            }
        }
        if (watcher.selector.prefix()) {
            prefixLengths.computeIfPresent(watcher.selector.bytes().length, (length, count) -> count > 1 ? count - 1 : null);
        }
    }

    private static long sizeBytes(WatchMessage message) {
        return message instanceof WatchMessage.Change change ? change.sizeBytes() : 64;
    }
}
