package io.rafty.raft;

/**
 * Who sent a batch of peer messages, beyond its node id: every batch carries its sender's identity,
 * and the receiver hands it to {@link RaftNode#observe(int, PeerIdentity)} before stepping each of the
 * batch's messages.
 *
 * @param clusterId the cluster the sender belongs to, once it knows (0 before the cluster's founding
 *                  entry committed); nodes of different clusters refuse each other
 * @param storageId a random number drawn when the sender's storage was created: the configuration binds
 *                  each member to one ({@link Membership#counts}), so a node that lost its disk and
 *                  came back with another one is recognised as a new server
 */
public record PeerIdentity(long clusterId, long storageId) {

    /** What a peer without any identity looks like (tests of the bare core, which never observe). */
    public static final PeerIdentity NONE = new PeerIdentity(0, 0);
}
