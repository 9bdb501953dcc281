package io.rafty.etcd;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.ResponseHeader;
import io.etcd.jetcd.api.WatchCancelRequest;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.rafty.kv.KeySelector;
import io.rafty.kv.KvEntry;
import io.rafty.kv.RevisionUnavailableException;
import io.rafty.node.NodeStatus;
import io.rafty.node.RaftVerticle;
import io.rafty.node.RequestFailure;
import io.rafty.node.WatchHub;
import io.rafty.node.WatchMessage;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * etcd's Watch service (a bidirectional stream of many watches) over the node's own watch machinery: one
 * {@link WatchHub} watcher per etcd watch, so catch-up from history, the watcher limits, the slow-watcher
 * cancellation and compaction behave as for the HTTP watch streams (DESIGN §5).
 *
 * <p>What maps onto what: an etcd key range becomes the narrowest key or prefix the hub can watch (the
 * common prefix of key and range_end for a general range), and the events outside the range are dropped
 * here, as are the ones a NOPUT or NODELETE filter excludes. start_revision 0 watches from now (after a
 * read barrier when a leader answers, so the stream covers every write acknowledged before it); a positive
 * one replays the history from that revision. Revisions are Rafty's, the Raft log indexes.
 *
 * <p>Threading: every call of a stream's request observer, and every write to its response observer, runs
 * on the context the stream was opened on; the hub's callbacks hop onto it. The stream reports itself
 * congested to the hub while gRPC's outbound buffer is not ready, so a reader that does not keep up is
 * queued by the hub up to {@code maxWatcherQueueBytes} and then cancelled, never buffered here.
 */
public final class EtcdWatchService extends WatchGrpc.WatchImplBase {

    /** etcd's watch id for "no watch": the id of a refused create, and of a stream-wide progress response. */
    static final long INVALID_WATCH_ID = -1;
    static final String COMPACTED = "etcdserver: mvcc: required revision has been compacted";
    static final String EMPTY_RANGE = "mvcc: watcher range is empty";
    static final String DUPLICATE_ID = "mvcc: duplicate watch ID provided on the WatchStream";
    static final String SERVER_STOPPED = "etcdserver: server stopped";
    /** WatchCreateRequest.watch_id's field number in etcd's rpc.proto. */
    static final int WATCH_ID_FIELD = 7;
    /** Requests of one stream waiting behind the one being handled; a client that sends more is cut off. */
    static final int MAX_QUEUED_REQUESTS = 1024;

    /**
     * @param progressIntervalMs how often a watch created with progress_notify gets a progress response while
     *                           idle (etcd's --experimental-watch-progress-notify-interval); at least 1
     */
    public record Settings(int progressIntervalMs) {
        public Settings {
            if (progressIntervalMs < 1) {
                throw new IllegalArgumentException("progressIntervalMs must be positive, was " + progressIntervalMs);
            }
        }
    }

    private final RaftVerticle raft;
    private final long memberId;
    private final long progressNanos;

    public EtcdWatchService(RaftVerticle raft, long memberId, Settings settings) {
        this.raft = raft;
        this.memberId = memberId;
        this.progressNanos = TimeUnit.MILLISECONDS.toNanos(settings.progressIntervalMs());
    }

    @Override
    public StreamObserver<WatchRequest> watch(StreamObserver<WatchResponse> responses) {
        Context context = Vertx.currentContext();
        if (context == null) {
            throw new IllegalStateException("the etcd watch service runs on a Vert.x context");
        }
        return new Stream((ServerCallStreamObserver<WatchResponse>) responses, context);
    }

    private ResponseHeader header(long revision) {
        NodeStatus status = raft.status();
        return ResponseHeader.newBuilder().setClusterId(status == null ? 0 : status.clusterId())
                .setMemberId(memberId).setRevision(revision).setRaftTerm(status == null ? 0 : status.term()).build();
    }

    private long appliedIndex() {
        NodeStatus status = raft.status();
        return status == null ? 0 : status.appliedIndex();
    }

    /** One gRPC Watch call: the etcd watches it holds, by etcd watch id. */
    private final class Stream implements StreamObserver<WatchRequest> {
        private final ServerCallStreamObserver<WatchResponse> out;
        private final Context context;
        private final Map<Long, OneWatch> watches = new LinkedHashMap<>();
        private final ArrayDeque<WatchRequest> backlog = new ArrayDeque<>();
        private long nextId;
        private boolean closed;
        private boolean busy;
        private boolean draining;
        /** Read by the hub on the Raft context. */
        private volatile boolean congested;
        /** What the stream's token allows, as the gate found it when the call started (null: refuse). */
        private final EtcdAuth.Grant grant = EtcdAuth.GRANT.get();

        Stream(ServerCallStreamObserver<WatchResponse> out, Context context) {
            this.out = out;
            this.context = context;
            out.setOnCancelHandler(() -> context.runOnContext(v -> release()));
            out.setOnReadyHandler(() -> context.runOnContext(v -> writable()));
        }

        @Override
        public void onNext(WatchRequest request) {
            if (closed) {
                return;
            }
            if (backlog.size() >= MAX_QUEUED_REQUESTS) {
                release();
                out.onError(Status.RESOURCE_EXHAUSTED.withDescription("etcdserver: too many requests")
                        .asRuntimeException());
                return;
            }
            backlog.add(request);
            drain();
        }

        /**
         * Requests are handled one after the other, as etcd's receive loop does: a create that waits for a read
         * barrier or the node holds back the requests behind it, so responses come in the order asked.
         */
        private void drain() {
            while (!busy && !closed && !backlog.isEmpty()) {
                WatchRequest request = backlog.poll();
                busy = true;
                switch (request.getRequestUnionCase()) {
                    case CREATE_REQUEST -> create(request.getCreateRequest());
                    case CANCEL_REQUEST -> cancel(request.getCancelRequest());
                    case PROGRESS_REQUEST -> progress();
                    // etcd ignores a request of no known kind rather than end the stream.
                    case REQUESTUNION_NOT_SET -> done();
                    default -> done();
                }
            }
        }

        /** The request being handled is answered; the next may start. */
        private void done() {
            busy = false;
            if (!draining) {
                draining = true;
                try {
                    drain();
                } finally {
                    draining = false;
                }
            }
        }

        @Override
        public void onError(Throwable t) {
            release();
        }

        @Override
        public void onCompleted() {
            // The client will send nothing more; with no way to create or cancel watches the stream ends.
            release();
            out.onCompleted();
        }

        private void create(WatchCreateRequest create) {
            try {
                if (grant == null) {
                    throw EtcdAuth.denied();
                }
                EtcdAuth.requireRead(grant, EtcdAuth.keys(create.getKey().toByteArray(), create.getRangeEnd().toByteArray()));
            } catch (io.grpc.StatusRuntimeException denied) {
                refuse(EtcdAuth.PERMISSION_DENIED);
                done();
                return;
            }
            byte[] key = create.getKey().toByteArray();
            if (key.length == 0) {
                key = new byte[] {0}; // as etcd: the empty key is "\0", the smallest key
            }
            byte[] rangeEnd = create.getRangeEnd().toByteArray();
            if (create.getStartRevision() < 0) {
                refuse(COMPACTED);
                done();
                return;
            }
            KeyRange range = KeyRange.of(key, rangeEnd);
            if (range == null) {
                refuse(EMPTY_RANGE);
                done();
                return;
            }
            long id = clientWatchId(create);
            if (id == 0) {
                while (watches.containsKey(nextId)) {
                    nextId++;
                }
                id = nextId++;
            } else if (watches.containsKey(id)) {
                refuse(DUPLICATE_ID);
                done();
                return;
            }
            boolean noPut = false;
            boolean noDelete = false;
            for (WatchCreateRequest.FilterType filter : create.getFiltersList()) {
                noPut |= filter == WatchCreateRequest.FilterType.NOPUT;
                noDelete |= filter == WatchCreateRequest.FilterType.NODELETE;
            }
            OneWatch watch = new OneWatch(this, id, range, noPut, noDelete);
            watches.put(id, watch);
            io.rafty.node.WatchRequest.Start start = create.getStartRevision() == 0
                    ? io.rafty.node.WatchRequest.Start.now()
                    : io.rafty.node.WatchRequest.Start.from(create.getStartRevision());
            io.rafty.node.WatchRequest request = new io.rafty.node.WatchRequest(range.selector(), start,
                    create.getPrevKv(), create.getProgressNotify() ? progressNanos : 0);
            if (start.kind() == io.rafty.node.WatchRequest.Start.Kind.NOW) {
                // etcd watches from the member's own revision; a barrier first also covers every write a
                // leader acknowledged before the request. Without a leader the watch still starts, as etcd's.
                raft.readBarrier().onComplete(ar -> register(watch, request));
            } else {
                register(watch, request);
            }
        }

        private void register(OneWatch watch, io.rafty.node.WatchRequest request) {
            if (watch.cancelled) {
                done();
                return;
            }
            raft.watch(request, watch).onComplete(ar -> {
                // The created response (or the refusal below) is on its way: the next request may start.
                done();
                if (ar.succeeded()) {
                    watch.nodeId = ar.result();
                    if (watch.cancelled) {
                        raft.cancelWatch(watch.nodeId);
                    }
                    return;
                }
                watches.remove(watch.etcdId);
                if (watch.cancelled) {
                    return;
                }
                watch.cancelled = true;
                if (ar.cause() instanceof RevisionUnavailableException unavailable) {
                    // etcd creates the watch, then cancels it with the compact revision (so a client can resume).
                    send(WatchResponse.newBuilder().setHeader(header(appliedIndex())).setWatchId(watch.etcdId)
                            .setCreated(true).build());
                    send(compactedResponse(watch.etcdId, unavailable.compactRevision()));
                } else if (ar.cause() instanceof RequestFailure failure) {
                    refuse(failure.kind() == RequestFailure.Kind.OVERLOADED ? "etcdserver: too many requests"
                            : SERVER_STOPPED);
                } else {
                    refuse(SERVER_STOPPED);
                }
            });
        }

        private WatchResponse compactedResponse(long watchId, long compactRevision) {
            return WatchResponse.newBuilder().setHeader(header(appliedIndex())).setWatchId(watchId).setCanceled(true)
                    .setCompactRevision(compactRevision).setCancelReason(COMPACTED).build();
        }

        /** A create etcd refuses: created and cancelled at once, with watch id -1 and the reason. */
        private void refuse(String reason) {
            send(WatchResponse.newBuilder().setHeader(header(appliedIndex())).setWatchId(INVALID_WATCH_ID)
                    .setCreated(true).setCanceled(true).setCancelReason(reason).build());
        }

        private void cancel(WatchCancelRequest request) {
            OneWatch watch = watches.remove(request.getWatchId());
            if (watch == null) {
                done();
                return; // as etcd: cancelling an unknown watch is answered with nothing
            }
            watch.cancelled = true;
            if (watch.nodeId >= 0) {
                raft.cancelWatch(watch.nodeId);
            }
            send(WatchResponse.newBuilder().setHeader(header(appliedIndex())).setWatchId(watch.etcdId)
                    .setCanceled(true).build());
            done();
        }

        /**
         * A WatchProgressRequest: one response with watch id -1 and the revision every watch of the stream is
         * complete through, when they all are (as etcd's RequestProgressAll); nothing while one is catching up
         * or has messages queued, or when the stream holds no watch.
         */
        private void progress() {
            if (watches.isEmpty()) {
                done();
                return;
            }
            List<Long> ids = new ArrayList<>(watches.size());
            for (OneWatch watch : watches.values()) {
                if (watch.nodeId < 0) {
                    done();
                    return; // still being registered: not synced
                }
                ids.add(watch.nodeId);
            }
            raft.watchesSyncedThrough(ids).onComplete(ar -> {
                if (ar.succeeded() && ar.result() >= 0) {
                    send(WatchResponse.newBuilder().setHeader(header(ar.result())).setWatchId(INVALID_WATCH_ID).build());
                }
                done();
            });
        }

        void send(WatchResponse response) {
            if (closed) {
                return;
            }
            out.onNext(response);
            if (!congested && !out.isReady()) {
                congested = true;
            }
        }

        private void writable() {
            if (closed || !out.isReady()) {
                return;
            }
            congested = false;
            for (OneWatch watch : watches.values()) {
                if (watch.nodeId >= 0) {
                    raft.watchWritable(watch.nodeId);
                }
            }
        }

        /** The node ended a watch. */
        void ended(OneWatch watch, WatchMessage.Cancelled cancelled) {
            if (closed || watch.cancelled) {
                return;
            }
            watch.cancelled = true;
            watches.remove(watch.etcdId);
            switch (cancelled.reason()) {
                case COMPACTED -> send(compactedResponse(watch.etcdId, cancelled.compactRevision()));
                case SLOW_WATCHER -> send(WatchResponse.newBuilder().setHeader(header(cancelled.revision()))
                        .setWatchId(watch.etcdId).setCanceled(true).setCancelReason("rafty: slow watcher: the client"
                                + " fell too far behind (maxWatcherQueueBytes); resume after revision "
                                + cancelled.revision()).build());
                case SHUTDOWN, UNAVAILABLE -> {
                    // The whole node stops serving: end the call, so the client reconnects elsewhere and resumes.
                    release();
                    out.onError(Status.UNAVAILABLE.withDescription(SERVER_STOPPED).asRuntimeException());
                }
            }
        }

        /** The call ended: every watch of it is released. */
        private void release() {
            if (closed) {
                return;
            }
            closed = true;
            for (OneWatch watch : watches.values()) {
                watch.cancelled = true;
                if (watch.nodeId >= 0) {
                    raft.cancelWatch(watch.nodeId);
                }
            }
            watches.clear();
        }
    }

    /** One etcd watch: a subscriber of the node's hub whose messages become watch responses. */
    private final class OneWatch implements WatchHub.Subscriber {
        final Stream stream;
        final long etcdId;
        final KeyRange range;
        final boolean noPut;
        final boolean noDelete;
        long nodeId = -1;
        boolean cancelled;

        OneWatch(Stream stream, long etcdId, KeyRange range, boolean noPut, boolean noDelete) {
            this.stream = stream;
            this.etcdId = etcdId;
            this.range = range;
            this.noPut = noPut;
            this.noDelete = noDelete;
        }

        @Override
        public void send(List<WatchMessage> messages) {
            stream.context.runOnContext(v -> deliver(messages));
        }

        @Override
        public boolean congested() {
            return stream.congested;
        }

        @Override
        public void end(WatchMessage.Cancelled cancelled) {
            stream.context.runOnContext(v -> stream.ended(this, cancelled));
        }

        private void deliver(List<WatchMessage> messages) {
            if (cancelled || stream.closed) {
                return;
            }
            for (WatchMessage message : messages) {
                switch (message.kind()) {
                    case CREATED -> stream.send(WatchResponse.newBuilder()
                            .setHeader(header(Math.max(message.revision(), appliedIndex())))
                            .setWatchId(etcdId).setCreated(true).build());
                    case PROGRESS -> stream.send(WatchResponse.newBuilder().setHeader(header(message.revision()))
                            .setWatchId(etcdId).build());
                    case CHANGE -> change((WatchMessage.Change) message);
                    case CANCELLED -> stream.ended(this, (WatchMessage.Cancelled) message);
                }
            }
        }

        /** The events of one revision in one response, those outside the range or filtered out left out. */
        private void change(WatchMessage.Change change) {
            WatchResponse.Builder response = null;
            for (io.rafty.kv.Event event : change.events()) {
                boolean put = event.type() == io.rafty.kv.Event.Type.PUT;
                if ((put && noPut) || (!put && noDelete) || !range.contains(event.key())) {
                    continue;
                }
                if (response == null) {
                    response = WatchResponse.newBuilder().setHeader(header(change.revision())).setWatchId(etcdId);
                }
                response.addEvents(event(event));
            }
            if (response != null) {
                stream.send(response.build());
            }
        }
    }

    /**
     * The watch_id a client chose (field 7 of WatchCreateRequest, etcd 3.4+), 0 for none. The generated
     * messages are of an older protocol without the field, so it is read from the unknown fields protobuf keeps.
     */
    static long clientWatchId(WatchCreateRequest create) {
        com.google.protobuf.UnknownFieldSet.Field field = create.getUnknownFields().getField(WATCH_ID_FIELD);
        List<Long> values = field.getVarintList();
        return values.isEmpty() ? 0 : values.get(values.size() - 1);
    }

    static Event event(io.rafty.kv.Event event) {
        Event.Builder out = Event.newBuilder();
        if (event.type() == io.rafty.kv.Event.Type.PUT) {
            out.setType(Event.EventType.PUT).setKv(keyValue(event.entry()));
        } else {
            out.setType(Event.EventType.DELETE).setKv(KeyValue.newBuilder()
                    .setKey(ByteString.copyFrom(event.key())).setModRevision(event.revision()));
        }
        if (event.prev() != null) {
            out.setPrevKv(keyValue(event.prev()));
        }
        return out.build();
    }

    static KeyValue keyValue(KvEntry entry) {
        return KeyValue.newBuilder().setKey(ByteString.copyFrom(entry.key())).setValue(ByteString.copyFrom(entry.value()))
                .setCreateRevision(entry.createRevision()).setModRevision(entry.revision())
                .setVersion(entry.version()).setLease(entry.lease()).build();
    }

    /**
     * An etcd key range, and the key or prefix the hub watches for it.
     *
     * @param low  the first key of the range
     * @param high the first key past it, null for every key from {@code low} on, or for a single key
     */
    record KeyRange(KeySelector selector, byte[] low, byte[] high, boolean single) {

        /**
         * etcd's conventions: an empty range_end is the single key, "\0" every key from {@code key} on, and any
         * other range_end the keys from key up to it; null when that range holds no key.
         */
        static KeyRange of(byte[] key, byte[] rangeEnd) {
            if (rangeEnd.length == 0) {
                return new KeyRange(KeySelector.key(key), key, null, true);
            }
            if (rangeEnd.length == 1 && rangeEnd[0] == 0) {
                return new KeyRange(KeySelector.prefix(new byte[0]), key, null, false);
            }
            if (Arrays.compareUnsigned(key, rangeEnd) >= 0) {
                return null;
            }
            if (Arrays.equals(prefixEnd(key), rangeEnd)) {
                return new KeyRange(KeySelector.prefix(key), key, rangeEnd, false);
            }
            int common = 0;
            while (common < key.length && common < rangeEnd.length && key[common] == rangeEnd[common]) {
                common++;
            }
            return new KeyRange(KeySelector.prefix(Arrays.copyOf(key, common)), key, rangeEnd, false);
        }

        boolean contains(byte[] key) {
            if (single) {
                return Arrays.equals(key, low);
            }
            return Arrays.compareUnsigned(key, low) >= 0 && (high == null || Arrays.compareUnsigned(key, high) < 0);
        }

        /** The first key past every key that starts with {@code prefix} (etcd's GetPrefixRangeEnd); "\0" for all. */
        static byte[] prefixEnd(byte[] prefix) {
            byte[] end = prefix.clone();
            for (int i = end.length - 1; i >= 0; i--) {
                if ((end[i] & 0xff) < 0xff) {
                    end[i]++;
                    return Arrays.copyOf(end, i + 1);
                }
            }
            return new byte[] {0};
        }
    }
}
