package io.rafty.sim;

import io.rafty.kv.Event;
import io.rafty.kv.KvResult;
import io.rafty.kv.KvStateMachine;
import io.rafty.raft.Entry;
import io.rafty.raft.RaftNode;
import io.rafty.raft.Ready;
import io.rafty.raft.Role;
import io.rafty.storage.InMemoryKvStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The cluster-wide safety properties, checked incrementally so they can run after every event.
 *
 * <ul>
 *   <li>Election safety: at most one leader per term.</li>
 *   <li>Log matching: every (index, term) ever written by any node has one payload and one
 *       predecessor term. By induction on the index this is the full property "two logs holding an
 *       entry with the same index and term are identical up to it", at O(1) per appended entry.</li>
 *   <li>State machine safety: the first node to consider index i committed fixes (term, payload)
 *       for i; every later commit or apply of i, by any node, across crashes, must agree. Every
 *       state machine must produce the same result at each index.</li>
 *   <li>A running node's commit index never decreases; a durable applied index never decreases
 *       unless the simulator deliberately destroyed that state machine.</li>
 * </ul>
 */
final class Invariants {

    private record IndexTerm(long index, long term) {
    }

    private record EntryFacts(long payloadHash, long previousTerm) {
    }

    private final Map<Long, Integer> leaderOfTerm = new TreeMap<>();
    // HashMaps are only looked up, never iterated, so their order cannot leak into the run.
    private final Map<IndexTerm, EntryFacts> written = new HashMap<>();
    /** committedTerm/Hash.get(i - 1) describe the committed entry at index i. */
    private final List<long[]> committed = new ArrayList<>();
    private final List<KvAnswer> results = new ArrayList<>();
    private final Map<Integer, Long> durableApplied = new TreeMap<>();
    /**
     * The committed history as one correct state machine computes it, entry by entry as entries become
     * committed: what every watcher and every read at a revision is checked against.
     */
    private final KvStateMachine reference = new KvStateMachine(new InMemoryKvStore());
    private LeaseLedger leaseLedger;
    private java.util.function.LongSupplier clock = () -> 0;

    /** Checks every committed revoke against what the lease clients were acknowledged (see {@link LeaseLedger}). */
    void useLeaseLedger(LeaseLedger ledger, java.util.function.LongSupplier now) {
        this.leaseLedger = ledger;
        this.clock = now;
    }

    /** Per idempotency key, the index at which its write took effect. */
    private final java.util.Map<String, Long> idempotentApplies = new java.util.HashMap<>();
    private final TreeMap<Long, List<Event>> eventsByRevision = new TreeMap<>();
    private long maxCompactRevision;

    /** The committed changes by revision (revisions without changes are absent). */
    TreeMap<Long, List<Event>> committedEvents() {
        return eventsByRevision;
    }

    /** The highest compaction revision any committed entry asked for and got. */
    long maxCompactRevision() {
        return maxCompactRevision;
    }

    long maxCommitted() {
        return committed.size();
    }

    /** Checks a node that is up, after any event. */
    void checkNode(SimHost host) {
        RaftNode node = host.node;
        if (node.role() == Role.LEADER) {
            checkLeader(host.id, node.term());
        }
        long commit = node.commitIndex();
        if (commit < host.lastCommitSeen) {
            throw new InvariantViolation("node " + host.id + " commit index went back from " + host.lastCommitSeen
                    + " to " + commit);
        }
        host.lastCommitSeen = commit;
        for (long i = Math.max(host.commitCheckedUpTo, node.logStartIndex()) + 1; i <= commit; i++) {
            checkCommitted(host.id, node.entryAt(i), "commits", node.term());
        }
        host.commitCheckedUpTo = Math.max(host.commitCheckedUpTo, commit);
        Long applied = durableApplied.get(host.id);
        if (applied != null && host.appliedIndex() < applied) {
            throw new InvariantViolation("node " + host.id + " applied index went back from " + applied + " to "
                    + host.appliedIndex());
        }
        durableApplied.put(host.id, host.appliedIndex());
    }

    /** A node replaced its state machine by a snapshot through {@code index}, which must be committed. */
    void onSnapshotInstalled(SimHost host, long index) {
        if (index > committed.size()) {
            throw new InvariantViolation("node " + host.id + " installed a snapshot through " + index
                    + ", beyond every index ever committed (" + committed.size() + ")");
        }
    }

    /** The simulator threw away a node's state machine: its applied index may restart from 0. */
    void forgetApplied(int id) {
        durableApplied.remove(id);
    }

    private void checkLeader(int id, long term) {
        Integer previous = leaderOfTerm.putIfAbsent(term, id);
        if (previous != null && previous != id) {
            throw new InvariantViolation("election safety: nodes " + previous + " and " + id
                    + " are both leaders of term " + term);
        }
    }

    /** Also sees a leadership that began and ended within one event, through the Ready's soft state. */
    void onReady(SimHost host, Ready ready) {
        if (ready.softState() != null && ready.softState().role() == Role.LEADER) {
            checkLeader(host.id, ready.softState().term());
            checkLeaderCompleteness(host);
        }
        List<Entry> entries = ready.entries();
        if (entries.isEmpty()) {
            return;
        }
        long previousTerm = host.node.termAt(entries.get(0).index() - 1);
        for (Entry entry : entries) {
            EntryFacts facts = new EntryFacts(hash(entry), previousTerm);
            EntryFacts known = written.putIfAbsent(new IndexTerm(entry.index(), entry.term()), facts);
            if (known != null && !known.equals(facts)) {
                throw new InvariantViolation("log matching: node " + host.id + " holds " + entry + " after term "
                        + previousTerm + ", but another log has index " + entry.index() + " term " + entry.term()
                        + (known.payloadHash != facts.payloadHash ? " with another payload" : " after term "
                        + known.previousTerm));
            }
            previousTerm = entry.term();
        }
    }

    /**
     * Leader completeness (Raft §5.4): a new leader holds every entry committed in an earlier term (a
     * leader of an older term, elected late on stale votes, need not hold what a newer one committed).
     * This is the invariant a node that forgot its disk would break by electing a leader that lacks
     * acknowledged writes, checked the moment the leadership begins rather than when a client notices.
     */
    private void checkLeaderCompleteness(SimHost host) {
        RaftNode node = host.node;
        long leaderTerm = node.term();
        long through = 0;
        for (int i = committed.size(); i >= 1; i--) {
            if (committed.get(i - 1)[2] < leaderTerm) {
                through = i;
                break;
            }
        }
        if (node.lastIndex() < through) {
            throw new InvariantViolation("leader completeness: node " + host.id + " leads term " + leaderTerm
                    + " with a log ending at " + node.lastIndex() + ", but index " + through + " was committed in term "
                    + committed.get((int) through - 1)[2]);
        }
        for (long i = node.logStartIndex() + 1; i <= through; i++) {
            Entry entry = node.entryAt(i);
            long[] known = committed.get((int) i - 1);
            if (known[0] != entry.term() || known[1] != hash(entry)) {
                throw new InvariantViolation("leader completeness: node " + host.id + " leads term " + node.term()
                        + " with " + entry + " at index " + i + ", which was committed with term " + known[0]);
            }
        }
    }

    void onApply(SimHost host, List<Entry> entries) {
        long expected = host.appliedIndex() + 1;
        for (Entry entry : entries) {
            if (entry.index() < expected) {
                continue;
            }
            if (entry.index() != expected) {
                throw new InvariantViolation("node " + host.id + " applies " + entry + " after applied index "
                        + (expected - 1));
            }
            checkCommitted(host.id, entry, "applies", host.node.term());
            expected++;
        }
    }

    /**
     * A write with an idempotency key took effect at {@code index} on {@code host} (it was not answered
     * from the table). Each key's write applies once: at one index, on every node (a node may apply that
     * index again after a crash, replaying its log, but never another index for the same key).
     */
    void onIdempotentApplied(SimHost host, String key, long index) {
        Long first = idempotentApplies.putIfAbsent(key, index);
        if (first != null && first != index) {
            throw new InvariantViolation("the write with idempotency key " + key + " applied twice: at index "
                    + first + ", and again at index " + index + " on node " + host.id);
        }
    }

    void onResult(SimHost host, long index, KvAnswer answer, List<Event> events) {
        if (index <= committed.size()) {
            // The changes too, against the reference: versions, create revisions and prevs included, which the
            // answer alone does not show.
            String expected = SimWatcher.describe(eventsByRevision.getOrDefault(index, List.of()));
            String got = SimWatcher.describe(events);
            if (!expected.equals(got)) {
                throw new InvariantViolation("state machines diverge: node " + host.id + " applied index " + index
                        + " with changes " + got + ", the committed history has " + expected);
            }
        }
        while (results.size() < index) {
            results.add(null);
        }
        KvAnswer known = results.get((int) index - 1);
        if (known == null) {
            results.set((int) index - 1, answer);
        } else if (!known.equals(answer)) {
            throw new InvariantViolation("state machines diverge: node " + host.id + " applied index " + index
                    + " with result " + answer + ", another node with " + known);
        }
    }

    /** {@code term} is the observer's term: the first observer of a commit is its leader, so it is the commit's term. */
    private void checkCommitted(int id, Entry entry, String verb, long term) {
        long index = entry.index();
        if (index <= committed.size()) {
            long[] known = committed.get((int) index - 1);
            if (known[0] != entry.term() || known[1] != hash(entry)) {
                throw new InvariantViolation("committed entry changed: node " + id + " " + verb + " " + entry
                        + " but index " + index + " was committed with term " + known[0]
                        + (known[0] == entry.term() ? " and another payload" : ""));
            }
            return;
        }
        if (index != committed.size() + 1) {
            throw new InvariantViolation("node " + id + " " + verb + " " + entry + " beyond the known committed prefix "
                    + committed.size());
        }
        committed.add(new long[] {entry.term(), hash(entry), term});
        for (KvResult result : reference.apply(List.of(entry))) {
            if (result instanceof KvResult.LeaseRevoked revoked && leaseLedger != null) {
                leaseLedger.ended(revoked.id(), clock.getAsLong());
            }
            if (!result.events().isEmpty()) {
                eventsByRevision.put(result.index(), result.events());
            }
            if (result instanceof KvResult.Compacted compacted) {
                maxCompactRevision = Math.max(maxCompactRevision, compacted.compactRevision());
            }
        }
    }

    /** The committed entry at {@code index}: {term, payload hash, the term in which it was first seen committed}. */
    long[] committedAt(long index) {
        return committed.get((int) index - 1);
    }

    static long hash(Entry entry) {
        long hash = 0xcbf29ce484222325L ^ entry.type().code();
        for (byte b : entry.payload()) {
            hash = (hash ^ (b & 0xff)) * 0x100000001b3L;
        }
        return hash;
    }
}
