package io.rafty.raft;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Who this node and its peers are, beyond their ids: the cluster they belong to and the storage each
 * speaks from. It owns the cluster id (0 until the first leader's founding no-op commits, or a peer
 * of the cluster says it), this node's storage id, and the storage id each peer's latest batch
 * carried; and it applies the configuration's binding rule ({@link Membership#counts}): what a member
 * says counts only from the storage the configuration binds it to. A node that lost its disk is
 * thus a new server until the leader rebuilds it.
 */
final class ClusterIdentity {

    private final int self;
    private final long storageId;
    /** {@link DeliberateBug#IGNORE_STORAGE_IDENTITY}: every storage counts. */
    private final boolean ignoreStorage;
    private final Map<Integer, Long> peerStorage = new HashMap<>();
    private long clusterId;

    ClusterIdentity(int self, long storageId, long clusterId, boolean ignoreStorage) {
        this.self = self;
        this.storageId = storageId;
        this.clusterId = clusterId;
        this.ignoreStorage = ignoreStorage;
    }

    long clusterId() {
        return clusterId;
    }

    long storageId() {
        return storageId;
    }

    PeerIdentity identity() {
        return new PeerIdentity(clusterId, storageId);
    }

    /**
     * A batch from {@code peer} stated {@code identity}: learn the cluster id if unknown and remember
     * the peer's storage. False (and nothing remembered) for a peer of another cluster.
     */
    boolean accept(int peer, PeerIdentity identity) {
        if (identity.clusterId() != 0) {
            if (clusterId == 0) {
                clusterId = identity.clusterId();
            } else if (clusterId != identity.clusterId()) {
                return false;
            }
        }
        peerStorage.put(peer, identity.storageId());
        return true;
    }

    /** The storage id {@code member}'s latest batch carried (this node's own for itself), or 0. */
    long storageOf(int member) {
        return member == self ? storageId : peerStorage.getOrDefault(member, 0L);
    }

    /** Whether what {@code member} says from {@code storage} counts in {@code membership}. */
    boolean counts(Membership membership, int member, long storage) {
        return ignoreStorage || membership.counts(member, storage);
    }

    /** The configuration binds this node's id to other storage: this node is not that member. */
    boolean replacedIn(Membership membership) {
        long bound = membership.storageOf(self);
        return bound != 0 && bound != storageId && !ignoreStorage;
    }

    /** Whether the first leader of a cluster must found one: no id known, and none founded in {@code log}. */
    boolean mustFound(RaftLog log) {
        if (clusterId != 0) {
            return false;
        }
        for (long i = log.startIndex() + 1; i <= log.lastIndex(); i++) {
            if (log.entry(i).clusterId() != 0) {
                return false;
            }
        }
        return true;
    }

    /** A committed founding no-op names the cluster; a second, different one would mean two clusters merged. */
    void learnFrom(List<Entry> committed) {
        for (Entry entry : committed) {
            long founded = entry.clusterId();
            if (founded == 0) {
                continue;
            }
            if (clusterId == 0) {
                clusterId = founded;
            } else if (clusterId != founded) {
                throw new BrokenInvariantException("entry " + entry.index() + " founds cluster "
                        + Long.toHexString(founded) + " but node " + self + " belongs to cluster "
                        + Long.toHexString(clusterId));
            }
        }
    }
}
