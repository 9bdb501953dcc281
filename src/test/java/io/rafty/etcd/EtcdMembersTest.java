package io.rafty.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.StatusRuntimeException;
import io.rafty.raft.Membership;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** etcd's member operations as configuration changes, without a cluster. */
class EtcdMembersTest {

    private static final Map<Integer, String> ADDRESSES = Map.of(1, "http://127.0.0.1:3001",
            2, "http://127.0.0.1:3002", 3, "http://127.0.0.1:3003");

    /** Voters 1, 2, 3, of which only {@code bound} have been heard from (bound to a storage). */
    private static Membership voters(Set<Integer> bound) {
        Map<Integer, Long> storage = new java.util.TreeMap<>();
        bound.forEach(id -> storage.put(id, 100L + id));
        return new Membership(Set.of(1, 2, 3), Set.of(), Set.of(), ADDRESSES, storage);
    }

    private static void refused(StatusRuntimeException expected, Runnable change) {
        assertSame(expected, assertThrows(StatusRuntimeException.class, change::run));
    }

    @Test
    void peerUrlsAreOneHttpHostAndPort() {
        assertEquals("http://10.0.0.4:3004", EtcdMembers.peerUrl(List.of("http://10.0.0.4:3004/")));
        assertEquals("https://[::1]:3004", EtcdMembers.peerUrl(List.of("https://[::1]:3004")));
        for (String bad : List.of("", "10.0.0.4:3004", "http://10.0.0.4", "unix://x:1", "http://u@h:1", "http://h:1/x",
                "http://h:1#f", "http:// h:1")) {
            refused(EtcdErrors.MEMBER_BAD_URLS, () -> EtcdMembers.peerUrl(List.of(bad)));
        }
        refused(EtcdErrors.MEMBER_BAD_URLS, () -> EtcdMembers.peerUrl(List.of()));
        StatusRuntimeException two = assertThrows(StatusRuntimeException.class,
                () -> EtcdMembers.peerUrl(List.of("http://h:1", "http://h:2")));
        assertTrue(two.getStatus().getDescription().startsWith("rafty: "));
    }

    @Test
    void anAddTakesTheNextIdAboveEveryKnownOneAndAFreePeerUrl() {
        Membership current = voters(Set.of(1, 2, 3));
        Membership added = EtcdMembers.add("http://127.0.0.1:3009", true, Map.of(7, "http://gone:1"))
                .apply(current);
        assertTrue(added.isLearner(8), "above 7, a member this node saw removed: " + added);
        assertFalse(added.autoPromote().contains(8));
        Membership voter = EtcdMembers.add("http://127.0.0.1:3009", false, ADDRESSES).apply(current);
        assertTrue(voter.isLearner(4) && voter.autoPromote().contains(4), "promoted by the leader once caught up");
        refused(EtcdErrors.PEER_URL_EXIST, () -> EtcdMembers.add("http://127.0.0.1:3002", true, ADDRESSES)
                .apply(current));
        Membership bare = Membership.ofVoters(Set.of(1, 2, 3));
        refused(EtcdErrors.PEER_URL_EXIST, () -> EtcdMembers.add("http://127.0.0.1:3003", true, ADDRESSES)
                .apply(bare));
    }

    @Test
    void removalsAndPromotionsThatLeaveTooFewStartedVotersAreRefused() {
        Membership oneUnstarted = voters(Set.of(1, 2));
        refused(EtcdErrors.MEMBER_NOT_ENOUGH_STARTED, () -> EtcdMembers.remove(1).apply(oneUnstarted));
        assertEquals(Set.of(1, 2), EtcdMembers.remove(3).apply(oneUnstarted).voters());
        refused(EtcdErrors.MEMBER_NOT_FOUND, () -> EtcdMembers.remove(9).apply(oneUnstarted));
        refused(EtcdErrors.MEMBER_NOT_FOUND, () -> EtcdMembers.remove(1L << 40).apply(oneUnstarted));
        refused(EtcdErrors.MEMBER_NOT_ENOUGH_STARTED, () -> EtcdMembers.remove(1).apply(Membership.ofVoters(Set.of(1))));

        Membership withLearner = voters(Set.of(1, 2, 3)).withLearner(4, "http://127.0.0.1:3004", false);
        assertTrue(EtcdMembers.promote(4).apply(withLearner).isVoter(4));
        refused(EtcdErrors.MEMBER_NOT_LEARNER, () -> EtcdMembers.promote(2).apply(withLearner));
        refused(EtcdErrors.MEMBER_NOT_FOUND, () -> EtcdMembers.promote(5).apply(withLearner));
        // Voters 1 and 2 started, 3 not: a fourth, unbound voter would leave 2 of 4 bound, fewer than a quorum.
        Membership unstartedLearner = oneUnstarted.withLearner(4, "http://127.0.0.1:3004", false);
        refused(EtcdErrors.MEMBER_NOT_ENOUGH_STARTED, () -> EtcdMembers.promote(4).apply(unstartedLearner));
    }

    @Test
    void aMemberHasStartedOnceBoundOrBeforeTheFirstBinding() {
        assertTrue(EtcdMembers.started(Membership.ofVoters(Set.of(1, 2)), 2));
        assertFalse(EtcdMembers.started(voters(Set.of(1, 2)), 3));
        assertTrue(EtcdMembers.started(voters(Set.of(1, 2)), 2));
        assertEquals("", EtcdMembers.toMember(new EtcdMembers.View(3, "http://h:1", false, false), 1, "x").getName());
        assertEquals("node3", EtcdMembers.toMember(new EtcdMembers.View(3, "http://h:1", false, true), 3, "http://c:2")
                .getName());
    }
}
