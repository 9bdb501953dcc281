package io.rafty.raft;

import java.nio.ByteBuffer;
import java.util.Set;
import java.util.TreeSet;

/**
 * Who takes part in the cluster: voters count toward elections and commitment, learners only
 * receive the log. Node ids are positive integers.
 */
public record Membership(Set<Integer> voters, Set<Integer> learners) {

    public Membership {
        voters = Set.copyOf(new TreeSet<>(voters));
        learners = Set.copyOf(new TreeSet<>(learners));
        if (voters.isEmpty()) {
            throw new IllegalArgumentException("a cluster needs at least one voter");
        }
        for (int id : voters) {
            if (id <= 0) {
                throw new IllegalArgumentException("node ids must be positive, got " + id);
            }
            if (learners.contains(id)) {
                throw new IllegalArgumentException("node " + id + " is both voter and learner");
            }
        }
    }

    public static Membership ofVoters(Set<Integer> voters) {
        return new Membership(voters, Set.of());
    }

    public boolean isVoter(int id) {
        return voters.contains(id);
    }

    public boolean contains(int id) {
        return voters.contains(id) || learners.contains(id);
    }

    /** Every member, voters first, each group in ascending order. */
    public Set<Integer> all() {
        TreeSet<Integer> all = new TreeSet<>(voters);
        all.addAll(learners);
        return all;
    }

    public int quorum() {
        return voters.size() / 2 + 1;
    }

    /** A compact, stable encoding, used as the payload of a configuration entry and in storage. */
    public byte[] encode() {
        ByteBuffer buffer = ByteBuffer.allocate(1 + 8 + 4 * (voters.size() + learners.size()));
        buffer.put((byte) 1);
        buffer.putInt(voters.size());
        for (int id : new TreeSet<>(voters)) {
            buffer.putInt(id);
        }
        buffer.putInt(learners.size());
        for (int id : new TreeSet<>(learners)) {
            buffer.putInt(id);
        }
        return buffer.array();
    }

    public static Membership decode(byte[] bytes) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        byte version = buffer.get();
        if (version != 1) {
            throw new IllegalArgumentException("unknown membership encoding version " + version);
        }
        Set<Integer> voters = new TreeSet<>();
        for (int i = buffer.getInt(); i > 0; i--) {
            voters.add(buffer.getInt());
        }
        Set<Integer> learners = new TreeSet<>();
        for (int i = buffer.getInt(); i > 0; i--) {
            learners.add(buffer.getInt());
        }
        return new Membership(voters, learners);
    }
}
