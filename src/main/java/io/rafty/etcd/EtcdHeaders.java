package io.rafty.etcd;

import io.etcd.jetcd.api.ResponseHeader;
import io.rafty.node.NodeStatus;
import io.rafty.node.RaftVerticle;

/**
 * The {@code ResponseHeader} every etcd response carries: {@code cluster_id} (Rafty's cluster id),
 * {@code member_id} (the node id: Rafty's members are numbered 1, 2, 3… where etcd draws random
 * 64-bit ids), {@code revision} and {@code raft_term}. Revisions are Raft log indexes: a read's header
 * names the revision it read at, a write's the index of its log entry.
 */
public final class EtcdHeaders {

    private final RaftVerticle raft;

    public EtcdHeaders(RaftVerticle raft) {
        this.raft = raft;
    }

    /** The header of an answer about {@code revision}. */
    public ResponseHeader at(long revision) {
        NodeStatus s = raft.status();
        return ResponseHeader.newBuilder()
                .setClusterId(s.clusterId())
                .setMemberId(s.id())
                .setRevision(revision)
                .setRaftTerm(s.term())
                .build();
    }

    /** The header of an answer about no particular revision: the node's applied index. */
    public ResponseHeader current() {
        return at(raft.status().appliedIndex());
    }
}
