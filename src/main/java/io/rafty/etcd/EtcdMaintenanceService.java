package io.rafty.etcd;

import io.etcd.jetcd.api.AlarmRequest;
import io.etcd.jetcd.api.AlarmResponse;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.MoveLeaderRequest;
import io.etcd.jetcd.api.MoveLeaderResponse;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import io.grpc.stub.StreamObserver;
import io.rafty.node.NodeStatus;
import io.vertx.core.Future;

/**
 * etcd's Maintenance service: Status (what {@code etcdctl endpoint status} shows), Alarm (none are ever
 * raised: Rafty has no space quota) and MoveLeader (Rafty's leadership transfer). Defragment, Hash,
 * HashKV, Snapshot and Downgrade are UNIMPLEMENTED; {@code GET /v1/snapshot} takes backups.
 */
final class EtcdMaintenanceService extends MaintenanceGrpc.MaintenanceImplBase {

    /** The etcd API level the protos are at, marked as Rafty's so that nobody mistakes it for etcd. */
    static final String VERSION = "3.5.0-rafty";

    private final EtcdNode node;
    private final EtcdHeaders headers;

    EtcdMaintenanceService(EtcdNode node) {
        this.node = node;
        this.headers = node.headers();
    }

    @Override
    public void status(StatusRequest request, StreamObserver<StatusResponse> observer) {
        Calls.unary("Status", observer, () -> {
            NodeStatus s = node.raft().status();
            long dbSize = node.dbSizeBytes().getAsLong();
            StatusResponse.Builder response = StatusResponse.newBuilder()
                    .setHeader(headers.at(s.appliedIndex()))
                    .setVersion(VERSION)
                    .setDbSize(dbSize)
                    .setDbSizeInUse(dbSize)
                    .setLeader(s.leaderId())
                    .setRaftIndex(s.commitIndex())
                    .setRaftTerm(s.term())
                    .setRaftAppliedIndex(s.appliedIndex())
                    .setIsLearner(s.membership() != null && s.membership().learners().contains(s.id()));
            if (s.fenced()) {
                response.addErrors("rafty: storage failed on this node; it no longer serves");
            }
            if (s.leaderId() == 0) {
                response.addErrors("etcdserver: no leader");
            }
            return Future.succeededFuture(response.build());
        });
    }

    /** Lists no alarms (Rafty raises none); activating one is refused. */
    @Override
    public void alarm(AlarmRequest request, StreamObserver<AlarmResponse> observer) {
        Calls.unary("Alarm", observer, () -> {
            if (request.getAction() != AlarmRequest.AlarmAction.GET
                    && request.getAction() != AlarmRequest.AlarmAction.DEACTIVATE) {
                throw EtcdErrors.unsupported("alarms cannot be raised on Rafty");
            }
            return Future.succeededFuture(AlarmResponse.newBuilder().setHeader(headers.current()).build());
        });
    }

    /** Hands leadership to {@code targetID} (a member's node id); answers once this node sees it lead. */
    @Override
    public void moveLeader(MoveLeaderRequest request, StreamObserver<MoveLeaderResponse> observer) {
        Calls.unary("MoveLeader", observer, () -> {
            long target = request.getTargetID();
            NodeStatus s = node.raft().status();
            if (target <= 0 || target > Integer.MAX_VALUE || !s.members().contains((int) target)) {
                throw EtcdErrors.MEMBER_NOT_FOUND;
            }
            return node.raft().transferLeadership((int) target)
                    .map(ignored -> MoveLeaderResponse.newBuilder().setHeader(headers.current()).build());
        });
    }
}
