package io.rafty.raft;

import io.rafty.raft.quorum.MajorityQuorum;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Who takes part in the cluster: voters count toward elections and commitment, learners only
 * receive the log. Node ids are positive integers. The configuration also carries each member's
 * address (opaque to the core; the host routes by it), which learners the leader should promote
 * by itself once they have caught up, and the storage each member is bound to, so all of it
 * survives leader changes and restarts with the log.
 *
 * <h2>Storage identity</h2>
 *
 * A member is a node id <em>and</em> the storage behind it. Raft's safety rests on voters that never
 * forget what they acknowledged or whom they voted for; a node whose disk was replaced has forgotten
 * both, so it is not the member it was, even with the same id. The configuration therefore names each
 * member's storage ({@code storageIds}), and only that storage's votes and acknowledgements count for
 * it ({@link #counts}): the configuration lists concrete servers, as Raft's membership rules assume.
 *
 * <ul>
 *   <li>A new cluster starts with no bindings (its members' storage ids are unknown), and every member
 *       counts whatever storage answers, as in plain Raft. Its first leader binds itself and the
 *       voters it heard from in one change (they must be a quorum); from then on an unbound voter
 *       counts for nothing until it is bound, one voter per change (binding it adds one server to
 *       those that count).</li>
 *   <li>A node that comes back on new storage is a new server: the leader demotes the old identity
 *       to a learner bound to the new storage (one voter removed), rebuilds it, and promotes it again
 *       (one voter added) — two ordinary single-server changes.</li>
 *   <li>A change that would leave fewer bound voters than a quorum is refused: such a configuration
 *       could never commit anything.</li>
 * </ul>
 *
 * @param voters      the voting members, never empty
 * @param learners    non-voting members
 * @param autoPromote the learners to promote to voters as soon as they have caught up
 * @param addresses   member id → base URL, for the members whose address is known
 * @param storageIds  member id → the storage id it is bound to, for the members bound so far
 */
public record Membership(Set<Integer> voters, Set<Integer> learners, Set<Integer> autoPromote,
                         Map<Integer, String> addresses, Map<Integer, Long> storageIds) {

    private static final byte VERSION_IDS_ONLY = 1;
    private static final byte VERSION_WITH_ADDRESSES = 2;
    private static final byte VERSION_WITH_STORAGE_IDS = 3;

    public Membership {
        // Sorted, so iteration order (and with it the order messages are produced in) is the same
        // in every JVM: the simulator replays a seed byte for byte.
        voters = Collections.unmodifiableSortedSet(new TreeSet<>(voters));
        learners = Collections.unmodifiableSortedSet(new TreeSet<>(learners));
        autoPromote = Collections.unmodifiableSortedSet(new TreeSet<>(autoPromote));
        addresses = Collections.unmodifiableSortedMap(new TreeMap<>(addresses));
        storageIds = Collections.unmodifiableSortedMap(new TreeMap<>(storageIds));
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
        for (Map.Entry<Integer, Long> binding : storageIds.entrySet()) {
            if (!voters.contains(binding.getKey()) && !learners.contains(binding.getKey())) {
                throw new IllegalArgumentException("node " + binding.getKey() + " is bound to a storage but not a member");
            }
            if (binding.getValue() == 0) {
                throw new IllegalArgumentException("node " + binding.getKey() + " is bound to storage id 0");
            }
        }
    }

    public Membership(Set<Integer> voters, Set<Integer> learners, Set<Integer> autoPromote,
                      Map<Integer, String> addresses) {
        this(voters, learners, autoPromote, addresses, Map.of());
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

    /** How many voters make a majority of this configuration. */
    public int quorum() {
        return MajorityQuorum.size(voters.size());
    }

    /** The storage id member {@code id} is bound to, or 0 while it is not bound. */
    public long storageOf(int id) {
        return storageIds.getOrDefault(id, 0L);
    }

    /**
     * Whether what member {@code id} says from the storage {@code storageId} counts as that member's
     * vote or acknowledgement: in a configuration that binds nobody yet (a new cluster), always; else
     * only when the member is bound to exactly that storage.
     */
    public boolean counts(int id, long storageId) {
        if (storageIds.isEmpty()) {
            return true;
        }
        long bound = storageOf(id);
        return bound != 0 && bound == storageId;
    }

    /** Whether any member is bound to a storage yet. */
    public boolean bindsStorage() {
        return !storageIds.isEmpty();
    }

    /** The voters bound to a storage, in ascending order. */
    public Set<Integer> boundVoters() {
        TreeSet<Integer> bound = new TreeSet<>();
        for (int voter : voters) {
            if (storageOf(voter) != 0) {
                bound.add(voter);
            }
        }
        return bound;
    }

    /**
     * Why {@code next} cannot follow this configuration, or null when it can. Single-server changes
     * (dissertation §4.1) allow one server more or fewer among those that count, and at least a
     * quorum of {@code next}'s voters must count, or it could never commit anything.
     */
    public String whyNotFollowedBy(Membership next) {
        if (next.bindsStorage() && next.boundVoters().size() < next.quorum()) {
            return "only " + next.boundVoters().size() + " of its " + next.voters().size() + " voters would be bound"
                    + " to a storage, fewer than a quorum: bind the others first";
        }
        if (votersChangedTo(next) > 1) {
            return "only one voter may be added or removed at a time";
        }
        return null;
    }

    /**
     * Whether member {@code id}, answering from {@code storageId}, is catching up before it may vote: a
     * learner the leader will promote by itself (a new member, or one rebuilt after its disk was
     * replaced), or a member bound to other storage than the one it answers from (replaced, not yet
     * demoted).
     */
    public boolean catchingUp(int id, long storageId) {
        long bound = storageOf(id);
        return (isLearner(id) && autoPromote.contains(id)) || (storageId != 0 && bound != 0 && bound != storageId);
    }

    public Membership withAddresses(Map<Integer, String> newAddresses) {
        return new Membership(voters, learners, autoPromote, newAddresses, storageIds);
    }

    /** This configuration with member {@code id} bound to {@code storageId} (it was not bound). */
    public Membership boundTo(int id, long storageId) {
        if (!contains(id)) {
            throw new IllegalArgumentException("node " + id + " is not a member");
        }
        TreeMap<Integer, Long> bound = new TreeMap<>(storageIds);
        bound.put(id, storageId);
        return new Membership(voters, learners, autoPromote, addresses, bound);
    }

    /**
     * Member {@code id} came back on the storage {@code storageId}: it is a learner bound to the new
     * storage, to be promoted once it has caught up. For a voter this removes one voter (the old
     * identity), the first of the two single-server changes that replace it.
     */
    public Membership rebuilding(int id, long storageId) {
        if (!contains(id)) {
            throw new IllegalArgumentException("node " + id + " is not a member");
        }
        TreeSet<Integer> newVoters = new TreeSet<>(voters);
        TreeSet<Integer> newLearners = new TreeSet<>(learners);
        TreeSet<Integer> promote = new TreeSet<>(autoPromote);
        if (newVoters.remove(id)) {
            newLearners.add(id);
            promote.add(id);
        }
        TreeMap<Integer, Long> bound = new TreeMap<>(storageIds);
        bound.put(id, storageId);
        return new Membership(newVoters, newLearners, promote, addresses, bound);
    }

    /** This configuration plus a learner at {@code address}. */
    public Membership withLearner(int id, String address, boolean promoteWhenCaughtUp) {
        TreeSet<Integer> newLearners = new TreeSet<>(learners);
        newLearners.add(id);
        TreeSet<Integer> promote = new TreeSet<>(autoPromote);
        if (promoteWhenCaughtUp) {
            promote.add(id);
        }
        // A node added anew is whatever storage answers for it first, until the leader binds it.
        TreeMap<Integer, Long> bound = new TreeMap<>(storageIds);
        bound.remove(id);
        return new Membership(voters, newLearners, promote, withAddress(id, address), bound);
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
        return new Membership(newVoters, newLearners, promote, addresses, storageIds);
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
        TreeMap<Integer, Long> bound = new TreeMap<>(storageIds);
        bound.remove(id);
        return new Membership(newVoters, newLearners, promote, newAddresses, bound);
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
     * (dissertation §4.1) allow at most one. A voter is a node id and its storage. Binding voters in a
     * configuration that binds nobody yet changes nobody (each is the storage that answers for it);
     * after that, binding an unbound voter adds one server that counts, and moving a bound voter to
     * another storage (or unbinding it) replaces one server by another, which is two changes.
     */
    public int votersChangedTo(Membership next) {
        TreeSet<Integer> added = new TreeSet<>(next.voters);
        added.removeAll(voters);
        TreeSet<Integer> removed = new TreeSet<>(voters);
        removed.removeAll(next.voters);
        int rebound = 0;
        for (int voter : voters) {
            if (!next.voters.contains(voter)) {
                continue;
            }
            long before = storageOf(voter);
            long after = next.storageOf(voter);
            if (before != 0 && after != before) {
                rebound += 2;
            } else if (before == 0 && after != 0 && bindsStorage()) {
                rebound += 1;
            }
        }
        return added.size() + removed.size() + rebound;
    }

    /** A compact, stable encoding, used as the payload of a configuration entry and in storage. */
    public byte[] encode() {
        int size = 1 + 4 * 4 + 4 * (voters.size() + learners.size() + autoPromote.size()) + 4
                + 12 * storageIds.size();
        for (String address : addresses.values()) {
            size += 8 + address.getBytes(StandardCharsets.UTF_8).length;
        }
        ByteBuffer buffer = ByteBuffer.allocate(size);
        buffer.put(VERSION_WITH_STORAGE_IDS);
        putIds(buffer, voters);
        putIds(buffer, learners);
        putIds(buffer, autoPromote);
        buffer.putInt(addresses.size());
        for (Map.Entry<Integer, String> entry : new TreeMap<>(addresses).entrySet()) {
            byte[] address = entry.getValue().getBytes(StandardCharsets.UTF_8);
            buffer.putInt(entry.getKey()).putInt(address.length).put(address);
        }
        buffer.putInt(storageIds.size());
        for (Map.Entry<Integer, Long> entry : storageIds.entrySet()) {
            buffer.putInt(entry.getKey()).putLong(entry.getValue());
        }
        return buffer.array();
    }

    private static void putIds(ByteBuffer buffer, Set<Integer> ids) {
        buffer.putInt(ids.size());
        for (int id : new TreeSet<>(ids)) {
            buffer.putInt(id);
        }
    }

    /**
     * Decodes {@link #encode}'s bytes (any version); throws {@link IllegalArgumentException} naming the
     * problem for anything malformed, truncated included.
     */
    public static Membership decode(byte[] bytes) {
        try {
            return decodeChecked(bytes);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated membership (" + bytes.length + " bytes)", e);
        }
    }

    private static Membership decodeChecked(byte[] bytes) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        byte version = buffer.get();
        if (version != VERSION_IDS_ONLY && version != VERSION_WITH_ADDRESSES && version != VERSION_WITH_STORAGE_IDS) {
            throw new IllegalArgumentException("unknown membership encoding version " + version);
        }
        Set<Integer> voters = readIds(buffer);
        Set<Integer> learners = readIds(buffer);
        if (version == VERSION_IDS_ONLY) {
            if (buffer.hasRemaining()) {
                throw new IllegalArgumentException(buffer.remaining() + " trailing bytes in a membership");
            }
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
        Map<Integer, Long> storageIds = new TreeMap<>();
        if (version == VERSION_WITH_STORAGE_IDS) {
            int bound = buffer.getInt();
            if (bound < 0 || bound > buffer.remaining() / 12) {
                throw new IllegalArgumentException("bad storage id count " + bound);
            }
            for (int i = 0; i < bound; i++) {
                storageIds.put(buffer.getInt(), buffer.getLong());
            }
        }
        if (buffer.hasRemaining()) {
            throw new IllegalArgumentException(buffer.remaining() + " trailing bytes in a membership");
        }
        return new Membership(voters, learners, autoPromote, addresses, storageIds);
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
