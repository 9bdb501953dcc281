package io.rafty.etcd;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrantResponse;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.etcd.jetcd.api.LeaseRevokeRequest;
import io.etcd.jetcd.api.LeaseRevokeResponse;
import io.etcd.jetcd.api.LeaseTimeToLiveRequest;
import io.etcd.jetcd.api.LeaseTimeToLiveResponse;
import io.etcd.jetcd.api.ResponseHeader;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.rafty.kv.Command;
import io.rafty.kv.KvResult;
import io.rafty.kv.KvStateMachine;
import io.rafty.kv.Lease;
import io.rafty.node.NodeDriver;
import io.rafty.node.NodeStatus;
import io.rafty.node.RaftVerticle;
import io.rafty.node.RequestFailure;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * etcd's Lease service over Rafty's leases (DESIGN §5): grants and revokes are log entries like the HTTP
 * API's; keepalives and the time a lease has left are the leader's, so a follower relays them to the
 * leader's HTTP API ({@code POST /v1/leases/{id}/keepalive}, {@code GET /v1/leases/{id}}) and answers in
 * etcd's shape. The keys of a lease are read from this node's applied state.
 *
 * <p>As etcd: a TTL below the minimum (one and a half election timeouts, rounded up to a second) is
 * raised to it, one above {@code maxTtlSeconds} is refused with "etcdserver: too large lease TTL"; a
 * keepalive for a lease that does not exist answers TTL 0, TimeToLive answers TTL -1, and Revoke fails
 * with NOT_FOUND "etcdserver: requested lease not found".
 *
 * <p>LeaseLeases ({@code etcdctl lease list}) is not in the protos of the generated stubs (jetcd-grpc
 * 0.8.6): {@link #withLeaseLeases} adds it to the generated methods with the hand-written messages of
 * {@link LeaseLeases}. It lists every lease after a read barrier, as the HTTP API's {@code GET /v1/leases}.
 */
public final class EtcdLeaseService extends LeaseGrpc.LeaseImplBase {

    static final String LEASE_NOT_FOUND = "etcdserver: requested lease not found";
    static final String LEASE_EXISTS = "etcdserver: lease already exists";
    static final String TTL_TOO_LARGE = "etcdserver: too large lease TTL";
    static final String TOO_MANY_REQUESTS = "etcdserver: too many requests";
    static final String NO_LEADER = "etcdserver: no leader";
    static final String TIMED_OUT = "etcdserver: request timed out";
    static final String STOPPED = "etcdserver: server stopped";
    /** The relay's marker, as the HTTP API's LeaderForwarder sets it: the leader never relays it again. */
    private static final String FORWARDED_HEADER = "x-rafty-forwarded";

    /**
     * @param maxLeases              leases the cluster holds at most (maxLeases)
     * @param maxTtlSeconds          the longest TTL a grant may ask for (maxLeaseTtlSeconds)
     * @param minTtlSeconds          the shortest TTL; shorter requests are raised to it
     * @param maxKeysListed          keys TimeToLive lists at most (maxListLimit)
     * @param maxKeepAlivesInFlight  keepalives one stream may have unanswered; more end the stream
     * @param relayTimeoutMs         how long a follower waits for the leader's answer to a relayed request
     * @param maxMessageBytes        the largest answer sent (etcdMaxMessageBytes); a longer lease list is refused
     */
    public record Settings(int maxLeases, long maxTtlSeconds, long minTtlSeconds, int maxKeysListed,
                           int maxKeepAlivesInFlight, int relayTimeoutMs, int maxMessageBytes) {
        public Settings {
            if (maxLeases < 1 || maxTtlSeconds < 1 || minTtlSeconds < 1 || maxKeysListed < 1
                    || maxKeepAlivesInFlight < 1 || relayTimeoutMs < 1 || maxMessageBytes < 1) {
                throw new IllegalArgumentException("lease settings must be positive");
            }
        }
    }

    private final Vertx vertx;
    private final RaftVerticle raft;
    private final KvStateMachine stateMachine;
    private final long memberId;
    private final Map<Integer, String> addresses;
    private final Settings settings;
    private final HttpClient relay;

    /**
     * @param addresses member id → base URL of its HTTP API, for relaying to the leader
     */
    public EtcdLeaseService(Vertx vertx, RaftVerticle raft, KvStateMachine stateMachine, long memberId,
                            Map<Integer, String> addresses, Settings settings) {
        this(vertx, raft, stateMachine, memberId, addresses, settings, io.rafty.security.NodeTls.NONE);
    }

    /** As the other constructor; the relay to the leader's client port goes over peer TLS when {@code tls} has it. */
    public EtcdLeaseService(Vertx vertx, RaftVerticle raft, KvStateMachine stateMachine, long memberId,
                            Map<Integer, String> addresses, Settings settings, io.rafty.security.NodeTls tls) {
        this.vertx = vertx;
        this.raft = raft;
        this.stateMachine = stateMachine;
        this.memberId = memberId;
        this.addresses = addresses;
        this.settings = settings;
        this.relay = vertx.createHttpClient(tls.peerClient(new HttpClientOptions().setKeepAlive(true)
                .setConnectTimeout(settings.relayTimeoutMs())));
    }

    /**
     * What to register: the generated Lease methods plus LeaseLeases, which the generated stubs lack (their
     * {@code bindService} is final, so this is a definition of its own).
     */
    public ServerServiceDefinition withLeaseLeases() {
        ServerServiceDefinition generated = super.bindService();
        ServiceDescriptor generatedDescriptor = generated.getServiceDescriptor();
        ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(generatedDescriptor.getName())
                .setSchemaDescriptor(generatedDescriptor.getSchemaDescriptor());
        generatedDescriptor.getMethods().forEach(descriptor::addMethod);
        descriptor.addMethod(LeaseLeases.METHOD);
        ServerServiceDefinition.Builder service = ServerServiceDefinition.builder(descriptor.build());
        generated.getMethods().forEach(service::addMethod);
        service.addMethod(LeaseLeases.METHOD, ServerCalls.asyncUnaryCall(this::leaseLeases));
        return service.build();
    }

    /** Every lease's id, as this node's state has them once a read barrier confirmed it is current. */
    void leaseLeases(com.google.protobuf.Empty request, StreamObserver<LeaseLeases.Response> responses) {
        raft.readBarrier().onComplete(ar -> {
            if (ar.failed()) {
                responses.onError(failure(ar.cause()));
                return;
            }
            LeaseLeases.Response answer = new LeaseLeases.Response(header(appliedIndex()),
                    stateMachine.leases().stream().map(Lease::id).toList());
            if (answer.serializedSize() > settings.maxMessageBytes()) {
                responses.onError(error(Status.RESOURCE_EXHAUSTED, "rafty: the lease list (" + answer.ids().size()
                        + " leases) is larger than etcdMaxMessageBytes"));
                return;
            }
            reply(responses, answer);
        });
    }

    @Override
    public void leaseGrant(LeaseGrantRequest request, StreamObserver<LeaseGrantResponse> responses) {
        if (request.getTTL() > settings.maxTtlSeconds()) {
            responses.onError(error(Status.OUT_OF_RANGE, TTL_TOO_LARGE));
            return;
        }
        if (request.getID() < 0) {
            responses.onError(error(Status.INVALID_ARGUMENT, "rafty: a lease ID is positive, or 0 to have one chosen"));
            return;
        }
        if (stateMachine.leaseCount() >= settings.maxLeases()) {
            responses.onError(error(Status.RESOURCE_EXHAUSTED, TOO_MANY_REQUESTS));
            return;
        }
        long ttl = Math.max(request.getTTL(), settings.minTtlSeconds());
        raft.propose(new Command.LeaseGrant(request.getID(), ttl)).onComplete(ar -> {
            if (ar.failed()) {
                responses.onError(failure(ar.cause()));
            } else if (ar.result() instanceof KvResult.LeaseGranted granted) {
                reply(responses, LeaseGrantResponse.newBuilder().setHeader(header(granted.index()))
                        .setID(granted.lease().id()).setTTL(granted.lease().ttlSeconds()).build());
            } else if (ar.result() instanceof KvResult.LeaseExists) {
                responses.onError(error(Status.FAILED_PRECONDITION, LEASE_EXISTS));
            } else {
                responses.onError(error(Status.INTERNAL, "rafty: a grant was answered with " + ar.result()));
            }
        });
    }

    @Override
    public void leaseRevoke(LeaseRevokeRequest request, StreamObserver<LeaseRevokeResponse> responses) {
        if (request.getID() <= 0) {
            responses.onError(error(Status.NOT_FOUND, LEASE_NOT_FOUND));
            return;
        }
        raft.propose(new Command.LeaseRevoke(request.getID())).onComplete(ar -> {
            if (ar.failed()) {
                responses.onError(failure(ar.cause()));
            } else if (ar.result() instanceof KvResult.LeaseRevoked revoked) {
                reply(responses, LeaseRevokeResponse.newBuilder().setHeader(header(revoked.index())).build());
            } else if (ar.result() instanceof KvResult.LeaseNotFound) {
                responses.onError(error(Status.NOT_FOUND, LEASE_NOT_FOUND));
            } else {
                responses.onError(error(Status.INTERNAL, "rafty: a revoke was answered with " + ar.result()));
            }
        });
    }

    @Override
    public StreamObserver<LeaseKeepAliveRequest> leaseKeepAlive(StreamObserver<LeaseKeepAliveResponse> responses) {
        Context context = Vertx.currentContext();
        ServerCallStreamObserver<LeaseKeepAliveResponse> out = (ServerCallStreamObserver<LeaseKeepAliveResponse>) responses;
        return new StreamObserver<>() {
            private int inFlight;
            private boolean ended;

            {
                out.setOnCancelHandler(() -> context.runOnContext(v -> ended = true));
            }

            @Override
            public void onNext(LeaseKeepAliveRequest request) {
                if (ended) {
                    return;
                }
                if (inFlight >= settings.maxKeepAlivesInFlight()) {
                    ended = true;
                    out.onError(error(Status.RESOURCE_EXHAUSTED, TOO_MANY_REQUESTS));
                    return;
                }
                inFlight++;
                long id = request.getID();
                keepAlive(id).onComplete(ar -> {
                    inFlight--;
                    if (ended) {
                        return;
                    }
                    if (ar.failed()) {
                        ended = true;
                        out.onError(failure(ar.cause()));
                        return;
                    }
                    // etcd answers a lease it does not know with TTL 0 (the client then drops it).
                    out.onNext(LeaseKeepAliveResponse.newBuilder().setHeader(header(appliedIndex())).setID(id)
                            .setTTL(ar.result()).build());
                });
            }

            @Override
            public void onError(Throwable t) {
                ended = true;
            }

            @Override
            public void onCompleted() {
                if (!ended) {
                    ended = true;
                    out.onCompleted();
                }
            }
        };
    }

    @Override
    public void leaseTimeToLive(LeaseTimeToLiveRequest request, StreamObserver<LeaseTimeToLiveResponse> responses) {
        long id = request.getID();
        remaining(id).onComplete(ar -> {
            if (ar.failed()) {
                responses.onError(failure(ar.cause()));
                return;
            }
            long[] ttl = ar.result();
            if (ttl == null) {
                // etcd: a lease it does not know has TTL -1, and no error.
                reply(responses, LeaseTimeToLiveResponse.newBuilder().setHeader(header(appliedIndex())).setID(id)
                        .setTTL(-1).build());
                return;
            }
            LeaseTimeToLiveResponse.Builder answer = LeaseTimeToLiveResponse.newBuilder().setHeader(header(appliedIndex()))
                    .setID(id).setTTL(ttl[1]).setGrantedTTL(ttl[0]);
            if (!request.getKeys()) {
                reply(responses, answer.build());
                return;
            }
            vertx.executeBlocking(() -> stateMachine.leaseKeys(id, settings.maxKeysListed()), false).onComplete(keys -> {
                if (keys.failed()) {
                    responses.onError(error(Status.INTERNAL, "rafty: reading the lease's keys failed"));
                    return;
                }
                for (byte[] key : keys.result()) {
                    answer.addKeys(ByteString.copyFrom(key));
                }
                reply(responses, answer.build());
            });
        });
    }

    // ----- the leader's side, here or relayed ------------------------------------------------------

    /** Renews lease {@code id}: its TTL, or 0 when there is no such lease. */
    private Future<Long> keepAlive(long id) {
        return raft.keepAlive(id).map(found -> found.lease() == null ? 0L : found.lease().ttlSeconds())
                .recover(cause -> {
                    int leader = leaderToRelayTo(cause);
                    if (leader == 0) {
                        return Future.failedFuture(cause);
                    }
                    return relayed(leader, HttpMethod.POST, "/v1/leases/" + id + "/keepalive")
                            .map(json -> json == null ? 0L : json.getLong("ttl"));
                });
    }

    /** Lease {@code id}'s granted TTL and the seconds it has left, or null when there is no such lease. */
    private Future<long[]> remaining(long id) {
        return raft.leaseInfo(id).map(EtcdLeaseService::remaining).recover(cause -> {
            int leader = leaderToRelayTo(cause);
            if (leader == 0) {
                return Future.failedFuture(cause);
            }
            return relayed(leader, HttpMethod.GET, "/v1/leases/" + id)
                    .map(json -> json == null ? null : new long[] {json.getLong("ttl"), json.getLong("remaining")});
        });
    }

    private static long[] remaining(NodeDriver.LeaseInfo info) {
        Lease lease = info.lease();
        if (lease == null) {
            return null;
        }
        long seconds = info.remainingNanos() < 0 ? lease.ttlSeconds() : info.remainingNanos() / 1_000_000_000L;
        return new long[] {lease.ttlSeconds(), seconds};
    }

    /** The leader a refused request goes to, or 0 when it is not a refusal that a relay answers. */
    private int leaderToRelayTo(Throwable cause) {
        if (cause instanceof RequestFailure failure && failure.kind() == RequestFailure.Kind.NO_LEADER
                && failure.leaderId() != 0 && failure.leaderId() != memberId
                && addresses.get(failure.leaderId()) != null) {
            return failure.leaderId();
        }
        return 0;
    }

    /** The leader's JSON answer; null for its 404 (no such lease); a failed future for anything else. */
    private Future<JsonObject> relayed(int leader, HttpMethod method, String path) {
        RequestOptions options = new RequestOptions().setAbsoluteURI(addresses.get(leader) + path).setMethod(method)
                .setTimeout(settings.relayTimeoutMs()).putHeader(FORWARDED_HEADER, "1");
        return relay.request(options).compose(request -> request.send()).compose(response -> response.body()
                .compose(body -> {
                    if (response.statusCode() == 200) {
                        return Future.succeededFuture(body.toJsonObject());
                    }
                    if (response.statusCode() == 404) {
                        return Future.succeededFuture(null);
                    }
                    return Future.failedFuture(RequestFailure.noLeader("the leader answered "
                            + response.statusCode(), 0));
                }))
                .recover(cause -> cause instanceof RequestFailure ? Future.failedFuture(cause)
                        : Future.failedFuture(RequestFailure.outcomeUnknown("relay to the leader failed: "
                                + cause.getMessage())));
    }

    // ----- answers ------------------------------------------------------------------------------

    private ResponseHeader header(long revision) {
        NodeStatus status = raft.status();
        return ResponseHeader.newBuilder().setClusterId(status == null ? 0 : status.clusterId())
                .setMemberId(memberId).setRevision(revision).setRaftTerm(status == null ? 0 : status.term()).build();
    }

    private long appliedIndex() {
        NodeStatus status = raft.status();
        return status == null ? 0 : status.appliedIndex();
    }

    private static <T> void reply(StreamObserver<T> responses, T response) {
        responses.onNext(response);
        responses.onCompleted();
    }

    static StatusRuntimeException error(Status status, String message) {
        return status.withDescription(message).asRuntimeException();
    }

    /** A failure from the Raft side as etcd's gRPC error. */
    static StatusRuntimeException failure(Throwable cause) {
        if (cause instanceof RequestFailure failure) {
            return switch (failure.kind()) {
                case NO_LEADER -> error(Status.UNAVAILABLE, NO_LEADER);
                case OVERLOADED -> error(Status.RESOURCE_EXHAUSTED, TOO_MANY_REQUESTS);
                case OUTCOME_UNKNOWN -> error(Status.UNAVAILABLE, TIMED_OUT);
                case UNAVAILABLE -> error(Status.UNAVAILABLE, STOPPED);
            };
        }
        return error(Status.INTERNAL, "rafty: " + cause.getMessage());
    }
}
