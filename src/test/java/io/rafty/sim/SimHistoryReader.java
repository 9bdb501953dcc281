package io.rafty.sim;

import io.rafty.kv.Event;
import io.rafty.kv.KvEntry;
import io.rafty.kv.KvStore;
import io.rafty.kv.RevisionUnavailableException;
import io.rafty.node.Reply;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * A simulated client of reads at a past revision ({@code GET /v1/kv?prefix=&revision=R}): it takes a
 * read barrier on a random node, as the HTTP route does, then lists every key as of a revision it
 * knows was acknowledged — so the node must have applied it — and keeps what it saw. At the end of
 * the run each read is checked against the committed history: the page is exactly the state at that
 * revision, or the node said plainly that the revision was compacted (and it was). A revision beyond
 * the node's state is never a correct answer here, since the barrier came first.
 */
final class SimHistoryReader {

    private static final long THINK_MAX_MICROS = 40_000;

    /** One read: what was asked, where, and the answer (a page, or why there was none). */
    private record Read(int node, long revision, List<String> page, RevisionUnavailableException refused) {
    }

    final int id;
    private final Simulation sim;
    private final SplittableRandom random;
    private final List<Read> reads = new ArrayList<>();
    private boolean stopped;

    SimHistoryReader(int id, Simulation sim, SplittableRandom random) {
        this.id = id;
        this.sim = sim;
        this.random = random;
    }

    void start() {
        next();
    }

    void stop() {
        stopped = true;
    }

    int readCount() {
        return reads.size();
    }

    private void next() {
        if (!stopped) {
            sim.scheduleClient(random.nextLong(1, THINK_MAX_MICROS), this::read);
        }
    }

    private void read() {
        SimHost host = sim.randomUpHost(random);
        long acked = sim.maxAckedRevision();
        if (host == null || acked < 1) {
            next();
            return;
        }
        // A third of the reads are at the oldest revision the node still keeps: the compaction's boundary.
        long compacted = host.stateMachine().compactRevision();
        long revision = compacted >= 1 && compacted <= acked && random.nextInt(3) == 0 ? compacted
                : 1 + random.nextLong(acked);
        int incarnation = host.incarnation;
        host.driver.readBarrier(new Reply<>() {
            @Override
            public void succeed(Long index) {
                if (host.up && host.incarnation == incarnation) {
                    try {
                        KvStore.Page page = host.stateMachine().listAt(new byte[0], null, 1000, revision);
                        List<String> seen = new ArrayList<>();
                        page.entries().forEach(entry -> seen.add(describe(entry)));
                        reads.add(new Read(host.id, revision, seen, null));
                        sim.trace("r" + id + " n" + host.id + " at " + revision + " " + seen);
                    } catch (RevisionUnavailableException e) {
                        reads.add(new Read(host.id, revision, null, e));
                        sim.trace("r" + id + " n" + host.id + " at " + revision + " refused: " + e.getMessage());
                    }
                }
                next();
            }

            @Override
            public void fail(RuntimeException failure) {
                next();
            }
        }, host.nowNanos());
    }

    /** Every read equals the committed state at its revision, or was refused as compacted, rightly. */
    void check(Invariants invariants) {
        TreeMap<Long, List<Event>> committed = invariants.committedEvents();
        for (Read read : reads) {
            String what = "read r" + id + " on n" + read.node() + " at revision " + read.revision();
            if (read.refused() != null) {
                RevisionUnavailableException refused = read.refused();
                if (refused.reason() != RevisionUnavailableException.Reason.COMPACTED
                        || read.revision() >= refused.compactRevision()
                        || refused.compactRevision() > invariants.maxCompactRevision()) {
                    throw new InvariantViolation(what + " was refused wrongly: " + refused.getMessage()
                            + " (committed compactions reach " + invariants.maxCompactRevision() + ")");
                }
                continue;
            }
            TreeMap<String, String> state = new TreeMap<>();
            for (Map.Entry<Long, List<Event>> revision : committed.headMap(read.revision(), true).entrySet()) {
                for (Event event : revision.getValue()) {
                    String key = new String(event.key(), StandardCharsets.UTF_8);
                    if (event.type() == Event.Type.PUT) {
                        state.put(key, describe(event.entry()));
                    } else {
                        state.remove(key);
                    }
                }
            }
            List<String> expected = new ArrayList<>(state.values());
            if (!expected.equals(read.page())) {
                throw new InvariantViolation(what + " saw " + read.page() + " but the committed state then was "
                        + expected);
            }
        }
    }

    private static String describe(KvEntry entry) {
        return new String(entry.key(), StandardCharsets.UTF_8) + "=" + new String(entry.value(), StandardCharsets.UTF_8)
                + "@" + entry.revision() + "/" + entry.createRevision() + "/" + entry.version();
    }
}
