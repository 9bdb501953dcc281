package io.rafty.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The rules by which a configuration binds members to storage ({@link Membership#counts},
 * {@link Membership#votersChangedTo}, {@link Membership#whyNotFollowedBy}, the builders) and its
 * encoding, old versions included.
 */
class MembershipBindingTest {

    private static final Membership THREE = Membership.ofVoters(Set.of(1, 2, 3));
    /** Three voters bound to 101, 201, 301. */
    private static final Membership BOUND_THREE = bind(THREE, Map.of(1, 101L, 2, 201L, 3, 301L));

    private static Membership bind(Membership m, Map<Integer, Long> bindings) {
        return new Membership(m.voters(), m.learners(), m.autoPromote(), m.addresses(), bindings);
    }

    // A new cluster binds nobody: as in plain Raft, whatever storage answers counts for the member.
    @Test
    void withNoBindingsAnyStorageCounts() {
        assertFalse(THREE.bindsStorage());
        assertTrue(THREE.counts(1, 0));
        assertTrue(THREE.counts(1, 101));
        assertTrue(THREE.counts(3, -7));
        assertEquals(0, THREE.storageOf(2));
        assertEquals(Set.of(), THREE.boundVoters());
    }

    // Once anyone is bound, only the bound storage counts, and an unbound voter counts for nothing.
    @Test
    void withBindingsOnlyTheBoundStorageCounts() {
        Membership partly = bind(THREE, Map.of(1, 101L, 2, 201L));
        assertTrue(partly.bindsStorage());
        assertTrue(partly.counts(1, 101));
        assertFalse(partly.counts(1, 102), "another disk behind id 1 is another server");
        assertFalse(partly.counts(1, 0), "a peer never heard from does not count");
        assertFalse(partly.counts(3, 301), "unbound voter, bindings in force");
        assertFalse(partly.counts(3, 0));
        assertEquals(Set.of(1, 2), partly.boundVoters());
        assertEquals(201, partly.storageOf(2));
        assertEquals(0, partly.storageOf(3));
    }

    // Binding members of a configuration that binds nobody yet names the storage that already answered: no change.
    @Test
    void bindingInANoBindingConfigurationChangesNoVoter() {
        assertEquals(0, THREE.votersChangedTo(BOUND_THREE));
        assertEquals(0, THREE.votersChangedTo(THREE.boundTo(1, 101)));
    }

    // After bindings exist an unbound voter counts for nothing, so binding it adds one server that counts.
    @Test
    void bindingAnUnboundVoterOnceOthersAreBoundIsOneChange() {
        Membership partly = bind(THREE, Map.of(1, 101L, 2, 201L));
        assertEquals(1, partly.votersChangedTo(partly.boundTo(3, 301)));
        assertNull(partly.whyNotFollowedBy(partly.boundTo(3, 301)));
    }

    // Moving a bound voter to other storage replaces one server by another: two changes, refused.
    @Test
    void rebindingOrUnbindingABoundVoterIsTwoChanges() {
        Membership rebound = BOUND_THREE.boundTo(3, 302);
        assertEquals(2, BOUND_THREE.votersChangedTo(rebound));
        assertNotNull(BOUND_THREE.whyNotFollowedBy(rebound));
        assertTrue(BOUND_THREE.whyNotFollowedBy(rebound).contains("one voter"), BOUND_THREE.whyNotFollowedBy(rebound));
        Membership unbound = bind(THREE, Map.of(1, 101L, 2, 201L));
        assertEquals(2, BOUND_THREE.votersChangedTo(unbound));
    }

    // Removing a voter (with or without its binding) is one change, as in plain single-server changes.
    @Test
    void removingAVoterIsOneChange() {
        assertEquals(1, BOUND_THREE.votersChangedTo(BOUND_THREE.without(3)));
        assertEquals(1, THREE.votersChangedTo(THREE.without(3)));
        assertNull(BOUND_THREE.whyNotFollowedBy(BOUND_THREE.without(3)));
    }

    // A configuration with fewer bound voters than a quorum could never commit: refused.
    @Test
    void nextConfigurationWithFewerBoundVotersThanAQuorumIsRefused() {
        String why = THREE.whyNotFollowedBy(THREE.boundTo(1, 101));
        assertNotNull(why, "one bound voter of three");
        assertTrue(why.contains("fewer than a quorum"), why);
        assertNull(THREE.whyNotFollowedBy(THREE.boundTo(1, 101).boundTo(2, 201)), "two of three is a quorum");
        // A single removal that leaves 2 bound of 4 voters (quorum 3) is refused too.
        Membership five = bind(Membership.ofVoters(Set.of(1, 2, 3, 4, 5)), Map.of(1, 101L, 2, 201L, 3, 301L));
        assertNull(five.whyNotFollowedBy(five.without(4)), "3 bound of 4 voters is a quorum");
        String removal = five.whyNotFollowedBy(five.without(3));
        assertNotNull(removal, "2 bound of 4 voters is not");
        assertTrue(removal.contains("fewer than a quorum"), removal);
    }

    // Single-server changes: more than one voter added or removed at once is refused.
    @Test
    void nextConfigurationWithMoreThanOneChangeIsRefused() {
        String why = THREE.whyNotFollowedBy(Membership.ofVoters(Set.of(1, 2, 3, 4, 5)));
        assertNotNull(why);
        assertTrue(why.contains("one voter"), why);
        assertNotNull(BOUND_THREE.whyNotFollowedBy(bind(Membership.ofVoters(Set.of(1)), Map.of(1, 101L))));
    }

    // A voter back on new storage becomes an auto-promote learner bound to it: the old server leaves (one change).
    @Test
    void rebuildingAVoterMakesItAnAutoPromoteLearnerOnTheNewStorage() {
        Membership rebuilt = BOUND_THREE.rebuilding(3, 302);
        assertEquals(Set.of(1, 2), rebuilt.voters());
        assertEquals(Set.of(3), rebuilt.learners());
        assertEquals(Set.of(3), rebuilt.autoPromote());
        assertEquals(302, rebuilt.storageOf(3));
        assertEquals(101, rebuilt.storageOf(1));
        assertEquals(201, rebuilt.storageOf(2));
        assertEquals(1, BOUND_THREE.votersChangedTo(rebuilt));
        assertNull(BOUND_THREE.whyNotFollowedBy(rebuilt));
        assertTrue(rebuilt.catchingUp(3, 302), "rebuilt learner catches up before it may vote");
        assertThrows(IllegalArgumentException.class, () -> BOUND_THREE.rebuilding(9, 901));
    }

    // A learner has no vote to take away: rebuilding it only moves its binding.
    @Test
    void rebuildingALearnerOnlyRebindsIt() {
        Membership withLearner = new Membership(THREE.voters(), Set.of(4), Set.of(), Map.of(4, "http://n4"),
                Map.of(1, 101L, 2, 201L, 3, 301L, 4, 401L));
        Membership rebuilt = withLearner.rebuilding(4, 402);
        assertEquals(withLearner.voters(), rebuilt.voters());
        assertEquals(Set.of(4), rebuilt.learners());
        assertEquals(Set.of(), rebuilt.autoPromote(), "a learner not meant to be promoted stays so");
        assertEquals(402, rebuilt.storageOf(4));
        assertEquals(withLearner.addresses(), rebuilt.addresses());
        assertEquals(0, withLearner.votersChangedTo(rebuilt));
    }

    // A node added anew is whatever storage answers first: an old binding for its id must not survive.
    @Test
    void withLearnerDropsAStaleBinding() {
        Membership stale = new Membership(THREE.voters(), Set.of(4), Set.of(), Map.of(),
                Map.of(1, 101L, 2, 201L, 3, 301L, 4, 401L));
        Membership readded = stale.withLearner(4, "http://n4", true);
        assertEquals(0, readded.storageOf(4));
        assertFalse(readded.storageIds().containsKey(4));
        assertEquals(Set.of(4), readded.autoPromote());
        assertEquals(301, readded.storageOf(3), "other bindings kept");
        assertEquals("http://n4", readded.addresses().get(4));
    }

    // A removed member leaves no binding behind (the constructor would refuse a binding of a non-member).
    @Test
    void withoutDropsTheBinding() {
        Membership removed = BOUND_THREE.without(3);
        assertFalse(removed.storageIds().containsKey(3));
        assertEquals(Map.of(1, 101L, 2, 201L), removed.storageIds());
    }

    // Promotion makes the rebuilt learner a voter on the storage it was rebuilt on.
    @Test
    void promotedKeepsTheBinding() {
        Membership promoted = BOUND_THREE.rebuilding(3, 302).promoted(3);
        assertEquals(Set.of(1, 2, 3), promoted.voters());
        assertEquals(Set.of(), promoted.autoPromote());
        assertEquals(302, promoted.storageOf(3));
        assertTrue(promoted.counts(3, 302));
        assertFalse(promoted.counts(3, 301));
    }

    // Everything a configuration says survives its own encoding, storage ids of any sign included.
    @Test
    void version3RoundTrip() {
        Membership m = new Membership(Set.of(1, 2, 3), Set.of(4, 5), Set.of(5),
                Map.of(1, "http://n1:8080", 4, "http://ünicode:1"),
                Map.of(1, 101L, 2, Long.MIN_VALUE, 3, -1L, 5, Long.MAX_VALUE));
        byte[] bytes = m.encode();
        assertEquals(3, bytes[0]);
        assertEquals(m, Membership.decode(bytes));
        assertEquals(THREE, Membership.decode(THREE.encode()));
    }

    // Configurations written before storage ids existed still decode, binding nobody.
    @Test
    void version1EncodingDecodesWithNoBindings() {
        Membership decoded = Membership.decode(version1(Set.of(1, 2, 3), Set.of(4)));
        assertEquals(new Membership(Set.of(1, 2, 3), Set.of(4)), decoded);
        assertFalse(decoded.bindsStorage());
    }

    // Same for the version with addresses and auto-promotion (HEAD~3's format).
    @Test
    void version2EncodingDecodesWithNoBindings() {
        Membership decoded = Membership.decode(version2(Set.of(1, 2, 3), Set.of(4), Set.of(4), Map.of(1, "http://a:1")));
        assertEquals(new Membership(Set.of(1, 2, 3), Set.of(4), Set.of(4), Map.of(1, "http://a:1")), decoded);
        assertFalse(decoded.bindsStorage());
        assertEquals(Map.of(), decoded.storageIds());
    }

    // A payload longer than its contents is corrupt, not a configuration.
    @Test
    void decodeRejectsTrailingBytes() {
        assertThrows(IllegalArgumentException.class, () -> Membership.decode(append(BOUND_THREE.encode(), 0)));
        assertThrows(IllegalArgumentException.class,
                () -> Membership.decode(append(version2(Set.of(1), Set.of(), Set.of(), Map.of()), 7)));
    }

    // The same holds for the oldest format: trailing bytes after a version-1 body are corruption too.
    @Test
    void decodeRejectsTrailingBytesAfterAVersion1Body() {
        assertThrows(IllegalArgumentException.class,
                () -> Membership.decode(append(version1(Set.of(1, 2, 3), Set.of()), 0)));
    }

    // Every count is checked against what remains, so garbage cannot make decode allocate or read past the end.
    @Test
    void decodeRejectsBadCounts() {
        byte[] good = BOUND_THREE.encode();
        // The storage id count is the int just before the 3 (id, storage) pairs of 12 bytes.
        int storageCountAt = good.length - 3 * 12 - 4;
        assertEquals(3, ByteBuffer.wrap(good).getInt(storageCountAt));
        for (int bad : new int[] {-1, 4, Integer.MAX_VALUE}) {
            byte[] bytes = good.clone();
            ByteBuffer.wrap(bytes).putInt(storageCountAt, bad);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Membership.decode(bytes));
            assertTrue(e.getMessage().contains("storage id count"), e.getMessage());
        }
        byte[] voters = good.clone();
        ByteBuffer.wrap(voters).putInt(1, 1 << 30);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Membership.decode(voters)).getMessage()
                .contains("member count"));
        byte[] negative = good.clone();
        ByteBuffer.wrap(negative).putInt(1, -3);
        assertThrows(IllegalArgumentException.class, () -> Membership.decode(negative));
        // Truncated by one byte: the last binding no longer fits.
        assertThrows(IllegalArgumentException.class, () -> Membership.decode(Arrays.copyOf(good, good.length - 1)));
        byte[] unknownVersion = good.clone();
        unknownVersion[0] = 4;
        assertThrows(IllegalArgumentException.class, () -> Membership.decode(unknownVersion));
    }

    // A decoded binding obeys the constructor's rules: storage id 0 and bindings of non-members are refused.
    @Test
    void decodeRejectsBindingsTheConstructorRefuses() {
        byte[] good = BOUND_THREE.encode();
        byte[] zero = good.clone();
        ByteBuffer.wrap(zero).putLong(good.length - 8, 0L);
        assertThrows(IllegalArgumentException.class, () -> Membership.decode(zero));
        byte[] stranger = good.clone();
        ByteBuffer.wrap(stranger).putInt(good.length - 12, 9);
        assertThrows(IllegalArgumentException.class, () -> Membership.decode(stranger));
    }

    // ----- the older formats, written by hand from Membership's history -------------------------------

    /** {@code 1, voters, learners}: each id set is a count and the ids (big-endian ints). */
    private static byte[] version1(Set<Integer> voters, Set<Integer> learners) {
        ByteBuffer out = ByteBuffer.allocate(1 + 8 + 4 * (voters.size() + learners.size()));
        out.put((byte) 1);
        putIds(out, voters);
        putIds(out, learners);
        return out.array();
    }

    /** {@code 2, voters, learners, autoPromote, count, (id, length, utf8)*}. */
    private static byte[] version2(Set<Integer> voters, Set<Integer> learners, Set<Integer> autoPromote,
                                   Map<Integer, String> addresses) {
        int size = 1 + 16 + 4 * (voters.size() + learners.size() + autoPromote.size());
        for (String address : addresses.values()) {
            size += 8 + address.getBytes(StandardCharsets.UTF_8).length;
        }
        ByteBuffer out = ByteBuffer.allocate(size);
        out.put((byte) 2);
        putIds(out, voters);
        putIds(out, learners);
        putIds(out, autoPromote);
        out.putInt(addresses.size());
        addresses.forEach((id, address) -> {
            byte[] utf8 = address.getBytes(StandardCharsets.UTF_8);
            out.putInt(id).putInt(utf8.length).put(utf8);
        });
        return out.array();
    }

    private static void putIds(ByteBuffer out, Set<Integer> ids) {
        out.putInt(ids.size());
        ids.stream().sorted().forEach(out::putInt);
    }

    private static byte[] append(byte[] bytes, int extra) {
        byte[] out = Arrays.copyOf(bytes, bytes.length + 1);
        out[bytes.length] = (byte) extra;
        return out;
    }
}
