package io.rafty.raft;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Who takes part in the cluster: voters count toward elections and commitment, learners only
 * receive the log. Node ids are positive integers. The configuration also carries each member's
 * address (opaque to the core; the host routes by it) and which learners the leader should promote
 * by itself once they have caught up, so both survive leader changes and restarts with the log.
 *
 * @param voters      the voting members, never empty
 * @param learners    non-voting members
 * @param autoPromote the learners to promote to voters as soon as they have caught up
 * @param addresses   member id → base URL, for the members whose address is known
 */
public record Membership(Set<Integer> voters, Set<Integer> learners, Set<Integer> autoPromote,
                         Map<Integer, String> addresses) {

    private static final byte VERSION_IDS_ONLY = 1;
    private static final byte VERSION_WITH_ADDRESSES = 2;

    public Membership {
        voters = Set.copyOf(new TreeSet<>(voters));
        learners = Set.copyOf(new TreeSet<>(learners));
        autoPromote = Set.copyOf(new TreeSet<>(autoPromote));
        addresses = Map.copyOf(new TreeMap<>(addresses));
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
        for (int id : learners) {
            if (id <= 0) {
                throw new IllegalArgumentException("node ids must be positive, got " + id);
            }
        }
        if (!learners.containsAll(autoPromote)) {
            throw new IllegalArgumentException("only learners can be promoted automatically");
        }
    }

    public Membership(Set<Integer> voters, Set<Integer> learners) {
        this(voters, learners, Set.of(), Map.of());
    }

    public static Membership ofVoters(Set<Integer> voters) {
        return new Membership(voters, Set.of());
    }

    public boolean isVoter(int id) {
        return voters.contains(id);
    }

    public boolean isLearner(int id) {
        return learners.contains(id);
    }

    public boolean contains(int id) {
        return voters.contains(id) || learners.contains(id);
    }

    /** Every member, in ascending order. */
    public Set<Integer> all() {
        TreeSet<Integer> all = new TreeSet<>(voters);
        all.addAll(learners);
        return all;
    }

    public int quorum() {
        return voters.size() / 2 + 1;
    }

    public Membership withAddresses(Map<Integer, String> newAddresses) {
        return new Membership(voters, learners, autoPromote, newAddresses);
    }

    /** This configuration plus a learner at {@code address}. */
    public Membership withLearner(int id, String address, boolean promoteWhenCaughtUp) {
        TreeSet<Integer> newLearners = new TreeSet<>(learners);
        newLearners.add(id);
        TreeSet<Integer> promote = new TreeSet<>(autoPromote);
        if (promoteWhenCaughtUp) {
            promote.add(id);
        }
        return new Membership(voters, newLearners, promote, withAddress(id, address));
    }

    /** This configuration with learner {@code id} made a voter. */
    public Membership promoted(int id) {
        if (!learners.contains(id)) {
            throw new IllegalArgumentException("node " + id + " is not a learner");
        }
        TreeSet<Integer> newVoters = new TreeSet<>(voters);
        newVoters.add(id);
        TreeSet<Integer> newLearners = new TreeSet<>(learners);
        newLearners.remove(id);
        TreeSet<Integer> promote = new TreeSet<>(autoPromote);
        promote.remove(id);
        return new Membership(newVoters, newLearners, promote, addresses);
    }

    /** This configuration without member {@code id}. */
    public Membership without(int id) {
        TreeSet<Integer> newVoters = new TreeSet<>(voters);
        newVoters.remove(id);
        TreeSet<Integer> newLearners = new TreeSet<>(learners);
        newLearners.remove(id);
        TreeSet<Integer> promote = new TreeSet<>(autoPromote);
        promote.remove(id);
        TreeMap<Integer, String> newAddresses = new TreeMap<>(addresses);
        newAddresses.remove(id);
        return new Membership(newVoters, newLearners, promote, newAddresses);
    }

    private Map<Integer, String> withAddress(int id, String address) {
        TreeMap<Integer, String> out = new TreeMap<>(addresses);
        if (address != null) {
            out.put(id, address);
        }
        return out;
    }

    /**
     * How many voters differ between this configuration and {@code next}: single-server changes
     * (dissertation §4.1) allow at most one.
     */
    public int votersChangedTo(Membership next) {
        TreeSet<Integer> added = new TreeSet<>(next.voters);
        added.removeAll(voters);
        TreeSet<Integer> removed = new TreeSet<>(voters);
        removed.removeAll(next.voters);
        return added.size() + removed.size();
    }

    /** A compact, stable encoding, used as the payload of a configuration entry and in storage. */
    public byte[] encode() {
        int size = 1 + 4 * 4 + 4 * (voters.size() + learners.size() + autoPromote.size());
        for (String address : addresses.values()) {
            size += 8 + address.getBytes(StandardCharsets.UTF_8).length;
        }
        ByteBuffer buffer = ByteBuffer.allocate(size);
        buffer.put(VERSION_WITH_ADDRESSES);
        putIds(buffer, voters);
        putIds(buffer, learners);
        putIds(buffer, autoPromote);
        buffer.putInt(addresses.size());
        for (Map.Entry<Integer, String> entry : new TreeMap<>(addresses).entrySet()) {
            byte[] address = entry.getValue().getBytes(StandardCharsets.UTF_8);
            buffer.putInt(entry.getKey()).putInt(address.length).put(address);
        }
        return buffer.array();
    }

    private static void putIds(ByteBuffer buffer, Set<Integer> ids) {
        buffer.putInt(ids.size());
        for (int id : new TreeSet<>(ids)) {
            buffer.putInt(id);
        }
    }

    public static Membership decode(byte[] bytes) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        byte version = buffer.get();
        if (version != VERSION_IDS_ONLY && version != VERSION_WITH_ADDRESSES) {
            throw new IllegalArgumentException("unknown membership encoding version " + version);
        }
        Set<Integer> voters = readIds(buffer);
        Set<Integer> learners = readIds(buffer);
        if (version == VERSION_IDS_ONLY) {
            return new Membership(voters, learners);
        }
        Set<Integer> autoPromote = readIds(buffer);
        Map<Integer, String> addresses = new TreeMap<>();
        int count = buffer.getInt();
        if (count < 0 || count > buffer.remaining() / 8) {
            throw new IllegalArgumentException("bad address count " + count);
        }
        for (int i = 0; i < count; i++) {
            int id = buffer.getInt();
            int length = buffer.getInt();
            if (length < 0 || length > buffer.remaining()) {
                throw new IllegalArgumentException("bad address length " + length);
            }
            byte[] address = new byte[length];
            buffer.get(address);
            addresses.put(id, new String(address, StandardCharsets.UTF_8));
        }
        return new Membership(voters, learners, autoPromote, addresses);
    }

    private static Set<Integer> readIds(ByteBuffer buffer) {
        int count = buffer.getInt();
        if (count < 0 || count > buffer.remaining() / 4) {
            throw new IllegalArgumentException("bad member count " + count);
        }
        Set<Integer> ids = new TreeSet<>();
        for (int i = 0; i < count; i++) {
            ids.add(buffer.getInt());
        }
        return ids;
    }
}
