package io.rafty.storage;

import io.rafty.kv.Command;
import io.rafty.kv.CommandCodec;
import io.rafty.kv.Event;
import io.rafty.kv.Key;
import io.rafty.kv.KeySelector;
import io.rafty.kv.KvEntry;
import io.rafty.kv.KvResult;
import io.rafty.kv.KvStateMachine;
import io.rafty.kv.KvStore;
import io.rafty.kv.Precondition;
import io.rafty.kv.RevisionUnavailableException;
import io.rafty.raft.Entry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Drives a {@link KvStore} the way a node does (committed log entries through {@link KvStateMachine},
 * or a transaction's several events at one revision through {@link KvStore#write}) and keeps what it
 * wrote as the oracle: every event with its previous state, and the current state after each
 * revision, read back with {@link KvStore#list} (the {@code kv} records, not the history).
 */
final class HistoryScript {

    static final int ALL = Integer.MAX_VALUE;

    KvStore store;
    private KvStateMachine machine;
    /** Every event written, with {@code prev}, in revision then key order. */
    final List<Event> events = new ArrayList<>();
    /** Every key ever written. */
    final TreeSet<Key> keys = new TreeSet<>();
    /** The current entries (key order) right after each revision was applied. */
    private final Map<Long, List<KvEntry>> states = new HashMap<>();
    private final TreeMap<Key, KvEntry> current = new TreeMap<>();
    private long recordedThrough;

    HistoryScript(KvStore store) {
        this.store = store;
        this.machine = new KvStateMachine(store);
    }

    /** Goes on writing to {@code reopened}, the same storage opened again; the oracle is kept. */
    void rebind(KvStore reopened) {
        store = reopened;
        machine = new KvStateMachine(reopened);
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    long revision() {
        return store.appliedIndex();
    }

    long put(String key, String value) {
        return put(bytes(key), bytes(value));
    }

    long put(byte[] key, byte[] value) {
        return apply(new Command.Put(key, value, Precondition.NONE)).index();
    }

    long delete(String key) {
        return delete(bytes(key));
    }

    long delete(byte[] key) {
        return apply(new Command.Delete(key, Precondition.NONE)).index();
    }

    KvResult compact(long revision) {
        return apply(new Command.Compact(revision));
    }

    long noop() {
        long index = revision() + 1;
        machine.apply(List.of(Entry.noop(1, index)));
        record(List.of());
        return index;
    }

    /** Several commands as consecutive entries applied in one batch (one {@code write}). */
    List<KvResult> batch(Command... commands) {
        List<Entry> entries = new ArrayList<>();
        long index = revision();
        for (Command command : commands) {
            entries.add(Entry.command(1, ++index, CommandCodec.encode(command)));
        }
        List<KvResult> results = machine.apply(entries);
        List<Event> written = new ArrayList<>();
        results.forEach(result -> written.addAll(result.events()));
        record(written);
        return results;
    }

    private KvResult apply(Command command) {
        return batch(command).get(0);
    }

    /**
     * A transaction: puts (value) and deletes (null value) of distinct keys, all at the next revision,
     * as one write whose events are handed over in the order given (not necessarily key order).
     */
    long transaction(long compactRevision, String... keysAndValues) {
        long revision = revision() + 1;
        Map<Key, KvEntry> changes = new HashMap<>();
        List<Event> written = new ArrayList<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            byte[] key = bytes(keysAndValues[i]);
            KvEntry current = store.get(key);
            if (keysAndValues[i + 1] != null) {
                byte[] value = bytes(keysAndValues[i + 1]);
                KvEntry entry = current == null
                        ? new KvEntry(key, value, revision, revision, 1)
                        : new KvEntry(key, value, revision, current.createRevision(), current.version() + 1);
                changes.put(new Key(key), entry);
                written.add(Event.put(entry, current));
            } else if (current != null) {
                changes.put(new Key(key), null);
                written.add(Event.delete(key, revision, current));
            }
        }
        store.write(changes, written, compactRevision, revision);
        record(written);
        return revision;
    }

    long transaction(String... keysAndValues) {
        return transaction(0, keysAndValues);
    }

    /**
     * Adds the events of the revisions just written, and the state after each of them: the previous
     * state with the revision's events applied, checked against the store's current keys at the end.
     */
    private void record(List<Event> written) {
        List<Event> sorted = new ArrayList<>(written);
        sorted.sort(Comparator.comparingLong(Event::revision).thenComparing(event -> new Key(event.key())));
        long from = recordedThrough + 1;
        recordedThrough = revision();
        int next = 0;
        for (long revision = from; revision <= recordedThrough; revision++) {
            for (; next < sorted.size() && sorted.get(next).revision() == revision; next++) {
                Event event = sorted.get(next);
                keys.add(new Key(event.key()));
                events.add(event);
                if (event.type() == Event.Type.PUT) {
                    current.put(new Key(event.key()), event.entry());
                } else {
                    current.remove(new Key(event.key()));
                }
            }
            states.put(revision, List.copyOf(current.values()));
        }
        if (next != sorted.size()) {
            throw new AssertionError("events outside the revisions written: " + sorted);
        }
        String stored = describe(store.list(new byte[0], null, ALL).entries());
        if (!stored.equals(describe(List.copyOf(current.values())))) {
            throw new AssertionError("the script's state " + describe(List.copyOf(current.values()))
                    + " is not the store's " + stored);
        }
    }

    /** The current entries as they were right after {@code revision}, with {@code prefix}. */
    List<KvEntry> stateAt(long revision, byte[] prefix) {
        List<KvEntry> state = states.get(revision);
        if (state == null) {
            throw new IllegalArgumentException("the script did not write revision " + revision);
        }
        return state.stream().filter(entry -> KeySelector.prefix(prefix).matches(entry.key())).toList();
    }

    KvEntry stateAt(long revision, Key key) {
        return stateAt(revision, new byte[0]).stream().filter(entry -> new Key(entry.key()).equals(key)).findFirst()
                .orElse(null);
    }

    /** The events of {@code selector} with revisions {@code from..to}, with or without their previous state. */
    List<String> expectedHistory(KeySelector selector, long from, long to, boolean withPrev) {
        return events.stream()
                .filter(event -> selector.matches(event.key()) && event.revision() >= from && event.revision() <= to)
                .map(event -> describe(withPrev ? event : event.withoutPrev()))
                .toList();
    }

    /**
     * How many history records the purge leaves with everything below {@code compactRevision}
     * handled: every record at or above it, and per key the newest record below it when that is a put.
     */
    long recordsKeptAfterPurge(long compactRevision) {
        return keptAfterPurge(compactRevision).size();
    }

    /** The records of {@link #recordsKeptAfterPurge}, in key then revision order, as text. */
    List<String> keptAfterPurge(long compactRevision) {
        Map<Key, Event> newestBelow = new TreeMap<>();
        events.stream().filter(event -> event.revision() < compactRevision)
                .forEach(event -> newestBelow.put(new Key(event.key()), event));
        List<Event> kept = new ArrayList<>(events.stream().filter(event -> event.revision() >= compactRevision).toList());
        newestBelow.values().stream().filter(event -> event.type() == Event.Type.PUT).forEach(kept::add);
        return inKeyOrder(kept);
    }

    /** Every record written, in key then revision order, as text (what an image holds before any purge). */
    List<String> allRecords() {
        return inKeyOrder(events);
    }

    private static List<String> inKeyOrder(List<Event> records) {
        return records.stream()
                .sorted(Comparator.comparing((Event event) -> new Key(event.key())).thenComparingLong(Event::revision))
                .map(event -> describe(event.withoutPrev()))
                .toList();
    }

    /**
     * Every answer {@code store} gives about revisions {@code from..to} (reads of every key and of
     * several prefixes at each revision, history of each key and prefix with and without previous
     * states, and paged), as text: two stores, or one store before and after a purge, agree when
     * these lists are equal.
     */
    List<String> answers(KvStore store, long from, long to) {
        List<String> answers = new ArrayList<>();
        List<byte[]> prefixes = prefixes();
        for (long revision = from; revision <= to; revision++) {
            for (Key key : keys) {
                answers.add("getAt " + key + " @" + revision + " = " + describe(store.getAt(key.bytes(), revision)));
            }
            for (byte[] prefix : prefixes) {
                KvStore.Page page = store.listAt(prefix, null, ALL, revision);
                answers.add("listAt " + describeKey(prefix) + " @" + revision + " = " + describe(page.entries())
                        + " at " + page.revision());
            }
        }
        List<KeySelector> selectors = new ArrayList<>();
        keys.forEach(key -> selectors.add(KeySelector.key(key.bytes())));
        prefixes.forEach(prefix -> selectors.add(KeySelector.prefix(prefix)));
        for (KeySelector selector : selectors) {
            for (boolean withPrev : new boolean[] {false, true}) {
                KvStore.HistoryPage page = store.history(selector, from, to, ALL, withPrev);
                answers.add("history " + selector + " " + from + ".." + to + " prev=" + withPrev + " = "
                        + describeEvents(page.events()) + " through " + page.through());
            }
            for (int maxEvents = 1; maxEvents <= 3; maxEvents++) {
                answers.add("pages of " + maxEvents + " " + selector + " = " + pages(store, selector, from, to, maxEvents));
            }
        }
        return answers;
    }

    /** Calls the purge until it has nothing left, each step at most {@code maxRecords}; returns what it looked at. */
    static long purgeAll(KvStore store, int maxRecords) {
        long looked = 0;
        for (int steps = 0; steps < 100_000; steps++) {
            int step = store.purgeHistory(maxRecords);
            if (step < 0 || step > maxRecords) {
                throw new AssertionError("a purge step looked at " + step + " of at most " + maxRecords);
            }
            if (step == 0) {
                return looked;
            }
            looked += step;
        }
        throw new AssertionError("the purge does not finish");
    }

    /** Pages through the history, each page as its events and its {@code through}. */
    static String pages(KvStore store, KeySelector selector, long from, long to, int maxEvents) {
        StringBuilder pages = new StringBuilder();
        long next = from;
        while (next <= to) {
            KvStore.HistoryPage page = store.history(selector, next, to, maxEvents, true);
            pages.append(describeEvents(page.events())).append(" through ").append(page.through()).append("; ");
            if (page.through() < next) {
                throw new AssertionError("a page through " + page.through() + " does not move past " + next);
            }
            next = page.through() + 1;
        }
        return pages.toString();
    }

    private List<byte[]> prefixes() {
        return List.of(new byte[0], bytes("a"), bytes("p/"), new byte[] {'z', 0});
    }

    static String describe(KvEntry entry) {
        if (entry == null) {
            return "none";
        }
        return describeKey(entry.key()) + "=" + describeKey(entry.value()) + "@" + entry.revision() + "/c"
                + entry.createRevision() + "/v" + entry.version();
    }

    static String describe(List<KvEntry> entries) {
        return entries.stream().map(HistoryScript::describe).toList().toString();
    }

    static String describe(Event event) {
        return (event.type() == Event.Type.PUT ? "put " : "delete ") + describe(event.entry())
                + (event.prev() == null ? "" : " prev " + describe(event.prev()));
    }

    static String describeEvents(List<Event> events) {
        return events.stream().map(HistoryScript::describe).toList().toString();
    }

    /** Printable ASCII as text, anything else as hex. */
    static String describeKey(byte[] bytes) {
        for (byte b : bytes) {
            if (b < 0x21 || b > 0x7E) {
                return "0x" + HexFormat.of().formatHex(bytes);
            }
        }
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    /** The {@link RevisionUnavailableException} fields, as text. */
    static String describe(RevisionUnavailableException e) {
        return e.reason() + " requested " + e.requested() + " compact " + e.compactRevision() + " current "
                + e.currentRevision();
    }

}
