package io.rafty.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.kv.Event;
import io.rafty.kv.KeySelector;
import io.rafty.kv.KvEntry;
import io.rafty.kv.KvStore;
import io.rafty.kv.RevisionUnavailableException;
import io.rafty.raft.DeliberateBug;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The watch hub on its own, driven directly: which watchers an applied batch reaches, how a watcher
 * below the applied revision pages through the history and turns live without a gap or a repeat, what a
 * congested subscriber costs, and how installs, compaction and limits end or redirect streams.
 */
class WatchHubTest {

    private static final long SECOND = 1_000_000_000L;

    /** A subscriber that keeps what it was sent and can be told to push back. */
    private static final class Recorder implements WatchHub.Subscriber {
        final List<WatchMessage> messages = new ArrayList<>();
        boolean congested;

        final List<Integer> batchSizes = new ArrayList<>();

        @Override
        public void send(List<WatchMessage> batch) {
            assertFalse(batch.isEmpty(), "never an empty send");
            batchSizes.add(batch.size());
            messages.addAll(batch);
        }

        @Override
        public boolean congested() {
            return congested;
        }

        @Override
        public void end(WatchMessage.Cancelled cancelled) {
            messages.add(cancelled);
        }

        List<Long> changeRevisions() {
            List<Long> out = new ArrayList<>();
            for (WatchMessage message : messages) {
                if (message instanceof WatchMessage.Change) {
                    out.add(message.revision());
                }
            }
            return out;
        }

        WatchMessage last() {
            return messages.get(messages.size() - 1);
        }
    }

    /** History reads the hub asked for, answered by the test. */
    private record Read(long watchId, KeySelector selector, long from, long to, int maxEvents, boolean withPrev) {
    }

    private final List<Read> reads = new ArrayList<>();
    /** The committed events the fake history answers from. */
    private final List<Event> history = new ArrayList<>();

    private WatchHub hub(long applied, long compactRevision, long maxQueuedBytes, int pageEvents,
                         Set<DeliberateBug> bugs) {
        return new WatchHub(new WatchHub.Settings(3, maxQueuedBytes, pageEvents),
                (id, selector, from, to, max, withPrev) -> reads.add(new Read(id, selector, from, to, max, withPrev)),
                applied, compactRevision, bugs);
    }

    private WatchHub hub(long applied) {
        return hub(applied, 0, 1 << 20, 2, Set.of());
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static Event put(String key, String value, long revision) {
        return Event.put(new KvEntry(bytes(key), bytes(value), revision, revision, 1), null);
    }

    /** Answers the hub's oldest outstanding read from {@link #history}, as the store's history() would. */
    private void answer(WatchHub hub) {
        Read read = reads.remove(0);
        List<Event> page = new ArrayList<>();
        long through = read.to();
        for (Event event : history) {
            if (event.revision() < read.from() || event.revision() > read.to() || !read.selector().matches(event.key())) {
                continue;
            }
            if (page.size() >= read.maxEvents() && page.get(page.size() - 1).revision() != event.revision()) {
                through = page.get(page.size() - 1).revision();
                break;
            }
            page.add(event);
        }
        hub.historyRead(read.watchId(), new KvStore.HistoryPage(page, through));
    }

    private static WatchRequest request(KeySelector selector, WatchRequest.Start start) {
        return new WatchRequest(selector, start, false, 0);
    }

    @Test
    void liveWatchersGetOnlyTheirKeysAndShareOneMessagePerRevision() {
        WatchHub hub = hub(10);
        Recorder exact = new Recorder();
        Recorder prefix = new Recorder();
        Recorder everything = new Recorder();
        hub.add(request(KeySelector.key(bytes("a/1")), WatchRequest.Start.now()), exact, 0);
        hub.add(request(KeySelector.prefix(bytes("a/")), WatchRequest.Start.now()), prefix, 0);
        hub.add(request(KeySelector.prefix(new byte[0]), WatchRequest.Start.now()), everything, 0);
        assertEquals(new WatchMessage.Created(10), exact.messages.get(0));

        hub.applied(List.of(put("a/1", "x", 11), put("b", "y", 12), put("a/2", "z", 13)), 13);

        assertEquals(List.of(11L), exact.changeRevisions());
        assertEquals(List.of(11L, 13L), prefix.changeRevisions());
        assertEquals(List.of(11L, 12L, 13L), everything.changeRevisions());
        // Every watcher of revision 11 got every event of it: one shared message, encoded once.
        assertSame(exact.messages.get(1), prefix.messages.get(1));
        assertSame(exact.messages.get(1), everything.messages.get(1));
        assertTrue(reads.isEmpty(), "live watchers read no history");
    }

    @Test
    void aRevisionWithSeveralEventsIsOneMessageWithOnlyTheMatchingOnes() {
        WatchHub hub = hub(10);
        Recorder prefix = new Recorder();
        hub.add(request(KeySelector.prefix(bytes("a/")), WatchRequest.Start.now()), prefix, 0);
        hub.applied(List.of(put("a/1", "x", 11), put("a/2", "y", 11), put("b", "z", 11)), 11);
        WatchMessage.Change change = (WatchMessage.Change) prefix.messages.get(1);
        assertEquals(11, change.revision());
        assertEquals(List.of("a/1", "a/2"), change.events().stream().map(e -> new String(e.key(),
                StandardCharsets.UTF_8)).toList());
    }

    @Test
    void aWatcherBelowTheAppliedRevisionPagesThroughHistoryThenTurnsLiveWithoutGapOrRepeat() {
        for (long r = 1; r <= 9; r++) {
            history.add(put("k", "v" + r, r));
        }
        WatchHub hub = hub(9);
        Recorder watcher = new Recorder();
        hub.add(request(KeySelector.key(bytes("k")), WatchRequest.Start.from(4)), watcher, 0);
        assertEquals(new WatchMessage.Created(3), watcher.messages.get(0));
        assertEquals(1, reads.size());
        assertEquals(new Read(1, KeySelector.key(bytes("k")), 4, 9, 2, false), reads.get(0));

        // Meanwhile two more revisions are applied: the catching-up watcher ignores them, the history has them.
        history.add(put("k", "v10", 10));
        history.add(put("k", "v11", 11));
        hub.applied(List.of(put("k", "v10", 10)), 10);
        hub.applied(List.of(put("k", "v11", 11)), 11);
        assertEquals(List.of(), watcher.changeRevisions());

        while (!reads.isEmpty()) {
            answer(hub);
        }
        assertEquals(List.of(4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L), watcher.changeRevisions());
        hub.applied(List.of(put("k", "v12", 12)), 12);
        assertEquals(List.of(4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L), watcher.changeRevisions(), "live now");
    }

    @Test
    void resumingAfterTheLastSeenRevisionStartsAtTheNextOne() {
        WatchHub hub = hub(10);
        Recorder watcher = new Recorder();
        hub.add(request(KeySelector.prefix(new byte[0]), WatchRequest.Start.after(10)), watcher, 0);
        assertEquals(new WatchMessage.Created(10), watcher.messages.get(0));
        assertTrue(reads.isEmpty(), "nothing to catch up");
        hub.applied(List.of(put("k", "v", 11)), 11);
        assertEquals(List.of(11L), watcher.changeRevisions());
    }

    @Test
    void theDeliberateResumeBugRepeatsTheLastSeenRevision() {
        history.add(put("k", "v", 10));
        WatchHub hub = hub(10, 0, 1 << 20, 2, Set.of(DeliberateBug.WATCH_RESUME_AT_LAST_ID));
        Recorder watcher = new Recorder();
        hub.add(request(KeySelector.prefix(new byte[0]), WatchRequest.Start.after(10)), watcher, 0);
        answer(hub);
        assertEquals(List.of(10L), watcher.changeRevisions(), "revision 10 is sent again");
    }

    @Test
    void aCongestedSubscriberQueuesThenFlushesInOrder() {
        WatchHub hub = hub(10);
        Recorder watcher = new Recorder();
        long id = hub.add(request(KeySelector.prefix(new byte[0]), WatchRequest.Start.now()), watcher, 0);
        watcher.congested = true;
        hub.applied(List.of(put("k", "a", 11), put("k", "b", 12)), 12);
        assertEquals(1, watcher.messages.size(), "only created so far");
        watcher.congested = false;
        hub.writable(id);
        assertEquals(List.of(11L, 12L), watcher.changeRevisions());
        assertEquals(List.of(1, 2), watcher.batchSizes, "created, then the queue in one send");
    }

    @Test
    void aWholeAppliedBatchReachesAWatcherInOneSend() {
        WatchHub hub = hub(10);
        Recorder watcher = new Recorder();
        hub.add(request(KeySelector.prefix(new byte[0]), WatchRequest.Start.now()), watcher, 0);
        hub.applied(List.of(put("a", "1", 11), put("b", "2", 12), put("c", "3", 13)), 13);
        assertEquals(List.of(1, 3), watcher.batchSizes);
        assertEquals(List.of(11L, 12L, 13L), watcher.changeRevisions());
    }

    @Test
    void aWatcherThatFallsTooFarBehindIsCancelledAsSlowAtTheLastRevisionItWasSent() {
        WatchHub hub = hub(10, 0, 400, 2, Set.of());
        Recorder watcher = new Recorder();
        hub.add(request(KeySelector.prefix(new byte[0]), WatchRequest.Start.now()), watcher, 0);
        hub.applied(List.of(put("k", "a", 11)), 11);
        watcher.congested = true;
        for (long r = 12; r <= 20; r++) {
            hub.applied(List.of(put("k", "x".repeat(50), r)), r);
        }
        WatchMessage.Cancelled cancelled = assertInstanceOf(WatchMessage.Cancelled.class, watcher.last());
        assertEquals(WatchMessage.Reason.SLOW_WATCHER, cancelled.reason());
        assertEquals(11, cancelled.revision(), "resume after the last revision it was sent");
        assertEquals(0, hub.size());
        int before = watcher.messages.size();
        hub.applied(List.of(put("k", "late", 21)), 21);
        assertEquals(before, watcher.messages.size(), "nothing after the cancel");
    }

    @Test
    void aStartOlderThanTheHistoryIsRefusedAsCompacted() {
        WatchHub hub = hub(20, 15, 1 << 20, 2, Set.of());
        RevisionUnavailableException refused = assertThrows(RevisionUnavailableException.class,
                () -> hub.add(request(KeySelector.key(bytes("k")), WatchRequest.Start.from(14)), new Recorder(), 0));
        assertEquals(RevisionUnavailableException.Reason.COMPACTED, refused.reason());
        assertEquals(15, refused.compactRevision());
        assertEquals(0, hub.size());
    }

    @Test
    void aCatchUpWhoseHistoryWasCompactedMeanwhileIsCancelledWithTheCompactRevision() {
        WatchHub hub = hub(20);
        Recorder watcher = new Recorder();
        hub.add(request(KeySelector.key(bytes("k")), WatchRequest.Start.from(5)), watcher, 0);
        Read read = reads.remove(0);
        hub.historyRead(read.watchId(), new RevisionUnavailableException(RevisionUnavailableException.Reason.COMPACTED,
                5, 12, 20));
        WatchMessage.Cancelled cancelled = assertInstanceOf(WatchMessage.Cancelled.class, watcher.last());
        assertEquals(WatchMessage.Reason.COMPACTED, cancelled.reason());
        assertEquals(12, cancelled.compactRevision());
        assertEquals(4, cancelled.revision());
    }

    @Test
    void anInstallSendsLiveWatchersBehindItToTheHistory() {
        WatchHub hub = hub(10);
        Recorder watcher = new Recorder();
        hub.add(request(KeySelector.prefix(new byte[0]), WatchRequest.Start.now()), watcher, 0);
        history.add(put("k", "from the snapshot", 14));
        hub.installed(20, 0);
        assertEquals(1, reads.size());
        assertEquals(11, reads.get(0).from());
        assertEquals(20, reads.get(0).to());
        answer(hub);
        assertEquals(List.of(14L), watcher.changeRevisions());
    }

    @Test
    void theDeliberateInstallBugLeavesWatchersLiveAndTheyMissTheSnapshot() {
        WatchHub hub = hub(10, 0, 1 << 20, 2, Set.of(DeliberateBug.INSTALL_KEEPS_WATCHERS_LIVE));
        Recorder watcher = new Recorder();
        hub.add(request(KeySelector.prefix(new byte[0]), WatchRequest.Start.now()), watcher, 0);
        hub.installed(20, 0);
        assertTrue(reads.isEmpty());
        hub.applied(List.of(put("k", "v", 21)), 21);
        assertEquals(List.of(21L), watcher.changeRevisions(), "revisions 11..20 never arrive");
    }

    @Test
    void anIdleWatcherGetsProgressAtTheAppliedRevisionAndABusyOneDoesNot() {
        WatchHub hub = hub(10);
        Recorder idle = new Recorder();
        Recorder busy = new Recorder();
        hub.add(new WatchRequest(KeySelector.key(bytes("quiet")), WatchRequest.Start.now(), false, SECOND), idle, 0);
        hub.add(new WatchRequest(KeySelector.key(bytes("busy")), WatchRequest.Start.now(), false, SECOND), busy, 0);
        hub.tick(SECOND / 2);
        hub.applied(List.of(put("busy", "v", 11), put("other", "v", 12)), 12);
        hub.tick(SECOND);
        assertEquals(new WatchMessage.Progress(12), idle.last());
        assertInstanceOf(WatchMessage.Change.class, busy.last(), "sent a change half a second ago: no progress yet");
        hub.tick(SECOND + SECOND / 2);
        assertEquals(new WatchMessage.Progress(12), busy.last());
    }

    @Test
    void theWatcherLimitRefusesTheNextOneAsOverloaded() {
        WatchHub hub = hub(0);
        for (int i = 0; i < 3; i++) {
            hub.add(request(KeySelector.key(bytes("k")), WatchRequest.Start.now()), new Recorder(), 0);
        }
        RequestFailure refused = assertThrows(RequestFailure.class,
                () -> hub.add(request(KeySelector.key(bytes("k")), WatchRequest.Start.now()), new Recorder(), 0));
        assertEquals(RequestFailure.Kind.OVERLOADED, refused.kind());
    }

    @Test
    void aRemovedWatcherGetsNothingAndFreesItsSlot() {
        WatchHub hub = hub(10);
        Recorder watcher = new Recorder();
        long id = hub.add(request(KeySelector.prefix(bytes("")), WatchRequest.Start.now()), watcher, 0);
        hub.remove(id);
        hub.applied(List.of(put("k", "v", 11)), 11);
        assertEquals(1, watcher.messages.size());
        assertEquals(0, hub.size());
        hub.cancelAll(WatchMessage.Reason.SHUTDOWN);
        assertFalse(watcher.last() instanceof WatchMessage.Cancelled, "a removed watcher is not told anything");
    }
}
