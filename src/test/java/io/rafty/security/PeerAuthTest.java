package io.rafty.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.config.ClusterSecret;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The signer and verifier of peer requests: what a MAC covers, and what it refuses. */
class PeerAuthTest {

    private static final ClusterSecret SECRET = ClusterSecret.of("0123456789abcdef0123456789abcdef");
    private static final ClusterSecret OTHER_SECRET = ClusterSecret.of("fedcba9876543210fedcba9876543210");
    private static final PeerAuth.Limits LIMITS = new PeerAuth.Limits(30_000, 1_000);
    private static final String TARGET = "/raft/snapshot?from=1&term=3&offset=0";
    private static final byte[] BODY = "a snapshot chunk".getBytes(StandardCharsets.UTF_8);
    private static final Map<String, String> MEMBERSHIP = Map.of("x-rafty-membership", "AAEC");

    private final AtomicLong now = new AtomicLong(1_700_000_000_000L);
    /** Node 1 signs, node 2 verifies; each with its own clock reading the same test clock. */
    private final PeerAuth sender = new PeerAuth(SECRET, LIMITS, 1, now::get, 0x1111L);
    private final PeerAuth receiver = new PeerAuth(SECRET, LIMITS, 2, now::get, 0x2222L);

    /** A request as it arrives: the signed headers plus the ones it carried, in arrival order. */
    private static List<Map.Entry<String, String>> arriving(Map<String, String> auth, Map<String, String> others) {
        Map<String, String> all = new LinkedHashMap<>();
        all.put("Content-Type", "application/octet-stream");
        all.put("Host", "127.0.0.1:3002");
        all.putAll(others);
        all.putAll(auth);
        return new ArrayList<>(all.entrySet());
    }

    private Map<String, String> signed() {
        return sender.sign("POST", TARGET, 2, MEMBERSHIP, BODY);
    }

    @Test
    void aSignedRequestIsAcceptedOnce() {
        Map<String, String> auth = signed();
        assertEquals(PeerAuth.Outcome.ACCEPTED, receiver.verify("POST", TARGET, arriving(auth, MEMBERSHIP), BODY));
        // The same bytes again: a replay, however fresh.
        assertEquals(PeerAuth.Outcome.REPLAYED, receiver.verify("POST", TARGET, arriving(auth, MEMBERSHIP), BODY));
        // A new request from the same sender has a nonce of its own.
        assertEquals(PeerAuth.Outcome.ACCEPTED, receiver.verify("POST", TARGET, arriving(signed(), MEMBERSHIP), BODY));
    }

    @Test
    void theSecretIsNeverInTheHeaders() {
        String text = new String(SECRET.key(), StandardCharsets.UTF_8);
        for (String value : signed().values()) {
            assertFalse(value.contains(text), value);
        }
        assertFalse(SECRET.toString().contains(text));
    }

    @Test
    void headerNamesAreCaseInsensitive() {
        Map<String, String> upper = new LinkedHashMap<>();
        signed().forEach((name, value) -> upper.put(name.toUpperCase(), value));
        assertEquals(PeerAuth.Outcome.ACCEPTED,
                receiver.verify("POST", TARGET, arriving(upper, Map.of("X-Rafty-Membership", "AAEC")), BODY));
    }

    @Test
    void aTamperedBodyIsRefused() {
        byte[] tampered = BODY.clone();
        tampered[0] ^= 1;
        assertEquals(PeerAuth.Outcome.BAD_MAC, receiver.verify("POST", TARGET, arriving(signed(), MEMBERSHIP), tampered));
        assertEquals(PeerAuth.Outcome.BAD_MAC, receiver.verify("POST", TARGET, arriving(signed(), MEMBERSHIP),
                new byte[0]));
    }

    @Test
    void aTamperedTargetMethodOrSignedHeaderIsRefused() {
        assertEquals(PeerAuth.Outcome.BAD_MAC, receiver.verify("POST", TARGET.replace("term=3", "term=9"),
                arriving(signed(), MEMBERSHIP), BODY));
        assertEquals(PeerAuth.Outcome.BAD_MAC, receiver.verify("PUT", TARGET, arriving(signed(), MEMBERSHIP), BODY));
        assertEquals(PeerAuth.Outcome.BAD_MAC, receiver.verify("POST", TARGET,
                arriving(signed(), Map.of("x-rafty-membership", "AAED")), BODY));
        // A signed header removed, or an x-rafty header added on the way.
        assertEquals(PeerAuth.Outcome.BAD_MAC, receiver.verify("POST", TARGET, arriving(signed(), Map.of()), BODY));
        assertEquals(PeerAuth.Outcome.BAD_MAC, receiver.verify("POST", TARGET,
                arriving(signed(), Map.of("x-rafty-membership", "AAEC", "x-rafty-forwarded", "1")), BODY));
        // The timestamp moved within the window: still a different request.
        Map<String, String> moved = new LinkedHashMap<>(signed());
        moved.put(PeerAuth.TIME, Long.toString(now.get() + 1));
        assertEquals(PeerAuth.Outcome.BAD_MAC, receiver.verify("POST", TARGET, arriving(moved, MEMBERSHIP), BODY));
    }

    @Test
    void headersOutsideTheRaftyPrefixAreNotCovered() {
        Map<String, String> auth = signed();
        List<Map.Entry<String, String>> headers = arriving(auth, MEMBERSHIP);
        headers.add(Map.entry("user-agent", "curl"));
        assertEquals(PeerAuth.Outcome.ACCEPTED, receiver.verify("POST", TARGET, headers, BODY));
    }

    @Test
    void aWrongSecretIsRefused() {
        PeerAuth stranger = new PeerAuth(OTHER_SECRET, LIMITS, 1, now::get, 0x3333L);
        Map<String, String> auth = stranger.sign("POST", TARGET, 2, MEMBERSHIP, BODY);
        assertEquals(PeerAuth.Outcome.BAD_MAC, receiver.verify("POST", TARGET, arriving(auth, MEMBERSHIP), BODY));
    }

    @Test
    void aStaleOrFutureTimestampIsRefused() {
        Map<String, String> auth = signed();
        now.addAndGet(LIMITS.maxClockSkewMs() + 1);
        assertEquals(PeerAuth.Outcome.STALE, receiver.verify("POST", TARGET, arriving(auth, MEMBERSHIP), BODY));

        PeerAuth ahead = new PeerAuth(SECRET, LIMITS, 1, () -> now.get() + LIMITS.maxClockSkewMs() + 1, 0x4444L);
        assertEquals(PeerAuth.Outcome.STALE, receiver.verify("POST", TARGET,
                arriving(ahead.sign("POST", TARGET, 2, MEMBERSHIP, BODY), MEMBERSHIP), BODY));
        // Right at the edge of the window, either way, is still accepted.
        PeerAuth edge = new PeerAuth(SECRET, LIMITS, 1, () -> now.get() - LIMITS.maxClockSkewMs(), 0x5555L);
        assertEquals(PeerAuth.Outcome.ACCEPTED, receiver.verify("POST", TARGET,
                arriving(edge.sign("POST", TARGET, 2, MEMBERSHIP, BODY), MEMBERSHIP), BODY));
    }

    @Test
    void missingHeadersAreRefused() {
        assertEquals(PeerAuth.Outcome.MISSING, receiver.verify("POST", TARGET, arriving(Map.of(), MEMBERSHIP), BODY));
        for (String name : List.of(PeerAuth.TIME, PeerAuth.NONCE, PeerAuth.TO, PeerAuth.MAC)) {
            Map<String, String> auth = new LinkedHashMap<>(signed());
            auth.remove(name);
            assertEquals(PeerAuth.Outcome.MISSING, receiver.verify("POST", TARGET, arriving(auth, MEMBERSHIP), BODY),
                    "without " + name);
        }
    }

    @Test
    void malformedHeadersAreRefused() {
        for (Map.Entry<String, String> broken : List.of(Map.entry(PeerAuth.TIME, "soon"),
                Map.entry(PeerAuth.NONCE, "abc"), Map.entry(PeerAuth.NONCE, "zz" + "0".repeat(30)),
                Map.entry(PeerAuth.TO, "two"), Map.entry(PeerAuth.TO, "-2"), Map.entry(PeerAuth.MAC, "not base64!"),
                Map.entry(PeerAuth.MAC, "AAAA"))) {
            Map<String, String> auth = new LinkedHashMap<>(signed());
            auth.put(broken.getKey(), broken.getValue());
            assertEquals(PeerAuth.Outcome.MALFORMED, receiver.verify("POST", TARGET, arriving(auth, MEMBERSHIP), BODY),
                    broken.toString());
        }
        // Two MACs: which one would count?
        List<Map.Entry<String, String>> twice = arriving(signed(), MEMBERSHIP);
        twice.add(Map.entry(PeerAuth.MAC, signed().get(PeerAuth.MAC)));
        assertEquals(PeerAuth.Outcome.MALFORMED, receiver.verify("POST", TARGET, twice, BODY));
    }

    @Test
    void aRequestForAnotherNodeIsRefusedAndAnyNodeIsAccepted() {
        Map<String, String> forThree = sender.sign("POST", TARGET, 3, MEMBERSHIP, BODY);
        assertEquals(PeerAuth.Outcome.WRONG_NODE, receiver.verify("POST", TARGET, arriving(forThree, MEMBERSHIP), BODY));
        Map<String, String> discovery = sender.sign("GET", "/raft/cluster", PeerAuth.ANY_NODE, Map.of(), new byte[0]);
        assertEquals(PeerAuth.Outcome.ACCEPTED, receiver.verify("GET", "/raft/cluster", arriving(discovery, Map.of()),
                new byte[0]));
    }

    @Test
    void refusedRequestsLeaveNoNonceBehind() {
        for (int i = 0; i < 50; i++) {
            Map<String, String> auth = new LinkedHashMap<>(signed());
            auth.put(PeerAuth.MAC, signed().get(PeerAuth.MAC));
            assertEquals(PeerAuth.Outcome.BAD_MAC, receiver.verify("POST", TARGET, arriving(auth, MEMBERSHIP), BODY));
        }
        assertEquals(0, receiver.rememberedNonces());
    }

    /**
     * A full cache forgets its oldest nonces, but a replay of a forgotten one is still refused (its timestamp is
     * at or below what the cache forgot), while fresh requests go on being accepted.
     */
    @Test
    void aFullNonceCacheStillRefusesReplaysOfWhatItForgot() {
        PeerAuth small = new PeerAuth(SECRET, new PeerAuth.Limits(30_000, 3), 2, now::get, 0x6666L);
        List<Map<String, String>> sent = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            Map<String, String> auth = signed();
            sent.add(auth);
            assertEquals(PeerAuth.Outcome.ACCEPTED, small.verify("POST", TARGET, arriving(auth, MEMBERSHIP), BODY));
            now.incrementAndGet();
        }
        assertEquals(3, small.rememberedNonces());
        for (Map<String, String> old : sent) {
            PeerAuth.Outcome replay = small.verify("POST", TARGET, arriving(old, MEMBERSHIP), BODY);
            assertTrue(replay == PeerAuth.Outcome.REPLAYED || replay == PeerAuth.Outcome.STALE, replay.toString());
        }
        assertEquals(PeerAuth.Outcome.STALE, small.verify("POST", TARGET, arriving(sent.get(0), MEMBERSHIP), BODY));
        assertEquals(PeerAuth.Outcome.REPLAYED, small.verify("POST", TARGET, arriving(sent.get(9), MEMBERSHIP), BODY));
        assertEquals(PeerAuth.Outcome.ACCEPTED, small.verify("POST", TARGET, arriving(signed(), MEMBERSHIP), BODY));
    }

    /** Nonces older than the window are let go: the cache holds only what the window could still let through. */
    @Test
    void expiredNoncesAreForgotten() {
        for (int i = 0; i < 5; i++) {
            assertEquals(PeerAuth.Outcome.ACCEPTED, receiver.verify("POST", TARGET, arriving(signed(), MEMBERSHIP), BODY));
        }
        assertEquals(5, receiver.rememberedNonces());
        now.addAndGet(LIMITS.maxClockSkewMs() + 1);
        assertEquals(PeerAuth.Outcome.ACCEPTED, receiver.verify("POST", TARGET, arriving(signed(), MEMBERSHIP), BODY));
        assertEquals(1, receiver.rememberedNonces());
    }

    @Test
    void limitsMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new PeerAuth.Limits(0, 10));
        assertThrows(IllegalArgumentException.class, () -> new PeerAuth.Limits(10, 0));
    }
}
