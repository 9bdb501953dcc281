package io.rafty.transport;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rafty.raft.Entry;
import io.rafty.raft.PeerIdentity;
import io.rafty.raft.message.AppendEntries;
import io.rafty.raft.message.Heartbeat;
import io.rafty.raft.message.Message;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The peer client's queue per peer is bounded by bytes: while the inflight window is full, messages
 * queue up to {@code maxQueuedBytes}, and beyond it new ones are dropped and counted. The peers here
 * are HTTP servers that hold every request until the test releases it, so the window stays full for
 * exactly as long as the test wants.
 */
class PeerClientQueueBytesTest {

    private static final PeerIdentity SENDER = new PeerIdentity(0, 101);
    /** Three heartbeats' worth (64 bytes each on the client's estimate). */
    private static final long MAX_QUEUED_BYTES = 3 * 64;
    private static final Duration DEADLINE = Duration.ofSeconds(10);

    private Vertx vertx;
    private Context context;
    private PeerClient client;
    private final Map<Integer, String> addresses = new ConcurrentHashMap<>();

    /** A peer that decodes every batch it receives and answers none until {@link #releaseAll()}. */
    private static final class HoldingPeer {
        final List<MessageCodec.Batch> batches = new CopyOnWriteArrayList<>();
        private final List<HttpServerRequest> held = new CopyOnWriteArrayList<>();
        HttpServer server;

        void releaseAll() {
            for (HttpServerRequest request : held) {
                held.remove(request);
                request.response().setStatusCode(204).end();
            }
        }

        List<Message> messagesOfBatch(int i) {
            return batches.get(i).messages();
        }
    }

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        context = vertx.getOrCreateContext();
        // One request in flight per peer, room for far more messages than bytes, batches never cut by size.
        client = new PeerClient(vertx, addresses, new PeerClient.Limits(1, 1000, MAX_QUEUED_BYTES, 1 << 20, 30_000));
    }

    @AfterEach
    void stop() throws Exception {
        onContext(() -> {
            client.close();
            return null;
        });
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private HoldingPeer peer(int id) throws Exception {
        HoldingPeer peer = new HoldingPeer();
        peer.server = vertx.createHttpServer().requestHandler(request -> request.body().onSuccess(body -> {
            peer.held.add(request);
            peer.batches.add(MessageCodec.decode(body.getBytes()));
        })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        addresses.put(id, "http://127.0.0.1:" + peer.server.actualPort());
        return peer;
    }

    /** PeerClient is owned by one event loop: every call to it, reads included, runs there. */
    private <T> T onContext(Supplier<T> action) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        context.runOnContext(v -> {
            try {
                result.complete(action.get());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return result.get(10, TimeUnit.SECONDS);
    }

    private long send(Message... messages) throws Exception {
        return onContext(() -> {
            client.send(SENDER, List.of(messages));
            return client.droppedMessages();
        });
    }

    private static Heartbeat heartbeat(int to, long commit) {
        return new Heartbeat(1, to, 1, commit, 0);
    }

    private static List<Long> commits(List<Message> messages) {
        List<Long> out = new ArrayList<>();
        for (Message m : messages) {
            out.add(((Heartbeat) m).commit());
        }
        return out;
    }

    // An unreachable or slow peer must not make the leader hold unbounded bytes for it: beyond the bound, drop.
    @Test
    void newMessagesAreDroppedOnceTheQueueHoldsMaxQueuedBytes() throws Exception {
        HoldingPeer peer = peer(2);
        assertEquals(0, send(heartbeat(2, 1)), "leaves at once and fills the window");
        await().atMost(DEADLINE).until(() -> peer.batches.size() == 1);

        // Five more while the window is full: three fit in 192 bytes, two do not.
        assertEquals(2, send(heartbeat(2, 2), heartbeat(2, 3), heartbeat(2, 4), heartbeat(2, 5), heartbeat(2, 6)));
        assertEquals(3, send(heartbeat(2, 7)), "still full");

        peer.releaseAll();
        await().atMost(DEADLINE).until(() -> peer.batches.size() == 2);
        assertEquals(List.of(1L), commits(peer.messagesOfBatch(0)));
        assertEquals(List.of(2L, 3L, 4L), commits(peer.messagesOfBatch(1)), "the queued ones left together, in order");
        assertEquals(SENDER, peer.batches.get(1).sender());

        // The queue emptied into the new request: the bound is on what is held, not on what was ever sent.
        assertEquals(3, send(heartbeat(2, 8), heartbeat(2, 9), heartbeat(2, 10)));
        assertEquals(4, send(heartbeat(2, 11)));
        peer.releaseAll();
        await().atMost(DEADLINE).until(() -> peer.batches.size() == 3);
        assertEquals(List.of(8L, 9L, 10L), commits(peer.messagesOfBatch(2)));
    }

    // A single append larger than the bound must still be able to leave, or a large entry could never replicate.
    @Test
    void aMessageLargerThanTheBoundIsQueuedWhenTheQueueIsEmpty() throws Exception {
        HoldingPeer peer = peer(2);
        send(heartbeat(2, 1));
        await().atMost(DEADLINE).until(() -> peer.batches.size() == 1);

        AppendEntries big = new AppendEntries(1, 2, 1, 0, 0, List.of(Entry.command(1, 1, new byte[1000])), 0);
        assertEquals(0, send(big), "empty queue: queued although above the bound");
        assertEquals(1, send(heartbeat(2, 2)), "the queue now holds more than the bound");

        peer.releaseAll();
        await().atMost(DEADLINE).until(() -> peer.batches.size() == 2);
        List<Message> second = peer.messagesOfBatch(1);
        assertEquals(1, second.size());
        assertEquals(1000, ((AppendEntries) second.get(0)).entries().get(0).payload().length);
    }

    // The bound is per peer: one stuck follower must not cost the others their messages.
    @Test
    void aFullQueueToOnePeerDoesNotDropMessagesToAnother() throws Exception {
        HoldingPeer two = peer(2);
        HoldingPeer three = peer(3);
        send(heartbeat(2, 1));
        await().atMost(DEADLINE).until(() -> two.batches.size() == 1);
        assertEquals(1, send(heartbeat(2, 2), heartbeat(2, 3), heartbeat(2, 4), heartbeat(2, 5)));

        // The drop counter is the client's total: it stays at 2's one drop.
        assertEquals(1, send(heartbeat(3, 1)), "3's window is free");
        await().atMost(DEADLINE).until(() -> three.batches.size() == 1);
        assertEquals(1, send(heartbeat(3, 2), heartbeat(3, 3)), "3's queue is empty although 2's is full");
        three.releaseAll();
        await().atMost(DEADLINE).until(() -> three.batches.size() == 2);
        assertEquals(List.of(2L, 3L), commits(three.messagesOfBatch(1)));
    }
}
