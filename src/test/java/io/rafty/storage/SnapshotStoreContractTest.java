package io.rafty.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
import io.rafty.raft.Entry;
import io.rafty.raft.HardState;
import io.rafty.raft.Membership;
import io.rafty.raft.SnapshotMeta;
import java.io.ByteArrayOutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshot images and installs, against RocksDB ({@link RocksSnapshotStoreTest}) and the in-memory
 * twin ({@link InMemorySnapshotStoreTest}): an installed image answers every read and history query
 * as the store it came from.
 */
abstract class SnapshotStoreContractTest {

    protected LogStore log;
    protected KvStore kv;
    protected SnapshotStore snapshots;

    protected abstract void openEmpty();

    protected abstract void reopen();

    protected abstract void closeAll();

    /** Another node's empty storage, of the same kind, closed with this one. */
    protected abstract Node openOther();

    /** How many history records {@code store} holds. */
    protected abstract long historyRecordCount(KvStore store);

    /** One node's stores. */
    protected record Node(LogStore log, KvStore kv, SnapshotStore snapshots) {
    }

    @TempDir
    Path stagingDirectory;

    @AfterEach
    void close() {
        closeAll();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static KvEntry entry(String key, String value, long revision) {
        return new KvEntry(bytes(key), bytes(value), revision, revision, 1);
    }

    private void write(long applied, KvEntry... entries) {
        Map<Key, KvEntry> changes = new LinkedHashMap<>();
        for (KvEntry e : entries) {
            changes.put(new Key(e.key()), e);
        }
        kv.write(changes, List.of(), 0, applied);
    }

    /** The current entries of an image (its compaction and history records left out). */
    private static List<KvEntry> drain(Iterator<ImageRecord> it) {
        List<KvEntry> out = new ArrayList<>();
        it.forEachRemaining(record -> {
            if (record instanceof ImageRecord.Current current) {
                out.add(current.entry());
            }
        });
        return out;
    }

    private static Iterator<ImageRecord> image(KvEntry... entries) {
        List<ImageRecord> records = new ArrayList<>();
        records.add(new ImageRecord.Compaction(0));
        for (KvEntry entry : entries) {
            records.add(new ImageRecord.Current(entry));
        }
        return records.iterator();
    }

    @Test
    void imageIsAConsistentPointInTimeView() {
        openEmpty();
        write(3, entry("a", "1", 2), entry("b", "2", 3));
        try (SnapshotStore.StateImage image = snapshots.openImage()) {
            write(4, entry("c", "3", 4));
            assertEquals(3, image.appliedIndex());
            List<KvEntry> seen = drain(image.records());
            assertEquals(2, seen.size(), "the later write is not in the image");
            assertArrayEquals(bytes("a"), seen.get(0).key());
        }
    }

    @Test
    void installReplacesStateMachineAndLogTogether() {
        openEmpty();
        log.save(new HardState(1, 1, 2), List.of(Entry.command(1, 1, bytes("x")), Entry.command(1, 2, bytes("y"))));
        write(2, entry("old", "gone", 2));
        Membership members = Membership.ofVoters(Set.of(1, 2, 3));
        snapshots.install(new SnapshotMeta(50, 4, members), image(entry("k1", "v1", 40), entry("k2", "v2", 50)));
        reopen();
        assertNull(kv.get(bytes("old")));
        assertArrayEquals(bytes("v2"), kv.get(bytes("k2")).value());
        assertEquals(50, kv.appliedIndex());
        assertEquals(50, log.logStartIndex());
        assertEquals(4, log.logStartTerm());
        assertEquals(List.of(), log.entries());
        assertEquals(members, log.membership());
        log.save(null, List.of(Entry.command(4, 51, bytes("next"))));
        assertEquals(51, log.lastIndex());
    }

    @Test
    void installsAreCounted() {
        openEmpty();
        assertEquals(0, kv.installs());
        snapshots.install(new SnapshotMeta(5, 1, Membership.ofVoters(Set.of(1))), image(entry("a", "1", 5)));
        snapshots.install(new SnapshotMeta(9, 1, Membership.ofVoters(Set.of(1))), image(entry("a", "2", 9)));
        assertEquals(2, kv.installs());
    }

    /**
     * A state machine that outlives an install (the node's one, with its cache of recent writes) writes the
     * next change to a key from the installed entry, not from what it stored itself before. The install is at
     * the very index the machine had applied, so only the store's install count can tell it apart.
     */
    @Test
    void aWriteAfterAnInstallFollowsTheInstalledEntry() {
        openEmpty();
        KvStateMachine machine = new KvStateMachine(kv);
        Command put = new Command.Put(bytes("k"), bytes("mine"), Precondition.NONE);
        machine.apply(List.of(Entry.command(1, 1, CommandCodec.encode(put)), Entry.command(1, 2, CommandCodec.encode(put))));
        assertEquals(2, kv.get(bytes("k")).version());
        snapshots.install(new SnapshotMeta(2, 1, Membership.ofVoters(Set.of(1))),
                image(new KvEntry(bytes("k"), bytes("theirs"), 2, 2, 1)));
        Command next = new Command.Put(bytes("k"), bytes("next"), Precondition.NONE);
        KvResult result = machine.apply(List.of(Entry.command(1, 3, CommandCodec.encode(next)))).get(0);
        Event event = result.events().get(0);
        assertArrayEquals(bytes("theirs"), event.prev().value(), "prev is the installed entry");
        assertEquals(2, event.entry().createRevision());
        assertEquals(2, event.entry().version());
        assertEquals(2, kv.get(bytes("k")).version());
    }

    @Test
    void syncReportsTheAppliedIndex() {
        openEmpty();
        write(7, entry("a", "1", 7));
        assertEquals(7, snapshots.syncStateMachine());
    }

    private static final Membership MEMBERS = Membership.ofVoters(Set.of(1, 2, 3));

    /** A history with overwrites, deletes, re-creates and a transaction, compacted at 8 and purged in part. */
    private static HistoryScript historyOn(KvStore store) {
        HistoryScript script = new HistoryScript(store);
        script.put("a", "1");                                        // 1
        script.put("b", "1");                                        // 2
        script.put("a", "2");                                        // 3
        script.delete("b");                                          // 4
        script.put("a/x", "1");                                      // 5
        script.transaction("p/1", "1", "a", null, "p/2", "1");       // 6
        script.put("b", "2");                                        // 7
        script.put(new byte[] {'z', 0}, bytes("1"));                 // 8
        script.put("a", "3");                                        // 9
        script.delete("p/1");                                        // 10
        script.compact(8);                                           // 11
        return script;
    }

    private static List<String> describeImage(Iterator<ImageRecord> records) {
        List<String> out = new ArrayList<>();
        records.forEachRemaining(record -> {
            if (record instanceof ImageRecord.Compaction compaction) {
                out.add("compaction " + compaction.compactRevision());
            } else if (record instanceof ImageRecord.Current current) {
                out.add("current " + HistoryScript.describe(current.entry()));
            } else if (record instanceof ImageRecord.Deduped deduped) {
                out.add("dedup " + new String(deduped.dedup().key(), StandardCharsets.UTF_8) + "@"
                        + deduped.dedup().revision());
            } else {
                out.add("past " + HistoryScript.describe(((ImageRecord.Past) record).event()));
            }
        });
        return out;
    }

    private static List<String> expectedImage(HistoryScript script, List<String> pastRecords) {
        List<String> expected = new ArrayList<>();
        expected.add("compaction " + script.store.compactRevision());
        script.store.list(new byte[0], null, HistoryScript.ALL).entries()
                .forEach(entry -> expected.add("current " + HistoryScript.describe(entry)));
        pastRecords.forEach(record -> expected.add("past " + record));
        return expected;
    }

    @Test
    void imageHoldsTheCompactionThenCurrentEntriesThenEveryKeptRecordInKeyOrder() {
        openEmpty();
        HistoryScript script = historyOn(kv);
        List<String> beforePurge = expectedImage(script, script.allRecords());
        try (SnapshotStore.StateImage image = snapshots.openImage()) {
            // Neither a purge nor a later write reaches an image already open.
            HistoryScript.purgeAll(kv, 2);
            script.put("later", "1");
            assertEquals(11, image.appliedIndex());
            assertEquals(beforePurge, describeImage(image.records()));
        }
        try (SnapshotStore.StateImage image = snapshots.openImage()) {
            assertEquals(12, image.appliedIndex());
            assertEquals(expectedImage(script, script.keptAfterPurge(8)), describeImage(image.records()));
        }
    }

    @Test
    void installedImageAnswersEveryQueryAsItsSource() {
        openEmpty();
        // This node had a history of its own, which the image replaces entirely.
        HistoryScript own = new HistoryScript(kv);
        for (int i = 0; i < 14; i++) {
            own.put("own/" + i % 3, "v" + i);
        }
        own.compact(12);
        Node source = openOther();
        HistoryScript script = historyOn(source.kv());
        assertEquals(3, source.kv().purgeHistory(3), "part of the purge done before the image");
        List<String> answers = script.answers(source.kv(), 8, 11);
        try (SnapshotStore.StateImage image = source.snapshots().openImage()) {
            snapshots.install(new SnapshotMeta(image.appliedIndex(), 2, MEMBERS), image.records());
        }
        reopen();
        assertEquals(11, kv.appliedIndex());
        assertEquals(8, kv.compactRevision(), "the image's compact revision, lower than this node's was");
        assertEquals(answers, script.answers(kv, 8, 11));
        assertEquals("[]", HistoryScript.describe(kv.listAt(bytes("own/"), null, 10, 11).entries()));
        assertEquals(List.of(), kv.history(KeySelector.prefix(bytes("own/")), 8, 11, 10, false).events());
        assertEquals(MEMBERS, log.membership());

        // The install queued every record for the purge, which now drops what compact revision 8 does not need.
        HistoryScript.purgeAll(kv, 1);
        assertEquals(answers, script.answers(kv, 8, 11));
        assertEquals(script.recordsKeptAfterPurge(8), historyRecordCount(kv));

        // Writes go on from the image, with the installed history as their previous state.
        script.rebind(kv);
        script.put("a", "4");                                        // 12
        assertEquals("[put a=4@12/c9/v2 prev a=3@9/c9/v1]",
                HistoryScript.describeEvents(kv.history(KeySelector.key(bytes("a")), 12, 12, 10, true).events()));
    }

    @Test
    void imageThatFailsPartWayLeavesTheStoreAsItWas() {
        openEmpty();
        HistoryScript script = historyOn(kv);
        List<String> answers = script.answers(kv, 8, 11);
        Node source = openOther();
        HistoryScript other = new HistoryScript(source.kv());
        for (int i = 0; i < 20; i++) {
            other.put("other/" + i, "v" + i);
        }
        // The image as a staged stream, cut short: reading it fails after some records.
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        try (SnapshotStore.StateImage image = source.snapshots().openImage()) {
            image.records().forEachRemaining(record -> stream.writeBytes(SnapshotStaging.encode(record)));
        }
        byte[] truncated = Arrays.copyOf(stream.toByteArray(), stream.size() - 3);
        SnapshotStaging staging = new SnapshotStaging(stagingDirectory.resolve("staged"));
        SnapshotStaging.TransferId id = new SnapshotStaging.TransferId(2, 3, 20, 3);
        try {
            staging.accept(id, 0, truncated);
        } catch (SnapshotStaging.OffsetMismatch e) {
            throw new AssertionError(e);
        }
        UncheckedIOException failure = assertThrows(UncheckedIOException.class,
                () -> snapshots.install(new SnapshotMeta(20, 3, MEMBERS), staging.read()));
        assertEquals("truncated staged snapshot", failure.getMessage());
        assertEquals(11, kv.appliedIndex());
        assertEquals(8, kv.compactRevision());
        assertEquals(answers, script.answers(kv, 8, 11));
        assertNull(kv.get(bytes("other/0")));
        assertEquals(script.events.size(), historyRecordCount(kv));
    }

    @Test
    void theIdempotencyTableTravelsWithTheImage() {
        openEmpty();
        kv.write(Map.of(new Key(bytes("k")), entry("k", "v", 4)), List.of(),
                List.of(new io.rafty.kv.Dedup(bytes("retry"), 4, 104, bytes("fingerprint"), bytes("stored result"))), 0, 4);
        Node other = openOther();
        try (SnapshotStore.StateImage image = snapshots.openImage()) {
            List<ImageRecord> records = new ArrayList<>();
            image.records().forEachRemaining(records::add);
            assertTrue(records.get(records.size() - 1) instanceof ImageRecord.Deduped, "the table comes last");
            other.snapshots().install(new SnapshotMeta(4, 1, Membership.ofVoters(Set.of(1))), records.iterator());
        }
        io.rafty.kv.Dedup installed = other.kv().dedup(bytes("retry"));
        assertEquals(4, installed.revision());
        assertEquals(104, installed.expiry());
        assertArrayEquals(bytes("fingerprint"), installed.fingerprint());
        assertArrayEquals(bytes("stored result"), installed.result());
    }

    @Test
    void leasesAndTheirKeysTravelWithTheImage() {
        openEmpty();
        kv.write(new KvStore.Batch(Map.of(new Key(bytes("s/1")), new KvEntry(bytes("s/1"), bytes("v"), 3, 3, 1, 5),
                new Key(bytes("plain")), new KvEntry(bytes("plain"), bytes("v"), 3, 3, 1)), List.of(), List.of(),
                Map.of(5L, new io.rafty.kv.Lease(5, 20, 900)), List.of(new KvStore.Attachment(5, bytes("s/1"), true)),
                0, 3));
        Node other = openOther();
        try (SnapshotStore.StateImage image = snapshots.openImage()) {
            List<ImageRecord> records = new ArrayList<>();
            image.records().forEachRemaining(records::add);
            assertTrue(records.stream().anyMatch(r -> r instanceof ImageRecord.Leased), records.toString());
            other.snapshots().install(new SnapshotMeta(3, 1, Membership.ofVoters(Set.of(1))), records.iterator());
        }
        assertEquals(900, other.kv().lease(5).remainingMs());
        assertEquals(5, other.kv().get(bytes("s/1")).lease());
        assertEquals(1, other.kv().leaseKeys(5, 10).size(), "attachments are rebuilt from the keys");
        assertArrayEquals(bytes("s/1"), other.kv().leaseKeys(5, 10).get(0));
    }
}
