package io.rafty.storage;

import static io.rafty.storage.HistoryScript.ALL;
import static io.rafty.storage.HistoryScript.bytes;
import static io.rafty.storage.HistoryScript.describe;
import static io.rafty.storage.HistoryScript.describeEvents;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.kv.Command;
import io.rafty.kv.Event;
import io.rafty.kv.Key;
import io.rafty.kv.KeySelector;
import io.rafty.kv.KvEntry;
import io.rafty.kv.KvResult;
import io.rafty.kv.KvStore;
import io.rafty.kv.Precondition;
import io.rafty.kv.RevisionUnavailableException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The history rules of {@link KvStore} (reads at past revisions, history queries, compaction and the
 * purge), run against each implementation by a subclass. Writes go through the state machine with
 * real log entries, or, for a transaction's several events at one revision, through one write.
 */
abstract class KvHistoryContractTest {

    protected KvStore store;
    protected HistoryScript script;

    /** A new, empty store. */
    protected abstract KvStore openEmpty();

    /** Releases whatever the last opened store holds. */
    protected abstract void closeAll();

    /** How many history records the store holds. */
    protected abstract long historyRecordCount();

    @BeforeEach
    void open() {
        store = openEmpty();
        script = new HistoryScript(store);
    }

    @AfterEach
    void close() {
        closeAll();
    }

    private static final byte[] Z_ZERO = {'z', 0};

    /**
     * Puts, overwrites, deletes and re-creates; a no-op entry; keys with 00 and FF bytes; transactions
     * with several events at one revision (handed over out of key order); several entries in one batch.
     */
    protected void writeScript() {
        script.put("a", "1");                                         // 1
        script.put("b", "1");                                         // 2
        script.put("a", "2");                                         // 3
        script.delete("b");                                           // 4
        script.put("a/x", "1");                                       // 5
        script.put("b", "2");                                         // 6: b again, a new creation
        script.noop();                                                // 7: no event
        script.delete("a");                                           // 8
        script.put(Z_ZERO, bytes("1"));                               // 9
        script.put(new byte[] {'z', 0, 0}, bytes("1"));               // 10
        script.put(new byte[] {'z'}, bytes("1"));                     // 11
        script.put(new byte[] {'z', (byte) 0xFF}, bytes("1"));        // 12
        script.transaction("p/2", "1", "p/1", "1", "a", "3");         // 13: a re-created
        script.put("a", "4");                                         // 14
        script.transaction("p/1", null, "p/2", "2", "b", null);       // 15
        script.batch(new Command.Put(bytes("p/3"), bytes("1"), Precondition.NONE),
                new Command.Delete(bytes("a"), Precondition.NONE),
                new Command.Put(bytes("a"), bytes("5"), Precondition.NONE)); // 16, 17, 18 in one write
        assertEquals(18, store.appliedIndex());
    }

    private static KeySelector prefix(String prefix) {
        return KeySelector.prefix(bytes(prefix));
    }

    private static KeySelector key(String key) {
        return KeySelector.key(bytes(key));
    }

    private List<String> history(KeySelector selector, long from, long to, int maxEvents, boolean withPrev) {
        KvStore.HistoryPage page = store.history(selector, from, to, maxEvents, withPrev);
        List<String> out = new ArrayList<>(page.events().stream().map(HistoryScript::describe).toList());
        out.add("through " + page.through());
        return out;
    }

    // --- reads at a revision ---

    @Test
    void historyIsReadByKeyOrPrefixNotByRange() {
        writeScript();
        // Ranges are the transactions' (TxnRunner reads them through KvView); a history query never takes one.
        assertThrows(IllegalArgumentException.class, () -> store.history(KeySelector.range(bytes("p/"), bytes("q")), 1,
                store.appliedIndex(), 100, false));
    }

    @Test
    void readAtEveryRevisionSeesTheStateRightAfterIt() {
        writeScript();
        for (long revision = 1; revision <= store.appliedIndex(); revision++) {
            for (Key key : script.keys) {
                assertEquals(describe(script.stateAt(revision, key)), describe(store.getAt(key.bytes(), revision)),
                        "getAt " + key + " @" + revision);
            }
            for (byte[] prefix : List.of(new byte[0], bytes("a"), bytes("p/"), Z_ZERO, new byte[] {'z'})) {
                KvStore.Page page = store.listAt(prefix, null, ALL, revision);
                assertEquals(HistoryScript.describe(script.stateAt(revision, prefix)), HistoryScript.describe(page.entries()),
                        "listAt " + HistoryScript.describeKey(prefix) + " @" + revision);
                assertEquals(revision, page.revision());
            }
        }
    }

    @Test
    void readAtARevisionBeforeAKeyExistedOrAfterItsDeleteFindsNothing() {
        writeScript();
        assertEquals("none", describe(store.getAt(bytes("p/1"), 12)));
        assertEquals("none", describe(store.getAt(bytes("b"), 4)));
        assertEquals("b=2@6/c6/v1", describe(store.getAt(bytes("b"), 14)));
        assertEquals("none", describe(store.getAt(bytes("never"), 18)));
    }

    @Test
    void listAtKeepsToThePrefixInUnsignedByteOrder() {
        writeScript();
        assertEquals("[0x7a00=1@9/c9/v1, 0x7a0000=1@10/c10/v1]",
                HistoryScript.describe(store.listAt(Z_ZERO, null, ALL, 12).entries()));
        assertEquals("[z=1@11/c11/v1, 0x7a00=1@9/c9/v1, 0x7a0000=1@10/c10/v1, 0x7aff=1@12/c12/v1]",
                HistoryScript.describe(store.listAt(bytes("z"), null, ALL, 12).entries()));
    }

    @Test
    void listAtPagesWithAfterVisitEveryKeyOnceAtOneRevision() {
        writeScript();
        long revision = 13;
        List<KvEntry> visited = new ArrayList<>();
        KvStore.Page page = store.listAt(new byte[0], null, 2, revision);
        while (!page.entries().isEmpty()) {
            assertTrue(page.entries().size() <= 2);
            assertEquals(revision, page.revision());
            visited.addAll(page.entries());
            assertTrue(visited.size() <= script.keys.size(), "paging does not move on");
            // Later writes do not move a page at a fixed revision.
            script.put("a/y", "later");
            page = store.listAt(new byte[0], page.entries().get(page.entries().size() - 1).key(), 2, revision);
        }
        assertEquals(HistoryScript.describe(script.stateAt(revision, new byte[0])), HistoryScript.describe(visited));
        assertEquals("[a=3@13/c13/v1, a/x=1@5/c5/v1]",
                HistoryScript.describe(store.listAt(bytes("a"), bytes("0"), 5, revision).entries()));
        assertEquals("[a/x=1@5/c5/v1]", HistoryScript.describe(store.listAt(bytes("a"), bytes("a"), 5, revision).entries()));
        assertEquals("[]", HistoryScript.describe(store.listAt(bytes("a"), null, 0, revision).entries()));
    }

    // --- history ---

    @Test
    void historyOfEveryKeyAndPrefixIsItsEventsInRevisionThenKeyOrder() {
        writeScript();
        long applied = store.appliedIndex();
        List<KeySelector> selectors = new ArrayList<>();
        script.keys.forEach(key -> selectors.add(KeySelector.key(key.bytes())));
        for (byte[] prefix : List.of(new byte[0], bytes("a"), bytes("p/"), Z_ZERO, bytes("q"))) {
            selectors.add(KeySelector.prefix(prefix));
        }
        long[][] ranges = {{1, applied}, {0, applied}, {3, 8}, {7, 7}, {13, 13}, {15, 16}, {applied, applied}};
        for (KeySelector selector : selectors) {
            for (long[] range : ranges) {
                for (boolean withPrev : new boolean[] {false, true}) {
                    KvStore.HistoryPage page = store.history(selector, range[0], range[1], ALL, withPrev);
                    assertEquals(script.expectedHistory(selector, range[0], range[1], withPrev),
                            page.events().stream().map(HistoryScript::describe).toList(),
                            selector + " " + range[0] + ".." + range[1] + " prev=" + withPrev);
                    assertEquals(range[1], page.through());
                }
            }
        }
    }

    @Test
    void eventsOfOneRevisionComeInKeyOrderWhateverOrderTheyWereWritten() {
        script.transaction("c", "1", "a", "1", "b", "1");
        assertEquals(List.of("put a=1@1/c1/v1", "put b=1@1/c1/v1", "put c=1@1/c1/v1", "through 1"),
                history(prefix(""), 1, 1, ALL, false));
    }

    @Test
    void historyPagesEndOnlyAtRevisionBoundaries() {
        script.transaction("p/1", "1", "p/2", "1", "p/3", "1");      // 1: three events
        script.put("p/1", "2");                                      // 2
        script.put("q/1", "1");                                      // 3: outside the prefix
        script.put("p/2", "2");                                      // 4
        assertEquals(List.of("put p/1=1@1/c1/v1", "put p/2=1@1/c1/v1", "put p/3=1@1/c1/v1", "through 1"),
                history(prefix("p/"), 1, 4, 1, false), "one revision is never split");
        assertEquals(List.of("put p/1=1@1/c1/v1", "put p/2=1@1/c1/v1", "put p/3=1@1/c1/v1", "through 1"),
                history(prefix("p/"), 1, 4, 3, false));
        assertEquals(List.of("put p/1=1@1/c1/v1", "put p/2=1@1/c1/v1", "put p/3=1@1/c1/v1", "put p/1=2@2/c1/v2",
                "through 2"), history(prefix("p/"), 1, 4, 4, false));
        assertEquals(List.of("put p/1=2@2/c1/v2", "through 2"), history(prefix("p/"), 2, 4, 1, false));
        assertEquals(List.of("put p/2=2@4/c1/v2", "through 4"), history(prefix("p/"), 3, 4, 1, false),
                "revision 3 has nothing for the prefix; the page runs to the end");
        assertEquals(List.of("put p/1=1@1/c1/v1", "put p/1=2@2/c1/v2", "through 4"),
                history(key("p/1"), 1, 4, 2, false));
        assertEquals(List.of("put p/1=1@1/c1/v1", "through 1"), history(key("p/1"), 1, 4, 1, false));
        assertEquals(List.of("put p/1=2@2/c1/v2", "through 4"), history(key("p/1"), 2, 4, 1, false));
        assertEquals(List.of("through 3"), history(prefix("p/"), 3, 3, 1, false));
        assertEquals(List.of("through 4"), history(key("p/1"), 5, 4, 1, false), "from after to: nothing yet");
        assertThrows(IllegalArgumentException.class, () -> store.history(prefix("p/"), 1, 4, 0, false));
    }

    @Test
    void pagingThroughHistoryVisitsEveryEventOnceWithWholeRevisions() {
        writeScript();
        long applied = store.appliedIndex();
        for (KeySelector selector : List.of(prefix(""), prefix("p/"), key("a"))) {
            List<String> expected = script.expectedHistory(selector, 1, applied, true);
            for (int maxEvents = 1; maxEvents <= 4; maxEvents++) {
                List<String> visited = new ArrayList<>();
                long next = 1;
                while (next <= applied) {
                    KvStore.HistoryPage page = store.history(selector, next, applied, maxEvents, true);
                    assertTrue(page.through() >= next && page.through() <= applied, "through " + page.through());
                    for (Event event : page.events()) {
                        // The next page starts after this one's through: no revision is on two pages.
                        assertTrue(event.revision() >= next && event.revision() <= page.through(),
                                "revision " + event.revision() + " on the page " + next + ".." + page.through());
                        visited.add(describe(event));
                    }
                    if (page.through() < applied) {
                        assertTrue(page.events().size() >= maxEvents, "a short page must be the last");
                        assertEquals(page.events().get(page.events().size() - 1).revision(), page.through());
                    }
                    next = page.through() + 1;
                }
                assertEquals(expected, visited, selector + " in pages of " + maxEvents);
            }
        }
    }

    @Test
    void withPrevIsTheKeysStateJustBeforeTheChange() {
        script.put("k", "1");                                        // 1
        script.put("k", "2");                                        // 2
        script.delete("k");                                          // 3
        script.put("k", "3");                                        // 4
        script.put("k/other", "1");                                  // 5
        List<String> expected = List.of(
                "put k=1@1/c1/v1",
                "put k=2@2/c1/v2 prev k=1@1/c1/v1",
                "delete k=@3/c0/v0 prev k=2@2/c1/v2",
                "put k=3@4/c4/v1",
                "through 4");
        assertEquals(expected, history(key("k"), 1, 4, ALL, true));
        assertEquals(expected, history(prefix("k"), 1, 4, ALL, true));
        assertEquals(List.of("put k=2@2/c1/v2 prev k=1@1/c1/v1", "through 2"), history(key("k"), 2, 2, ALL, true),
                "the previous state comes from before the range too");
        assertEquals(List.of("put k=2@2/c1/v2", "through 2"), history(key("k"), 2, 2, ALL, false));
    }

    // --- bounds and compaction ---

    @Test
    void revisionsOutsideTheKeptHistoryAreRefusedNamingBothBounds() {
        writeScript();
        assertInstanceOf(KvResult.Compacted.class, script.compact(6));   // entry 19
        String compacted = "COMPACTED requested 5 compact 6 current 19";
        String future = "FUTURE requested 20 compact 6 current 19";
        assertEquals(compacted, describe(assertThrows(RevisionUnavailableException.class,
                () -> store.getAt(bytes("a"), 5))));
        assertEquals(future, describe(assertThrows(RevisionUnavailableException.class,
                () -> store.getAt(bytes("a"), 20))));
        assertEquals(compacted, describe(assertThrows(RevisionUnavailableException.class,
                () -> store.listAt(new byte[0], null, 10, 5))));
        assertEquals(future, describe(assertThrows(RevisionUnavailableException.class,
                () -> store.listAt(new byte[0], null, 10, 20))));
        assertEquals(compacted, describe(assertThrows(RevisionUnavailableException.class,
                () -> store.history(prefix(""), 5, 19, 10, false))));
        assertEquals(compacted, describe(assertThrows(RevisionUnavailableException.class,
                () -> store.history(key("a"), 5, 19, 10, false))));
        assertEquals(future, describe(assertThrows(RevisionUnavailableException.class,
                () -> store.history(prefix(""), 6, 20, 10, false))));
        assertEquals("b=2@6/c6/v1", describe(store.getAt(bytes("b"), 6)));
        assertEquals(List.of("put b=2@6/c6/v1", "through 6"), history(prefix(""), 6, 6, 10, false));
        assertEquals(List.of("through 19"), history(prefix(""), 20, 19, 10, false),
                "a watcher asking for what follows the current revision gets an empty page");
    }

    @Test
    void compactCommandRaisesTheCompactRevisionAndRefusesOldOrFutureRevisions() {
        script.put("a", "1");                                        // 1
        script.put("a", "2");                                        // 2
        script.put("a", "3");                                        // 3
        assertEquals(0, store.compactRevision());
        KvResult compacted = script.compact(2);                      // 4
        assertEquals(new KvResult.Compacted(4, 2), compacted);
        assertEquals(2, store.compactRevision());
        assertEquals(new KvResult.CompactRefused(5, 2, 2, 4, RevisionUnavailableException.Reason.COMPACTED),
                script.compact(2));
        assertEquals(new KvResult.CompactRefused(6, 1, 2, 5, RevisionUnavailableException.Reason.COMPACTED),
                script.compact(1));
        assertEquals(new KvResult.CompactRefused(7, 7, 2, 6, RevisionUnavailableException.Reason.FUTURE),
                script.compact(7), "a compaction cannot reach its own entry");
        assertEquals(2, store.compactRevision(), "refused compactions change nothing");
        assertEquals(new KvResult.Compacted(8, 7), script.compact(7));
        assertEquals(7, store.compactRevision());
    }

    @Test
    void compactionInsideABatchTakesEffectWithTheBatch() {
        script.put("a", "1");                                        // 1
        List<KvResult> results = script.batch(new Command.Put(bytes("a"), bytes("2"), Precondition.NONE),
                new Command.Compact(2), new Command.Compact(2),
                new Command.Put(bytes("a"), bytes("3"), Precondition.NONE));
        assertInstanceOf(KvResult.Compacted.class, results.get(1));
        assertInstanceOf(KvResult.CompactRefused.class, results.get(2), "the batch's own compaction counts");
        assertEquals(2, store.compactRevision());
        assertEquals("a=2@2/c1/v2", describe(store.getAt(bytes("a"), 2)));
        assertThrows(RevisionUnavailableException.class, () -> store.getAt(bytes("a"), 1));
    }

    // --- purge ---

    @Test
    void purgeKeepsEveryAnswerFromTheCompactRevisionOn() {
        writeScript();
        assertEquals(script.events.size(), historyRecordCount(), "every event is one record");
        script.compact(14);                                          // 19
        List<String> before = script.answers(store, 14, 19);
        long looked = HistoryScript.purgeAll(store, 5);
        assertEquals(script.events.stream().filter(event -> event.revision() < 14).count(), looked,
                "each change below the compact revision is looked at once");
        assertEquals(before, script.answers(store, 14, 19));
        assertEquals(script.recordsKeptAfterPurge(14), historyRecordCount());
        assertTrue(historyRecordCount() < script.events.size());
        assertEquals(0, store.purgeHistory(100));
    }

    @Test
    void purgeKeepsTheNewestPutBelowTheCompactRevisionAndDropsTheRest() {
        script.put("kept", "1");                                     // 1: superseded by 2
        script.put("kept", "2");                                     // 2: the newest below 4, a put
        script.put("gone", "1");                                     // 3
        script.delete("gone");                                       // 4... compacted at 5 below
        script.put("after", "1");                                    // 5
        script.compact(5);                                           // 6
        assertEquals(5, historyRecordCount());
        assertEquals(4, HistoryScript.purgeAll(store, 1));
        assertEquals(2, historyRecordCount(), "kept@2 and after@5 remain");
        assertEquals("kept=2@2/c1/v2", describe(store.getAt(bytes("kept"), 5)));
        assertEquals("none", describe(store.getAt(bytes("gone"), 5)));
        script.put("kept", "3");                                     // 7
        script.put("gone", "2");                                     // 8
        assertEquals(List.of("put after=1@5/c5/v1", "put kept=3@7/c1/v3 prev kept=2@2/c1/v2", "put gone=2@8/c8/v1",
                "through 8"), history(prefix(""), 5, 8, ALL, true));
    }

    @Test
    void purgeInTinyStepsBetweenReadsAndWritesGivesTheSameAnswers() {
        writeScript();
        script.compact(13);                                          // 19
        List<String> before = script.answers(store, 13, 19);
        int steps = 0;
        for (int looked = store.purgeHistory(1); looked > 0; looked = store.purgeHistory(1)) {
            assertEquals(1, looked);
            steps++;
            assertTrue(steps <= script.events.size(), "the purge does not finish");
            assertEquals(before, script.answers(store, 13, 19), "after purge step " + steps);
            if (steps % 2 == 0) {
                script.put("a", "step " + steps);
            } else {
                script.delete("p/2");
            }
        }
        assertEquals(script.events.stream().filter(event -> event.revision() < 13).count(), steps);
        assertEquals(before, script.answers(store, 13, 19));
        assertEquals(script.recordsKeptAfterPurge(13), historyRecordCount());
    }

    @Test
    void purgeLooksAtNoMoreThanItsLimitAndNothingAtOrAboveTheCompactRevision() {
        for (int i = 1; i <= 6; i++) {
            script.put("k" + i % 2, "v" + i);                        // 1..6
        }
        assertEquals(0, store.purgeHistory(10), "nothing is compacted yet");
        script.compact(4);                                           // 7
        assertEquals(2, store.purgeHistory(2));
        assertEquals(1, store.purgeHistory(2));
        assertEquals(0, store.purgeHistory(2));
        assertEquals(0, store.purgeHistory(0));
        assertEquals(5, historyRecordCount(), "k1@1 superseded by k1@3; 2 and 3 kept as the newest puts below 4");
        script.compact(7);                                           // 8
        assertEquals(3, store.purgeHistory(10), "revisions 4, 5, 6");
        assertEquals(2, historyRecordCount(), "k0@6 and k1@5");
        assertEquals("k1=v5@5/c1/v3", describe(store.getAt(bytes("k1"), 7)));
        assertEquals("k0=v6@6/c2/v3", describe(store.getAt(bytes("k0"), 7)));
        assertEquals(List.of("through 8"), history(prefix("k"), 7, 8, ALL, true));
    }

    // --- consistency under concurrency ---

    @Test
    void readsNeverSeeHalfOfAWriteOrOfAPurgeStep() throws InterruptedException {
        // Every revision changes "k" to its own revision number and moves the compaction up behind it,
        // and the purge runs between writes; a read whose bounds and records came from different
        // moments would show an entry newer than its revision, or miss a revision it accepted.
        for (int i = 1; i <= 3; i++) {
            script.transaction(0, "k", Integer.toString(i));
        }
        AtomicBoolean readerDone = new AtomicBoolean();
        AtomicReference<Throwable> writerFailure = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try {
                for (int i = 0; i < 20_000 && !readerDone.get(); i++) {
                    long revision = store.appliedIndex() + 1;
                    script.transaction(Math.max(1, revision - 3), "k", Long.toString(revision));
                    store.purgeHistory(2);
                }
            } catch (Throwable t) {
                writerFailure.set(t);
            }
        }, "history-writer");
        writer.start();
        try {
            for (int i = 0; i < 300; i++) {
                KvStore.Page page = store.list(new byte[0], null, 10);
                assertEquals(1, page.entries().size());
                assertEquals(page.revision(), page.entries().get(0).revision(), "list's revision is its entries'");
                long revision = page.revision() - 1;
                try {
                    KvEntry at = store.getAt(bytes("k"), revision);
                    assertNotNull(at, "revision " + revision + " was served, and k existed then");
                    assertEquals(revision, at.revision());
                    assertEquals(Long.toString(revision), new String(at.value(), StandardCharsets.UTF_8));
                } catch (RevisionUnavailableException e) {
                    assertEquals(RevisionUnavailableException.Reason.COMPACTED, e.reason());
                }
                try {
                    List<Event> events = store.history(key("k"), revision, revision, 10, true).events();
                    assertEquals(1, events.size());
                    assertEquals(revision, events.get(0).revision());
                    assertNotNull(events.get(0).prev(), "the previous put is kept");
                    assertEquals(revision - 1, events.get(0).prev().revision());
                    List<Event> all = store.history(prefix(""), revision, revision, 10, true).events();
                    assertEquals(describeEvents(events), describeEvents(all));
                } catch (RevisionUnavailableException e) {
                    assertEquals(RevisionUnavailableException.Reason.COMPACTED, e.reason());
                }
            }
        } finally {
            readerDone.set(true);
            writer.join();
        }
        if (writerFailure.get() != null) {
            throw new AssertionError("the writer failed", writerFailure.get());
        }
    }
}
