package io.rafty.etcd;

import io.etcd.jetcd.api.ClusterGrpc;
import io.etcd.jetcd.api.MemberAddRequest;
import io.etcd.jetcd.api.MemberAddResponse;
import io.etcd.jetcd.api.MemberListRequest;
import io.etcd.jetcd.api.MemberListResponse;
import io.etcd.jetcd.api.MemberPromoteRequest;
import io.etcd.jetcd.api.MemberPromoteResponse;
import io.etcd.jetcd.api.MemberRemoveRequest;
import io.etcd.jetcd.api.MemberRemoveResponse;
import io.etcd.jetcd.api.MemberUpdateRequest;
import io.etcd.jetcd.api.MemberUpdateResponse;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.rafty.node.NodeStatus;
import io.rafty.node.RequestFailure;
import io.rafty.raft.Membership;
import io.rafty.raft.MembershipChangeException;
import io.rafty.raft.PeerProgress;
import io.vertx.core.Future;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

/**
 * etcd's Cluster service over Rafty's membership changes (the same ones as the HTTP admin API): MemberList,
 * MemberAdd, MemberRemove and MemberPromote; how etcd's model maps onto Rafty's is in {@link EtcdMembers}.
 * A change is made on the leader and answered once its configuration entry is applied there. A follower
 * checks the request against its own view of the configuration (so etcd's errors come from it too), then
 * relays it to the leader's HTTP admin API ({@code POST /v1/cluster/members}, {@code DELETE
 * /v1/cluster/members/{id}}, {@code POST /v1/cluster/members/{id}/promote}) and answers in etcd's shape.
 * MemberUpdate (a new peer URL for a member) is UNIMPLEMENTED: Rafty cannot change a member's address.
 *
 * <p>Member ids are Rafty's node ids (1, 2, 3…); a member's peer URL is its HTTP address; its client URL is
 * known only for this node (its own etcd endpoint), since members do not tell each other their etcd ports.
 */
final class EtcdClusterService extends ClusterGrpc.ClusterImplBase {

    /** The relay's marker, as the HTTP API's LeaderForwarder sets it: the leader never relays it again. */
    private static final String FORWARDED_HEADER = "x-rafty-forwarded";
    private static final String MEMBERS_PATH = "/v1/cluster/members";

    private final EtcdNode node;
    private final EtcdHeaders headers;
    private final HttpClient relay;
    private final int relayTimeoutMs;

    EtcdClusterService(EtcdNode node) {
        this.node = node;
        this.headers = node.headers();
        // The leader answers a change within its request timeout (504 after it); the relay waits a little longer
        // so that answer, not the relay's own timeout, reaches the client.
        this.relayTimeoutMs = node.config().clientRequestTimeoutMs() + node.config().peerRequestTimeoutMs();
        // The relay reaches the leader's client port, as a peer: over peer TLS when the node has it.
        this.relay = node.vertx().createHttpClient(io.rafty.security.NodeTls.of(node.config()).peerClient(
                new HttpClientOptions().setKeepAlive(true).setConnectTimeout(node.config().peerRequestTimeoutMs())));
    }

    @Override
    public void memberList(MemberListRequest request, StreamObserver<MemberListResponse> observer) {
        Calls.unary("MemberList", observer, () -> {
            MemberListResponse.Builder response = MemberListResponse.newBuilder().setHeader(headers.current());
            members(view()).forEach(member -> response.addMembers(toMember(member)));
            return Future.succeededFuture(response.build());
        });
    }

    @Override
    public void memberAdd(MemberAddRequest request, StreamObserver<MemberAddResponse> observer) {
        Calls.unary("MemberAdd", observer, () -> {
            String peerUrl = EtcdMembers.peerUrl(request.getPeerURLsList());
            boolean learner = request.getIsLearner();
            UnaryOperator<Membership> add = EtcdMembers.add(peerUrl, learner, node.addresses());
            Membership view = view();
            // The id the relay asks the leader for; on the leader the change picks it from the configuration then.
            int relayedId = EtcdMembers.nextId(view, node.addresses().keySet());
            JsonObject body = new JsonObject().put("id", relayedId).put("address", peerUrl).put("learner", learner);
            return change(add, HttpMethod.POST, MEMBERS_PATH, body).compose(after -> {
                int id = EtcdMembers.idAt(after, peerUrl);
                EtcdMembers.View added = after.stream().filter(m -> m.id() == id).findFirst().orElse(null);
                if (added == null) {
                    return Future.failedFuture(EtcdErrors.refused("the member was added but is no longer listed"));
                }
                MemberAddResponse.Builder response = MemberAddResponse.newBuilder().setHeader(headers.current())
                        .setMember(io.etcd.jetcd.api.Member.newBuilder().setID(id).addPeerURLs(peerUrl)
                                .setIsLearner(added.learner()));
                after.forEach(member -> response.addMembers(toMember(member)));
                return Future.succeededFuture(response.build());
            });
        });
    }

    @Override
    public void memberRemove(MemberRemoveRequest request, StreamObserver<MemberRemoveResponse> observer) {
        Calls.unary("MemberRemove", observer, () -> change(EtcdMembers.remove(request.getID()), HttpMethod.DELETE,
                MEMBERS_PATH + "/" + EtcdMembers.memberId(request.getID()), null).map(after -> {
                    MemberRemoveResponse.Builder response = MemberRemoveResponse.newBuilder().setHeader(headers.current());
                    after.forEach(member -> response.addMembers(toMember(member)));
                    return response.build();
                }));
    }

    @Override
    public void memberPromote(MemberPromoteRequest request, StreamObserver<MemberPromoteResponse> observer) {
        Calls.unary("MemberPromote", observer, () -> {
            int id = EtcdMembers.memberId(request.getID());
            // The leader knows how far behind the learner is (a follower's progress list is empty; the leader's
            // HTTP API checks it when the promotion is relayed).
            return node.raft().progress().compose(progress -> {
                if (isBehind(progress, id)) {
                    return Future.failedFuture(EtcdErrors.LEARNER_NOT_READY);
                }
                return change(EtcdMembers.promote(request.getID()), HttpMethod.POST,
                        MEMBERS_PATH + "/" + id + "/promote", new JsonObject());
            }).map(after -> {
                MemberPromoteResponse.Builder response = MemberPromoteResponse.newBuilder().setHeader(headers.current());
                after.forEach(member -> response.addMembers(toMember(member)));
                return response.build();
            });
        });
    }

    @Override
    public void memberUpdate(MemberUpdateRequest request, StreamObserver<MemberUpdateResponse> observer) {
        observer.onError(EtcdErrors.unimplemented("MemberUpdate is not served: a Rafty member keeps the address it "
                + "was added with; remove it and add it again at the new address"));
    }

    // ----- making a change, here or at the leader ------------------------------------------------

    /**
     * Checks {@code change} against this node's view (throwing etcd's error), then makes it here when this
     * node leads, or relays {@code method path body} to the leader's HTTP admin API.
     */
    private Future<List<EtcdMembers.View>> change(UnaryOperator<Membership> change, HttpMethod method, String path,
                                                  JsonObject body) {
        change.apply(view());
        return node.raft().changeMembership(change).map(after -> EtcdMembers.views(after, node.addresses()))
                .recover(cause -> {
                    int leader = leaderToRelayTo(cause);
                    if (leader == 0) {
                        return Future.failedFuture(asEtcdError(cause));
                    }
                    return relayed(leader, method, path, body);
                });
    }

    /** Whether learner {@code id} is too far behind the leader to be promoted (as the HTTP API judges it). */
    private boolean isBehind(List<PeerProgress> progress, int id) {
        long leaderLast = node.raft().status().lastLogIndex();
        for (PeerProgress peer : progress) {
            if (peer.id() == id && !peer.voter()) {
                return peer.matchIndex() == 0 || !peer.replicating()
                        || leaderLast - peer.matchIndex() > node.config().learnerPromotionLagEntries();
            }
        }
        return false;
    }

    /** The leader a refused change goes to, or 0 when it is not a refusal that a relay answers. */
    private int leaderToRelayTo(Throwable cause) {
        if (cause instanceof RequestFailure failure && failure.kind() == RequestFailure.Kind.NO_LEADER
                && failure.leaderId() != 0 && failure.leaderId() != node.config().id()
                && addressOf(failure.leaderId()) != null) {
            return failure.leaderId();
        }
        return 0;
    }

    /** The leader's answer to the relayed change: its member list, or its refusal as etcd's error. */
    private Future<List<EtcdMembers.View>> relayed(int leader, HttpMethod method, String path, JsonObject body) {
        RequestOptions options = new RequestOptions().setAbsoluteURI(addressOf(leader) + path).setMethod(method)
                .setTimeout(relayTimeoutMs).putHeader(FORWARDED_HEADER, "1");
        if (body != null) {
            options.putHeader("content-type", "application/json");
        }
        return relay.request(options)
                .compose(request -> body == null ? request.send() : request.send(body.toBuffer()))
                .compose(response -> response.body().compose(answer -> {
                    JsonObject json;
                    try {
                        json = answer.toJsonObject();
                    } catch (RuntimeException e) {
                        json = new JsonObject();
                    }
                    if (response.statusCode() == 200) {
                        return Future.succeededFuture(viewsOf(json));
                    }
                    return Future.failedFuture(fromLeader(response.statusCode(), json));
                }))
                .recover(cause -> cause instanceof StatusRuntimeException ? Future.failedFuture(cause)
                        : Future.failedFuture(EtcdErrors.of(RequestFailure.outcomeUnknown(
                                "relay to the leader failed: " + cause.getMessage()))));
    }

    /** The leader's HTTP members list as etcd's members; "started" as this node's view says. */
    private List<EtcdMembers.View> viewsOf(JsonObject answer) {
        Membership view = view();
        List<EtcdMembers.View> members = new ArrayList<>();
        JsonArray listed = answer.getJsonArray("members", new JsonArray());
        for (int i = 0; i < listed.size(); i++) {
            JsonObject member = listed.getJsonObject(i);
            int id = member.getInteger("id");
            members.add(new EtcdMembers.View(id, member.getString("address"), !member.getBoolean("voter", false),
                    EtcdMembers.started(view, id)));
        }
        return members;
    }

    /** The leader's HTTP refusal (DESIGN §4 error codes) as the etcd error it stands for. */
    static StatusRuntimeException fromLeader(int status, JsonObject answer) {
        String code = answer.getString("error", "");
        String message = answer.getString("message", "the leader answered " + status);
        switch (code) {
            case "member_not_found":
                return EtcdErrors.MEMBER_NOT_FOUND;
            case "learner_not_ready":
                return EtcdErrors.LEARNER_NOT_READY;
            case "member_exists":
                return EtcdErrors.MEMBER_EXIST;
            case "no_leader":
                return EtcdErrors.NO_LEADER;
            case "overloaded":
                return EtcdErrors.TOO_MANY_REQUESTS;
            case "unavailable":
                return EtcdErrors.STOPPED;
            case "outcome_unknown":
                return EtcdErrors.TIMEOUT;
            case "change_in_progress":
            case "invalid_change":
                return EtcdErrors.refused(message);
            default:
                if (status == 400) {
                    return EtcdErrors.unsupported(message);
                }
                // Anything else (a 500, say): whether the change was made is not known here.
                return EtcdErrors.TIMEOUT;
        }
    }

    /** What the change's failure means for an etcd client. */
    private static StatusRuntimeException asEtcdError(Throwable cause) {
        if (cause instanceof MembershipChangeException refused) {
            return EtcdErrors.refused(refused.getMessage());
        }
        if (cause instanceof IllegalArgumentException bad) {
            return EtcdErrors.unsupported(bad.getMessage());
        }
        return EtcdErrors.of(cause);
    }

    // ----- the configuration as etcd clients see it ----------------------------------------------

    /** This node's view of the configuration (the one it was started with until it has applied one). */
    private Membership view() {
        NodeStatus s = node.raft().status();
        if (s.membership() != null) {
            return s.membership();
        }
        Set<Integer> members = new TreeSet<>(s.members());
        return Membership.ofVoters(members.isEmpty() ? Set.of(s.id()) : members);
    }

    private List<EtcdMembers.View> members(Membership membership) {
        return EtcdMembers.views(membership, node.addresses());
    }

    private io.etcd.jetcd.api.Member toMember(EtcdMembers.View member) {
        return EtcdMembers.toMember(member, node.config().id(), node.etcdUrl());
    }

    private String addressOf(int id) {
        String address = view().addresses().get(id);
        return address != null ? address : node.addresses().get(id);
    }
}
