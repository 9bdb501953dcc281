package io.rafty.etcd;

import io.etcd.jetcd.api.ClusterGrpc;
import io.etcd.jetcd.api.Member;
import io.etcd.jetcd.api.MemberAddRequest;
import io.etcd.jetcd.api.MemberAddResponse;
import io.etcd.jetcd.api.MemberListRequest;
import io.etcd.jetcd.api.MemberListResponse;
import io.etcd.jetcd.api.MemberPromoteRequest;
import io.etcd.jetcd.api.MemberPromoteResponse;
import io.etcd.jetcd.api.MemberRemoveRequest;
import io.etcd.jetcd.api.MemberRemoveResponse;
import io.grpc.stub.StreamObserver;
import io.rafty.node.NodeStatus;
import io.rafty.raft.Membership;
import io.vertx.core.Future;
import java.util.TreeSet;

/**
 * etcd's Cluster service: MemberList from the node's current membership. Member ids are Rafty's node
 * ids (1, 2, 3…); a member's peer URL is its HTTP address; its client URL is known only for this node
 * (its own etcd endpoint), since members do not tell each other their etcd ports. MemberAdd, MemberRemove,
 * MemberPromote and MemberUpdate are UNIMPLEMENTED: change membership with the HTTP admin API
 * ({@code POST /v1/cluster/members}, {@code DELETE /v1/cluster/members/{id}}), whose members have an
 * id chosen by the operator rather than drawn by the server.
 */
final class EtcdClusterService extends ClusterGrpc.ClusterImplBase {

    private final EtcdNode node;
    private final EtcdHeaders headers;

    EtcdClusterService(EtcdNode node) {
        this.node = node;
        this.headers = node.headers();
    }

    @Override
    public void memberList(MemberListRequest request, StreamObserver<MemberListResponse> observer) {
        Calls.unary("MemberList", observer, () -> {
            NodeStatus s = node.raft().status();
            Membership membership = s.membership();
            TreeSet<Integer> ids = new TreeSet<>(s.members());
            if (membership != null) {
                ids.addAll(membership.voters());
                ids.addAll(membership.learners());
            }
            MemberListResponse.Builder response = MemberListResponse.newBuilder().setHeader(headers.current());
            for (int id : ids) {
                Member.Builder member = Member.newBuilder().setID(id).setName("node" + id)
                        .setIsLearner(membership != null && membership.learners().contains(id));
                String peerUrl = membership != null && membership.addresses().containsKey(id)
                        ? membership.addresses().get(id) : node.addresses().get(id);
                if (peerUrl != null) {
                    member.addPeerURLs(peerUrl);
                }
                if (id == s.id()) {
                    member.addClientURLs(node.etcdUrl());
                }
                response.addMembers(member);
            }
            return Future.succeededFuture(response.build());
        });
    }

    @Override
    public void memberAdd(MemberAddRequest request, StreamObserver<MemberAddResponse> observer) {
        observer.onError(unchanged("MemberAdd"));
    }

    @Override
    public void memberRemove(MemberRemoveRequest request, StreamObserver<MemberRemoveResponse> observer) {
        observer.onError(unchanged("MemberRemove"));
    }

    @Override
    public void memberPromote(MemberPromoteRequest request, StreamObserver<MemberPromoteResponse> observer) {
        observer.onError(unchanged("MemberPromote"));
    }

    private static io.grpc.StatusRuntimeException unchanged(String rpc) {
        return EtcdErrors.unimplemented(rpc + " is not served over the etcd API; change membership with the HTTP "
                + "admin API (POST /v1/cluster/members, DELETE /v1/cluster/members/{id}, POST "
                + "/v1/cluster/members/{id}/promote)");
    }
}
