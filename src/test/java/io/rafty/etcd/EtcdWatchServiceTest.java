package io.rafty.etcd;

import static io.rafty.etcd.EtcdNodes.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.api.WatchCancelRequest;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchProgressRequest;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import io.rafty.kv.Command;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** etcd's Watch service against a real single-voter node, through jetcd and through the raw stub. */
class EtcdWatchServiceTest {

    private static final int WAIT_SECONDS = 10;

    @TempDir
    static Path dir;
    static EtcdNodes cluster;
    static Client client;

    @BeforeAll
    static void start() throws Exception {
        cluster = new EtcdNodes(dir, 1);
        client = cluster.client(1);
    }

    @AfterAll
    static void stop() throws Exception {
        cluster.close();
    }

    private static ByteSequence bs(String text) {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }

    private static String text(ByteSequence bytes) {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static WatchEvent next(BlockingQueue<WatchEvent> events) throws InterruptedException {
        WatchEvent event = events.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        assertNotNull(event, "an event arrived in time");
        return event;
    }

    /** A jetcd watch whose events go to {@code events}; returns once the server confirmed it (created). */
    static Watch.Watcher watch(Client client, String key, WatchOption.Builder option, BlockingQueue<WatchEvent> events)
            throws InterruptedException {
        java.util.concurrent.CountDownLatch created = new java.util.concurrent.CountDownLatch(1);
        Watch.Watcher watcher = client.getWatchClient().watch(bs(key), option.withCreateNotify(true).build(),
                Watch.listener(response -> {
                    if (response.isCreatedNotify()) {
                        created.countDown();
                    }
                    events.addAll(response.getEvents());
                }));
        assertTrue(created.await(WAIT_SECONDS, TimeUnit.SECONDS), "the watch was created in time");
        return watcher;
    }

    @Test
    void keyAndPrefixWatchesSeePutsAndDeletesWithPreviousValues() throws Exception {
        BlockingQueue<WatchEvent> keyEvents = new LinkedBlockingQueue<>();
        BlockingQueue<WatchEvent> prefixEvents = new LinkedBlockingQueue<>();
        try (Watch.Watcher keyWatch = watch(client, "wk/a", WatchOption.builder().withPrevKV(true), keyEvents);
             Watch.Watcher prefixWatch = watch(client, "wp/", WatchOption.builder().isPrefix(true).withPrevKV(true),
                     prefixEvents)) {
            long first = cluster.put(1, "wk/a", "1");
            long second = cluster.put(1, "wk/a", "2");
            long deleted = cluster.delete(1, "wk/a");
            long inPrefix = cluster.put(1, "wp/x", "1");
            cluster.put(1, "wq", "outside");
            long again = cluster.put(1, "wp/x", "2");

            WatchEvent put1 = next(keyEvents);
            assertEquals(WatchEvent.EventType.PUT, put1.getEventType());
            assertEquals("1", text(put1.getKeyValue().getValue()));
            assertEquals(first, put1.getKeyValue().getModRevision());
            assertEquals(first, put1.getKeyValue().getCreateRevision());
            assertEquals(1, put1.getKeyValue().getVersion());
            WatchEvent put2 = next(keyEvents);
            assertEquals(second, put2.getKeyValue().getModRevision());
            assertEquals(first, put2.getKeyValue().getCreateRevision());
            assertEquals(2, put2.getKeyValue().getVersion());
            assertEquals("1", text(put2.getPrevKV().getValue()), "prev_kv carries the value before");
            WatchEvent delete = next(keyEvents);
            assertEquals(WatchEvent.EventType.DELETE, delete.getEventType());
            assertEquals("wk/a", text(delete.getKeyValue().getKey()));
            assertEquals(deleted, delete.getKeyValue().getModRevision());
            assertEquals("2", text(delete.getPrevKV().getValue()));

            WatchEvent prefixed = next(prefixEvents);
            assertEquals("wp/x", text(prefixed.getKeyValue().getKey()));
            assertEquals(inPrefix, prefixed.getKeyValue().getModRevision());
            WatchEvent prefixedAgain = next(prefixEvents);
            assertEquals(again, prefixedAgain.getKeyValue().getModRevision(), "the key outside the prefix was skipped");
            assertEquals("1", text(prefixedAgain.getPrevKV().getValue()));
        }
    }

    @Test
    void aWatchFromAPastRevisionReplaysTheHistoryInOrder() throws Exception {
        long r1 = cluster.put(1, "wh/k", "v1");
        long r2 = cluster.put(1, "wh/k", "v2");
        long r3 = cluster.delete(1, "wh/k");
        BlockingQueue<WatchEvent> events = new LinkedBlockingQueue<>();
        try (Watch.Watcher watch = watch(client, "wh/k", WatchOption.builder().withRevision(r1), events)) {
            assertEquals(r1, next(events).getKeyValue().getModRevision());
            WatchEvent second = next(events);
            assertEquals(r2, second.getKeyValue().getModRevision());
            assertEquals("v2", text(second.getKeyValue().getValue()));
            WatchEvent third = next(events);
            assertEquals(WatchEvent.EventType.DELETE, third.getEventType());
            assertEquals(r3, third.getKeyValue().getModRevision());
            long live = cluster.put(1, "wh/k", "v3");
            assertEquals(live, next(events).getKeyValue().getModRevision(), "the replay turns into a live watch");
        }
    }

    @Test
    void rangeAndFiltersSelectTheEvents() throws Exception {
        BlockingQueue<WatchEvent> events = new LinkedBlockingQueue<>();
        // [wr/b, wr/d) without puts: only deletes of wr/b and wr/c.
        try (Watch.Watcher watch = watch(client, "wr/b", WatchOption.builder().withRange(bs("wr/d")).withNoPut(true),
                events)) {
            cluster.put(1, "wr/a", "x");
            cluster.put(1, "wr/b", "x");
            cluster.put(1, "wr/c", "x");
            cluster.put(1, "wr/d", "x");
            cluster.delete(1, "wr/a");
            long deleteB = cluster.delete(1, "wr/b");
            cluster.delete(1, "wr/d");
            long deleteC = cluster.delete(1, "wr/c");
            WatchEvent first = next(events);
            assertEquals(WatchEvent.EventType.DELETE, first.getEventType());
            assertEquals(deleteB, first.getKeyValue().getModRevision());
            WatchEvent second = next(events);
            assertEquals("wr/c", text(second.getKeyValue().getKey()));
            assertEquals(deleteC, second.getKeyValue().getModRevision());
        }
    }

    @Test
    void oneStreamHoldsSeveralWatchesWithTheirOwnIdsAndCancelsOne() throws Exception {
        RawStream stream = RawStream.open(cluster, 1);
        stream.send(create("wm/x", 0, 0));
        stream.send(create("wm/y", 0, 0));
        stream.send(create("wm/z", 42, 0));
        stream.send(create("wm/other", 42, 0));
        WatchResponse x = stream.next();
        WatchResponse y = stream.next();
        WatchResponse z = stream.next();
        WatchResponse duplicate = stream.next();
        assertTrue(x.getCreated() && y.getCreated() && z.getCreated());
        assertEquals(0, x.getWatchId(), "server-chosen ids start at 0, as etcd's");
        assertEquals(1, y.getWatchId());
        assertEquals(42, z.getWatchId(), "the client's watch_id is used when it is free");
        assertTrue(duplicate.getCreated() && duplicate.getCanceled());
        assertEquals(-1, duplicate.getWatchId());
        assertEquals(EtcdWatchService.DUPLICATE_ID, duplicate.getCancelReason());

        stream.send(WatchRequest.newBuilder().setCancelRequest(WatchCancelRequest.newBuilder().setWatchId(1)).build());
        WatchResponse cancelled = stream.next();
        assertTrue(cancelled.getCanceled());
        assertEquals(1, cancelled.getWatchId());

        cluster.put(1, "wm/y", "1");
        long xRevision = cluster.put(1, "wm/x", "1");
        long zRevision = cluster.put(1, "wm/z", "1");
        WatchResponse forX = stream.next();
        assertEquals(0, forX.getWatchId(), "the cancelled watch got nothing for wm/y, written first");
        assertEquals(xRevision, forX.getEvents(0).getKv().getModRevision());
        assertEquals(xRevision, forX.getHeader().getRevision());
        assertEquals(1, forX.getHeader().getMemberId());
        assertTrue(forX.getHeader().getRaftTerm() > 0);
        assertTrue(forX.getHeader().getClusterId() != 0);
        WatchResponse forZ = stream.next();
        assertEquals(42, forZ.getWatchId());
        assertEquals(zRevision, forZ.getEvents(0).getKv().getModRevision());
        stream.close();
    }

    @Test
    void progressNotifyAndProgressRequestsCarryTheRevision() throws Exception {
        long written = cluster.put(1, "wg/unrelated", "1");
        BlockingQueue<io.etcd.jetcd.watch.WatchResponse> progress = new LinkedBlockingQueue<>();
        try (Watch.Watcher watch = client.getWatchClient().watch(bs("wg/k"),
                WatchOption.builder().withProgressNotify(true).build(), Watch.listener(response -> {
                    if (response.isProgressNotify()) {
                        progress.add(response);
                    }
                }))) {
            io.etcd.jetcd.watch.WatchResponse note = progress.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertNotNull(note, "an idle watch with progress_notify gets progress responses");
            assertTrue(note.getHeader().getRevision() >= written, "a progress response covers " + written);
        }

        RawStream stream = RawStream.open(cluster, 1);
        stream.send(create("wg/raw", 0, 0));
        assertTrue(stream.next().getCreated());
        long latest = cluster.put(1, "wg/elsewhere", "1");
        stream.send(WatchRequest.newBuilder().setProgressRequest(WatchProgressRequest.getDefaultInstance()).build());
        WatchResponse answer = stream.next();
        assertEquals(-1, answer.getWatchId(), "a progress request is answered for the whole stream (etcd 3.5)");
        assertEquals(0, answer.getEventsCount());
        assertFalse(answer.getCreated() || answer.getCanceled());
        assertTrue(answer.getHeader().getRevision() >= latest);
        stream.close();
    }

    @Test
    void aWatchBelowTheCompactRevisionIsCancelledWithIt() throws Exception {
        long first = cluster.put(1, "wc/k", "1");
        cluster.put(1, "wc/k", "2");
        long third = cluster.put(1, "wc/k", "3");
        cluster.propose(1, new Command.Compact(third));
        Awaitility.await().atMost(Duration.ofSeconds(WAIT_SECONDS))
                .until(() -> cluster.node(1).status().compactRevision() >= third);

        RawStream stream = RawStream.open(cluster, 1);
        stream.send(create("wc/k", 0, first));
        WatchResponse created = stream.next();
        assertTrue(created.getCreated());
        assertFalse(created.getCanceled());
        WatchResponse compacted = stream.next();
        assertEquals(created.getWatchId(), compacted.getWatchId());
        assertTrue(compacted.getCanceled());
        assertEquals(third, compacted.getCompactRevision());
        assertEquals(EtcdWatchService.COMPACTED, compacted.getCancelReason());

        // The stream lives on: a watch from the compact revision replays it.
        stream.send(create("wc/k", 0, third));
        assertTrue(stream.next().getCreated());
        WatchResponse replay = stream.next();
        assertEquals(third, replay.getEvents(0).getKv().getModRevision());
        stream.close();
    }

    @Test
    void badCreatesAreRefusedOnTheStreamWhichGoesOn() throws Exception {
        RawStream stream = RawStream.open(cluster, 1);
        stream.send(WatchRequest.newBuilder().setCreateRequest(WatchCreateRequest.newBuilder()
                .setKey(ByteString.copyFromUtf8("wb/z")).setRangeEnd(ByteString.copyFromUtf8("wb/a"))).build());
        WatchResponse backwards = stream.next();
        assertTrue(backwards.getCreated() && backwards.getCanceled());
        assertEquals(-1, backwards.getWatchId());
        assertEquals(EtcdWatchService.EMPTY_RANGE, backwards.getCancelReason());

        stream.send(WatchRequest.newBuilder().setCreateRequest(WatchCreateRequest.newBuilder()
                .setKey(ByteString.copyFromUtf8("wb/k")).setStartRevision(-5)).build());
        WatchResponse negative = stream.next();
        assertTrue(negative.getCreated() && negative.getCanceled());
        assertEquals(EtcdWatchService.COMPACTED, negative.getCancelReason());

        // An empty key is etcd's "\0": a watch of that one key, not an error.
        stream.send(WatchRequest.newBuilder().setCreateRequest(WatchCreateRequest.getDefaultInstance()).build());
        WatchResponse empty = stream.next();
        assertTrue(empty.getCreated());
        assertFalse(empty.getCanceled());
        // A request of no kind is ignored, as etcd does; the stream still serves watches.
        stream.send(WatchRequest.getDefaultInstance());
        stream.send(create("wb/ok", 0, 0));
        WatchResponse ok = stream.next();
        assertTrue(ok.getCreated() && !ok.getCanceled());
        long revision = cluster.put(1, "wb/ok", "1");
        assertEquals(revision, stream.next().getEvents(0).getKv().getModRevision());
        stream.close();
    }

    @Test
    void aStreamThatEndsReleasesEveryWatch() throws Exception {
        Awaitility.await().atMost(Duration.ofSeconds(WAIT_SECONDS)).until(() -> cluster.node(1).status().watchers() == 0);
        RawStream stream = RawStream.open(cluster, 1);
        for (int i = 0; i < 3; i++) {
            stream.send(create("we/" + i, 0, 0));
            assertTrue(stream.next().getCreated());
        }
        Awaitility.await().atMost(Duration.ofSeconds(WAIT_SECONDS)).until(() -> cluster.node(1).status().watchers() == 3);
        stream.cancel();
        Awaitility.await().atMost(Duration.ofSeconds(WAIT_SECONDS)).until(() -> cluster.node(1).status().watchers() == 0);
    }

    static WatchRequest create(String key, long watchId, long startRevision) {
        WatchCreateRequest.Builder create = WatchCreateRequest.newBuilder().setKey(ByteString.copyFromUtf8(key))
                .setStartRevision(startRevision);
        if (watchId != 0) {
            // watch_id (field 7) is newer than the generated messages: sent as the unknown field it is to them.
            create.setUnknownFields(UnknownFieldSet.newBuilder().addField(EtcdWatchService.WATCH_ID_FIELD,
                    UnknownFieldSet.Field.newBuilder().addVarint(watchId).build()).build());
        }
        return WatchRequest.newBuilder().setCreateRequest(create).build();
    }

    /** One raw Watch call: what the server sends, in order, in a queue. */
    static final class RawStream {
        final BlockingQueue<Object> received = new LinkedBlockingQueue<>();
        final Context.CancellableContext context = Context.current().withCancellation();
        StreamObserver<WatchRequest> requests;

        static RawStream open(EtcdNodes cluster, int node) {
            RawStream stream = new RawStream();
            WatchGrpc.WatchStub stub = WatchGrpc.newStub(cluster.channel(node));
            stream.context.run(() -> stream.requests = stub.watch(new StreamObserver<>() {
                @Override
                public void onNext(WatchResponse value) {
                    stream.received.add(value);
                }

                @Override
                public void onError(Throwable t) {
                    stream.received.add(t);
                }

                @Override
                public void onCompleted() {
                    stream.received.add("completed");
                }
            }));
            return stream;
        }

        void send(WatchRequest request) {
            requests.onNext(request);
        }

        WatchResponse next() throws InterruptedException {
            Object next = received.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertNotNull(next, "a response arrived in time");
            assertTrue(next instanceof WatchResponse, "a response, not " + next);
            return (WatchResponse) next;
        }

        void cancel() {
            context.cancel(null);
        }

        void close() {
            requests.onCompleted();
            context.cancel(null);
        }

        List<Object> drained() {
            List<Object> out = new java.util.ArrayList<>();
            received.drainTo(out);
            return out;
        }
    }
}
