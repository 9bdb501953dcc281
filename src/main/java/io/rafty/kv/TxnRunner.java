package io.rafty.kv;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Evaluates a {@link Txn} against a {@link KvView} at one revision: the compares, then the chosen
 * branch's ops in order, each seeing the ones before it. Pure: the changes come back in the outcome
 * for the caller to store. The state machine runs write transactions through it as it applies them;
 * the API runs read-only ones against the store as of a linearizable revision, with no log entry.
 */
public final class TxnRunner {

    private TxnRunner() {
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

        /** A get: the entries read, in key order; {@code more} when a prefix held more than the limit. */
        record Get(List<KvEntry> entries, boolean more) implements OpResult {
        }
    }

    /**
     * Runs {@code txn} at {@code revision} over {@code view}. The caller checks {@link Txn#problem()}
     * first; events come out in key order (each key once), as the history stores them.
     */
    public static Outcome run(Txn txn, KvView view, long revision) {
        return run(txn, view, view, revision);
    }

    /** As {@link #run(Txn, KvView, long)}, with the compares read from {@code compareView} (deliberate bugs only). */
    static Outcome run(Txn txn, KvView compareView, KvView view, long revision) {
        boolean succeeded = true;
        for (Txn.Compare compare : txn.compares()) {
            if (!compare.holds(compareView.get(compare.key()))) {
                succeeded = false;
                break;
            }
        }
        Map<Key, KvEntry> changes = new HashMap<>();
        KvView current = new OverlayView(view, changes);
        List<OpResult> results = new ArrayList<>();
        List<Event> events = new ArrayList<>();
        for (Txn.Op op : succeeded ? txn.success() : txn.failure()) {
            results.add(switch (op.kind()) {
                case PUT -> put((Txn.Put) op, current, revision, changes, events);
                case DELETE -> delete((Txn.Delete) op, current, revision, changes, events);
                case GET -> get((Txn.Get) op, current);
            });
        }
        events.sort(Comparator.comparing(event -> new Key(event.key())));
        return new Outcome(succeeded, results, events, changes);
    }

    private static OpResult put(Txn.Put put, KvView current, long revision, Map<Key, KvEntry> changes,
                                List<Event> events) {
        KvEntry prev = current.get(put.key());
        KvEntry written = prev == null
                ? new KvEntry(put.key(), put.value(), revision, revision, 1, put.lease())
                : new KvEntry(put.key(), put.value(), revision, prev.createRevision(), prev.version() + 1, put.lease());
        changes.put(new Key(put.key()), written);
        events.add(Event.put(written, prev));
        return new OpResult.Put(written, prev);
    }

    private static OpResult delete(Txn.Delete delete, KvView current, long revision, Map<Key, KvEntry> changes,
                                   List<Event> events) {
        List<KvEntry> deleted;
        if (delete.keys().prefix()) {
            deleted = current.scan(delete.keys().bytes(), Integer.MAX_VALUE);
        } else {
            KvEntry entry = current.get(delete.keys().bytes());
            deleted = entry == null ? List.of() : List.of(entry);
        }
        for (KvEntry entry : deleted) {
            changes.put(new Key(entry.key()), null);
            events.add(Event.delete(entry.key(), revision, entry));
        }
        return new OpResult.Delete(deleted);
    }

    private static OpResult get(Txn.Get get, KvView current) {
        if (!get.keys().prefix()) {
            KvEntry entry = current.get(get.keys().bytes());
            return new OpResult.Get(entry == null ? List.of() : List.of(entry), false);
        }
        int limit = get.limit();
        List<KvEntry> found = current.scan(get.keys().bytes(), limit == Integer.MAX_VALUE ? limit : limit + 1);
        boolean more = found.size() > limit;
        return new OpResult.Get(more ? List.copyOf(found.subList(0, limit)) : found, more);
    }
}
