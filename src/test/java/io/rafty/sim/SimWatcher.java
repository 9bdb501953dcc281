package io.rafty.sim;

import io.rafty.kv.Event;
import io.rafty.kv.KeySelector;
import io.rafty.kv.KvEntry;
import io.rafty.kv.RevisionUnavailableException;
import io.rafty.node.Reply;
import io.rafty.node.RequestFailure;
import io.rafty.node.WatchHub;
import io.rafty.node.WatchMessage;
import io.rafty.node.WatchRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * A simulated watch client, as an SSE client of DESIGN §4 behaves: it watches one key or prefix on a
 * random node, starting now (after a read barrier, as the HTTP route does), from a revision, or after
 * the last revision it saw ({@code Last-Event-ID}); when the stream ends — the node crashed, cancelled
 * it (slow, compacted), or the client hung up — it reconnects to a random node and resumes after the
 * last revision it saw, or relists from now after {@code compacted}. Its subscriber is sometimes
 * congested, so the hub queues, pages and cancels slow watchers.
 *
 * <p>Every session's messages are kept and checked at the end of the run against the committed
 * history ({@link Invariants#committedEvents()}): see {@link #check}.
 */
final class SimWatcher {

    private static final long RECONNECT_DELAY_MAX_MICROS = 50_000;
    private static final long CONGESTION_MAX_MICROS = 200_000;
    private static final double HANG_UP_RATE = 0.01;

    /** One watch stream on one node. */
    final class Session implements WatchHub.Subscriber {
        final int serial;
        final SimHost host;
        final int incarnation;
        final WatchRequest request;
        /** For a start of now: the highest revision acknowledged to any client before the request. */
        final long ackedBefore;
        final List<WatchMessage> messages = new ArrayList<>();
        long watchId = -1;
        boolean congested;
        boolean everCongested;
        boolean closed;
        String endedBy = "open";

        Session(int serial, SimHost host, WatchRequest request, long ackedBefore) {
            this.serial = serial;
            this.host = host;
            this.incarnation = host.incarnation;
            this.request = request;
            this.ackedBefore = ackedBefore;
        }

        @Override
        public void send(List<WatchMessage> batch) {
            if (closed) {
                throw new InvariantViolation("watch w" + id + "." + serial + " on n" + host.id + " got " + batch
                        + " after its stream ended");
            }
            if (batch.isEmpty()) {
                throw new InvariantViolation("watch w" + id + "." + serial + " was sent an empty batch");
            }
            boolean changes = false;
            for (WatchMessage message : batch) {
                messages.add(message);
                lastRevision = message.revision();
                changes |= message instanceof WatchMessage.Change;
                sim.trace("w" + id + "." + serial + " <- n" + host.id + " " + describe(message));
            }
            if (changes && random.nextDouble() < parameters.watchCongestion()) {
                congest();
            }
            if (changes && random.nextDouble() < HANG_UP_RATE && !stopped) {
                // The client goes away mid-stream; it comes back later, after the last revision it saw.
                sim.scheduleClient(0, this::hangUp);
            }
        }

        @Override
        public boolean congested() {
            return congested;
        }

        @Override
        public void end(WatchMessage.Cancelled cancelled) {
            if (closed) {
                throw new InvariantViolation("watch w" + id + "." + serial + " ended twice");
            }
            messages.add(cancelled);
            closed = true;
            endedBy = cancelled.reason().code();
            host.forget(this);
            sim.trace("w" + id + "." + serial + " <- n" + host.id + " " + describe(cancelled));
            if (cancelled.reason() == WatchMessage.Reason.COMPACTED) {
                reconnect(afterCompacted(cancelled.compactRevision()));
            } else {
                reconnect(WatchRequest.Start.after(lastRevision));
            }
        }

        /** The node's process died: the connection is gone, with no message. */
        void connectionLost() {
            if (closed) {
                return;
            }
            closed = true;
            endedBy = "crash";
            sim.trace("w" + id + "." + serial + " lost its connection to n" + host.id);
            reconnect(resume());
        }

        private void hangUp() {
            if (closed) {
                return;
            }
            closed = true;
            endedBy = "hang-up";
            host.forget(this);
            if (host.up && host.incarnation == incarnation) {
                host.driver.cancelWatch(watchId);
            }
            sim.trace("w" + id + "." + serial + " hangs up on n" + host.id);
            reconnect(resume());
        }

        private void congest() {
            if (congested) {
                return;
            }
            congested = true;
            everCongested = true;
            sim.scheduleClient(random.nextLong(1, CONGESTION_MAX_MICROS), () -> {
                congested = false;
                if (!closed && host.up && host.incarnation == incarnation) {
                    host.driver.watchWritable(watchId);
                }
            });
        }
    }

    final int id;
    private final Simulation sim;
    private final SplittableRandom random;
    private final SimParameters parameters;
    private final KeySelector selector;
    private final boolean prevKv;
    private final List<Session> sessions = new ArrayList<>();
    /** The revision of the last message received on any session: where a resume starts after. */
    private long lastRevision;
    private boolean stopped;
    private int refusals;

    SimWatcher(int id, Simulation sim, SplittableRandom random, SimParameters parameters) {
        this.id = id;
        this.sim = sim;
        this.random = random;
        this.parameters = parameters;
        int shape = random.nextInt(4);
        this.selector = switch (shape) {
            case 0 -> KeySelector.prefix(new byte[0]);
            case 1 -> KeySelector.prefix(bytes("k"));
            default -> KeySelector.key(bytes("k" + random.nextInt(parameters.keys())));
        };
        this.prevKv = random.nextBoolean();
    }

    void start() {
        sim.scheduleClient(random.nextLong(1, RECONNECT_DELAY_MAX_MICROS), () -> open(fresh()));
    }

    /**
     * A start without a past: now, from a random revision, or from the oldest revision the node keeps
     * ({@link #OLDEST_KEPT}, resolved once the node is chosen) — the compaction's boundary.
     */
    private WatchRequest.Start fresh() {
        return switch (random.nextInt(3)) {
            case 0 -> WatchRequest.Start.now();
            case 1 -> WatchRequest.Start.from(1 + random.nextLong(Math.max(1, sim.maxAckedRevision()) + 1));
            default -> OLDEST_KEPT;
        };
    }

    /** A marker start: from the chosen node's compact revision. */
    private static final WatchRequest.Start OLDEST_KEPT = WatchRequest.Start.from(Long.MAX_VALUE);

    /** Stops reconnecting; open sessions stay open until the run ends. */
    void stop() {
        stopped = true;
        for (Session session : sessions) {
            session.congested = false;
            if (!session.closed && session.host.up && session.host.incarnation == session.incarnation) {
                session.host.driver.watchWritable(session.watchId);
            }
        }
    }

    /**
     * What a client told {@code compacted} does: relist and watch from now, or — a cache that accepts the
     * gap — watch from the oldest revision still kept, which probes the compaction's boundary.
     */
    private WatchRequest.Start afterCompacted(long compactRevision) {
        return random.nextBoolean() ? fresh() : WatchRequest.Start.from(Math.max(1, compactRevision));
    }

    /** Mostly where the last stream stopped; sometimes a fresh start, as a restarted client makes. */
    private WatchRequest.Start resume() {
        int dice = random.nextInt(10);
        if (dice < 2) {
            return WatchRequest.Start.from(lastRevision + 1);
        }
        return dice < 7 ? WatchRequest.Start.after(lastRevision) : fresh();
    }

    private void reconnect(WatchRequest.Start start) {
        if (stopped) {
            return;
        }
        sim.scheduleClient(random.nextLong(1, RECONNECT_DELAY_MAX_MICROS), () -> open(start));
    }

    private void open(WatchRequest.Start asked) {
        if (stopped) {
            return;
        }
        SimHost host = sim.randomUpHost(random);
        if (host == null) {
            reconnect(asked);
            return;
        }
        WatchRequest.Start start = asked == OLDEST_KEPT
                ? WatchRequest.Start.from(Math.max(1, host.stateMachine().compactRevision())) : asked;
        long progress = parameters.watchProgressMicros() * 1000;
        WatchRequest request = new WatchRequest(selector, start, prevKv, progress);
        if (start.kind() == WatchRequest.Start.Kind.NOW) {
            long acked = sim.maxAckedRevision();
            int incarnation = host.incarnation;
            host.driver.readBarrier(new Reply<>() {
                @Override
                public void succeed(Long index) {
                    if (host.up && host.incarnation == incarnation) {
                        attach(host, request, acked);
                    } else {
                        reconnect(start);
                    }
                }

                @Override
                public void fail(RuntimeException failure) {
                    reconnect(start);
                }
            }, host.nowNanos());
        } else {
            attach(host, request, 0);
        }
    }

    private void attach(SimHost host, WatchRequest request, long ackedBefore) {
        Session session = new Session(sessions.size() + 1, host, request, ackedBefore);
        sim.trace("w" + id + "." + session.serial + " -> n" + host.id + " watch " + selector + " "
                + request.start().kind() + " " + request.start().revision() + (prevKv ? " prevKv" : ""));
        try {
            session.watchId = host.watch(request, session);
            sessions.add(session);
        } catch (RevisionUnavailableException e) {
            refusals++;
            sim.trace("w" + id + "." + session.serial + " refused: " + e.getMessage());
            if (request.start().kind() == WatchRequest.Start.Kind.NOW || e.requested() >= e.compactRevision()
                    || e.compactRevision() > sim.invariants().maxCompactRevision()) {
                throw new InvariantViolation("watch w" + id + " refused as compacted for start " + request.start()
                        + ": " + e.getMessage());
            }
            reconnect(afterCompacted(e.compactRevision()));
        } catch (RequestFailure e) {
            sim.trace("w" + id + "." + session.serial + " refused: " + e.getMessage());
            reconnect(request.start());
        }
    }

    // ----- the checks -----------------------------------------------------------------------------

    /**
     * Checks every session against the committed history: it begins with one {@code created} whose
     * revision is where it asked to start (after a read barrier, at least every revision acknowledged
     * before the request); then every change is one whole revision of matching events, exactly as
     * committed, in revision order, with no matching revision skipped in between; progress notes skip
     * nothing either; a {@code compacted} cancel comes only when the next revision it needed was
     * compacted; {@code slow_watcher} only for a subscriber that was congested. An open session at the
     * end of the healed run has been sent everything its node applied.
     */
    void check(Invariants invariants, long healedCommit) {
        TreeMap<Long, List<Event>> committed = invariants.committedEvents();
        for (Session session : sessions) {
            String name = "watch w" + id + "." + session.serial + " (" + selector + ", "
                    + session.request.start().kind() + " " + session.request.start().revision() + ", n"
                    + session.host.id + ", ended by " + session.endedBy + ")";
            List<WatchMessage> messages = session.messages;
            if (messages.isEmpty() || !(messages.get(0) instanceof WatchMessage.Created created)) {
                throw new InvariantViolation(name + " did not start with created: " + messages);
            }
            long position = created.revision();
            WatchRequest.Start start = session.request.start();
            switch (start.kind()) {
                case FROM -> expect(position == start.revision() - 1, name, "created " + position
                        + " for a start from " + start.revision());
                case AFTER -> expect(position == start.revision(), name, "created " + position
                        + " for a resume after " + start.revision());
                case NOW -> expect(position >= session.ackedBefore, name, "created " + position
                        + " below revision " + session.ackedBefore + ", acknowledged before the request");
            }
            for (int i = 1; i < messages.size(); i++) {
                WatchMessage message = messages.get(i);
                String at = name + " message " + i + " " + describe(message);
                switch (message.kind()) {
                    case CREATED -> throw new InvariantViolation(at + ": a second created");
                    case CHANGE -> {
                        long revision = message.revision();
                        expect(revision > position, at, "not after the previous revision " + position);
                        long skipped = firstMatch(committed, position + 1, revision - 1);
                        expect(skipped == 0, at, "skips committed revision " + skipped + " "
                                + describe(committed.get(skipped)));
                        List<Event> expected = matching(committed.get(revision));
                        List<String> want = new ArrayList<>();
                        for (Event event : expected) {
                            want.add(describe(prevKv ? event : event.withoutPrev()));
                        }
                        List<String> got = new ArrayList<>();
                        for (Event event : ((WatchMessage.Change) message).events()) {
                            got.add(describe(event));
                        }
                        expect(want.equals(got), at, "committed revision " + revision + " has " + want);
                        position = revision;
                    }
                    case PROGRESS -> {
                        long revision = message.revision();
                        expect(revision >= position, at, "goes back from " + position);
                        long skipped = firstMatch(committed, position + 1, revision);
                        expect(skipped == 0, at, "passes committed revision " + skipped + " "
                                + describe(committed.get(skipped)) + " without sending it");
                        position = revision;
                    }
                    case CANCELLED -> {
                        WatchMessage.Cancelled cancelled = (WatchMessage.Cancelled) message;
                        expect(i == messages.size() - 1, at, "is not the last message");
                        expect(cancelled.revision() == position, at, "names revision " + cancelled.revision()
                                + " but the last one sent was " + position);
                        switch (cancelled.reason()) {
                            case COMPACTED -> expect(position + 1 < cancelled.compactRevision()
                                    && cancelled.compactRevision() <= invariants.maxCompactRevision(), at,
                                    "but the next revision " + (position + 1) + " was kept (committed compactions"
                                            + " reach " + invariants.maxCompactRevision() + ")");
                            case SLOW_WATCHER -> expect(session.everCongested, at, "but its subscriber never"
                                    + " pushed back");
                            case SHUTDOWN, UNAVAILABLE -> throw new InvariantViolation(at + ": the simulator stops"
                                    + " no node that way");
                        }
                    }
                }
            }
            if (!session.closed && session.host.up && session.host.incarnation == session.incarnation) {
                long applied = session.host.appliedIndex();
                long missing = firstMatch(committed, position + 1, applied);
                expect(missing == 0, name, "ends at revision " + position + " though its node applied " + applied
                        + " and revision " + missing + " matches it");
            }
        }
    }

    /**
     * The sum of every session's position (the revision of its last message): grows only while streams
     * move forward, not with progress notes that repeat a revision.
     */
    long positions() {
        long sum = 0;
        for (Session session : sessions) {
            sum += session.messages.isEmpty() ? 0 : session.messages.get(session.messages.size() - 1).revision();
        }
        return sum;
    }

    /** Every open stream has been sent everything its node applied that matches it. */
    boolean caughtUp() {
        for (Session session : sessions) {
            if (session.closed || !session.host.up || session.host.incarnation != session.incarnation) {
                continue;
            }
            long position = session.messages.isEmpty() ? 0 : session.messages.get(session.messages.size() - 1).revision();
            if (firstMatch(sim.invariants().committedEvents(), position + 1, session.host.appliedIndex()) != 0) {
                return false;
            }
        }
        return true;
    }

    Simulation.Watches counts() {
        long changes = 0;
        int resumed = 0;
        int slow = 0;
        int compacted = 0;
        for (Session session : sessions) {
            if (session.request.start().kind() == WatchRequest.Start.Kind.AFTER) {
                resumed++;
            }
            for (WatchMessage message : session.messages) {
                if (message instanceof WatchMessage.Change) {
                    changes++;
                } else if (message instanceof WatchMessage.Cancelled cancelled) {
                    slow += cancelled.reason() == WatchMessage.Reason.SLOW_WATCHER ? 1 : 0;
                    compacted += cancelled.reason() == WatchMessage.Reason.COMPACTED ? 1 : 0;
                }
            }
        }
        return new Simulation.Watches(sessions.size(), changes, resumed, slow, compacted + refusals, 0, 0);
    }

    int refusals() {
        return refusals;
    }

    private long firstMatch(TreeMap<Long, List<Event>> committed, long from, long to) {
        if (from > to) {
            return 0;
        }
        for (Map.Entry<Long, List<Event>> revision : committed.subMap(from, true, to, true).entrySet()) {
            if (!matching(revision.getValue()).isEmpty()) {
                return revision.getKey();
            }
        }
        return 0;
    }

    private List<Event> matching(List<Event> events) {
        List<Event> out = new ArrayList<>();
        if (events != null) {
            for (Event event : events) {
                if (selector.matches(event.key())) {
                    out.add(event);
                }
            }
        }
        return out;
    }

    private static void expect(boolean holds, String what, String problem) {
        if (!holds) {
            throw new InvariantViolation(what + " " + problem);
        }
    }

    static String describe(WatchMessage message) {
        if (message instanceof WatchMessage.Change change) {
            List<String> events = new ArrayList<>();
            for (Event event : change.events()) {
                events.add(describe(event));
            }
            return "change " + change.revision() + " " + events;
        }
        return message.toString();
    }

    static String describe(List<Event> events) {
        List<String> out = new ArrayList<>();
        if (events != null) {
            events.forEach(event -> out.add(describe(event)));
        }
        return out.toString();
    }

    static String describe(Event event) {
        return event.type() + " " + describe(event.entry()) + (event.prev() == null ? "" : " prev=" + describe(event.prev()));
    }

    private static String describe(KvEntry entry) {
        return new String(entry.key(), StandardCharsets.UTF_8) + "=" + new String(entry.value(), StandardCharsets.UTF_8)
                + "@" + entry.revision() + "/" + entry.createRevision() + "/" + entry.version();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
