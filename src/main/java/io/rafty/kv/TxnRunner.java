package io.rafty.kv;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Evaluates a {@link Txn} against a {@link KvView} at one revision: first every compare on the way
 * (the outer transaction's, then those of the nested transactions its chosen branch holds, all against
 * the state before any op), then the chosen branches' ops in order, each seeing the ones before it.
 * Pure: the changes come back in the outcome for the caller to store. The state machine runs write
 * transactions through it as it applies them; the API runs read-only ones against the store as of a
 * linearizable revision, with no log entry.
 */
public final class TxnRunner {

    private TxnRunner() {
    }

    /**
     * The store's past states, for gets at a revision: {@link #at} is the state as of {@code revision}, or
     * throws {@link RevisionUnavailableException} when that revision is compacted or not before the
     * transaction's own.
     */
    @FunctionalInterface
    public interface History {

        /** No past state: every get at a revision is refused as a future one. */
        History NONE = revision -> {
            throw new RevisionUnavailableException(RevisionUnavailableException.Reason.FUTURE, revision, 0, 0);
        };

        KvView at(long revision);
    }

    /** How a transaction ran. */
    public record Outcome(boolean succeeded, List<OpResult> results, List<Event> events, Map<Key, KvEntry> changes) {
    }

    /** The result of one op, in the order of the branch. */
    public sealed interface OpResult {

        /** A put: the key's new state and its state before (null: it did not exist). */
        record Put(KvEntry entry, KvEntry prev) implements OpResult {
        }

        /** A delete: the keys it removed, as they were (empty when none existed). */
        record Delete(List<KvEntry> deleted) implements OpResult {
        }

        /** A get: the entries read, in key order; {@code more} when a prefix or range held more than the limit. */
        record Get(List<KvEntry> entries, boolean more) implements OpResult {
        }

        /** A nested transaction: the branch it took and the results of that branch's ops. */
        record Txn(boolean succeeded, List<OpResult> results) implements OpResult {
        }
    }

    /**
     * Which branch a transaction takes, and the same for each nested transaction of that branch, in the
     * order of its ops.
     */
    record Path(boolean succeeded, List<Path> nested) {
    }

    /** Why a transaction did nothing though it is valid: its result, to answer with. */
    private static final class Refused extends RuntimeException {
        final transient KvResult result;

        Refused(KvResult result) {
            super(null, null, false, false);
            this.result = result;
        }
    }

    /**
     * Runs {@code txn} at {@code revision} over {@code view}, with no past states (a get at a revision is
     * refused).
     *
     * @throws IllegalStateException when the transaction is refused (see {@link #apply})
     */
    public static Outcome run(Txn txn, KvView view, long revision) {
        KvResult result = apply(txn, view, view, History.NONE, revision);
        if (!(result instanceof KvResult.TxnDone done)) {
            throw new IllegalStateException("the transaction was refused: " + result);
        }
        return done.outcome();
    }

    /**
     * Runs {@code txn} at {@code revision}: its compares read {@code compareView} (the same as {@code view}
     * except for deliberate bugs), its ops {@code view}, its gets at a revision {@code history}. The caller
     * checks {@link Txn#problem()} first; events come out in key order (each key once), as the history
     * stores them.
     *
     * @return {@link KvResult.TxnDone}; or, with nothing changed, {@link KvResult.TxnKeyNotFound} when a put
     *         keeping a key's value or lease finds no key, {@link KvResult.TxnRevisionUnavailable} when a get
     *         asks for a revision that is compacted or not yet there
     */
    public static KvResult apply(Txn txn, KvView compareView, KvView view, History history, long revision) {
        Path path = decide(txn, compareView);
        Map<Key, KvEntry> changes = new HashMap<>();
        KvView current = new OverlayView(view, changes);
        List<Event> events = new ArrayList<>();
        List<OpResult> results;
        try {
            results = branch(txn, path, current, history, revision, changes, events);
        } catch (Refused refused) {
            return refused.result;
        }
        events.sort(Comparator.comparing(event -> new Key(event.key())));
        return new KvResult.TxnDone(revision, new Outcome(path.succeeded(), results, events, changes));
    }

    /** The branches taken, from every compare on the way against {@code view}, before any op runs. */
    static Path decide(Txn txn, KvView view) {
        boolean succeeded = true;
        for (Txn.Compare compare : txn.compares()) {
            if (!holds(compare, view)) {
                succeeded = false;
                break;
            }
        }
        List<Path> nested = new ArrayList<>();
        for (Txn.Op op : succeeded ? txn.success() : txn.failure()) {
            if (op instanceof Txn.Nested inner) {
                nested.add(decide(inner.txn(), view));
            }
        }
        return new Path(succeeded, nested);
    }

    /** A compare on one key; over a range, on every key in it (a range with no key compares as a missing key). */
    private static boolean holds(Txn.Compare compare, KvView view) {
        if (!compare.ranged()) {
            return compare.holds(view.get(compare.key()));
        }
        KeySelector keys = compare.keys();
        boolean any = false;
        while (true) {
            List<KvEntry> page = view.select(keys, KvView.SELECT_PAGE_ENTRIES);
            for (KvEntry entry : page) {
                if (!compare.holds(entry)) {
                    return false;
                }
            }
            any |= !page.isEmpty();
            if (page.size() < KvView.SELECT_PAGE_ENTRIES) {
                return any || compare.holds(null);
            }
            byte[] last = page.get(page.size() - 1).key();
            keys = KeySelector.range(Arrays.copyOf(last, last.length + 1), keys.end());
        }
    }

    private static List<OpResult> branch(Txn txn, Path path, KvView current, History history, long revision,
                                         Map<Key, KvEntry> changes, List<Event> events) {
        List<OpResult> results = new ArrayList<>();
        int nested = 0;
        for (Txn.Op op : path.succeeded() ? txn.success() : txn.failure()) {
            results.add(switch (op.kind()) {
                case PUT -> put((Txn.Put) op, current, revision, changes, events);
                case DELETE -> delete((Txn.Delete) op, current, revision, changes, events);
                case GET -> get((Txn.Get) op, current, history, revision);
                case TXN -> {
                    Path inner = path.nested().get(nested++);
                    yield new OpResult.Txn(inner.succeeded(), branch(((Txn.Nested) op).txn(), inner, current, history,
                            revision, changes, events));
                }
            });
        }
        return results;
    }

    private static OpResult put(Txn.Put put, KvView current, long revision, Map<Key, KvEntry> changes,
                                List<Event> events) {
        KvEntry prev = current.get(put.key());
        if ((put.ignoreValue() || put.ignoreLease()) && prev == null) {
            // No earlier op of this transaction wrote the key (a transaction writes each key once), so it
            // was missing before the transaction, as etcd checks it.
            throw new Refused(new KvResult.TxnKeyNotFound(revision, put.key()));
        }
        byte[] value = put.ignoreValue() ? prev.value() : put.value();
        long lease = put.ignoreLease() ? prev.lease() : put.lease();
        KvEntry written = prev == null
                ? new KvEntry(put.key(), value, revision, revision, 1, lease)
                : new KvEntry(put.key(), value, revision, prev.createRevision(), prev.version() + 1, lease);
        changes.put(new Key(put.key()), written);
        events.add(Event.put(written, prev));
        return new OpResult.Put(written, prev);
    }

    private static OpResult delete(Txn.Delete delete, KvView current, long revision, Map<Key, KvEntry> changes,
                                   List<Event> events) {
        List<KvEntry> deleted = current.select(delete.keys(), Integer.MAX_VALUE);
        for (KvEntry entry : deleted) {
            changes.put(new Key(entry.key()), null);
            events.add(Event.delete(entry.key(), revision, entry));
        }
        return new OpResult.Delete(deleted);
    }

    private static OpResult get(Txn.Get get, KvView current, History history, long revision) {
        KvView view = current;
        if (get.revision() != 0) {
            try {
                view = history.at(get.revision());
            } catch (RevisionUnavailableException e) {
                throw new Refused(new KvResult.TxnRevisionUnavailable(revision, e.reason(), get.revision(),
                        e.compactRevision(), e.currentRevision()));
            }
        }
        int limit = get.limit();
        List<KvEntry> found = view.select(get.keys(), limit == Integer.MAX_VALUE ? limit : limit + 1);
        boolean more = found.size() > limit;
        return new OpResult.Get(more ? List.copyOf(found.subList(0, limit)) : found, more);
    }
}
