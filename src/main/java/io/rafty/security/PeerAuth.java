package io.rafty.security;

import io.rafty.config.ClusterSecret;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Proof that a peer request comes from a holder of the cluster secret: an HMAC-SHA256, keyed with the
 * secret, over what the request does. The secret itself never travels.
 *
 * <h2>What is signed</h2>
 * The MAC ({@value #MAC}, base64url) is computed over these lines, each ending in {@code \n}:
 * <pre>
 * rafty-peer-hmac-sha256-v1
 * METHOD                       e.g. POST
 * request-target               the path and query exactly as on the request line
 * hex SHA-256 of the body      (of the empty body when there is none)
 * name:value                   one line per x-rafty-* header except the MAC, names in lower case, sorted;
 *                              repeated headers' values joined by ","
 * </pre>
 * The {@code x-rafty-*} headers include the three this class adds — {@value #TIME} (the sender's wall
 * clock, milliseconds since the epoch), {@value #NONCE} (32 hex digits, never reused by a sender) and
 * {@value #TO} (the id of the node the request is for; 0 for "any member", used only by join discovery,
 * which reads) — and whatever the request carries besides, such as a snapshot chunk's membership. So a
 * changed body, query, target node or header breaks the MAC, and a header added on the way does too.
 * Headers outside {@code x-rafty-*} (content type, length, host) are not covered: nothing reads them.
 *
 * <h2>Replays</h2>
 * A request is refused when its timestamp is more than {@code maxClockSkewMs} from the receiver's clock,
 * when its nonce was already accepted ({@link NonceCache}, bounded), or when it names another node. A
 * request may be played at most once, within the window, to the node it was meant for — which is the
 * request itself arriving.
 *
 * <h2>Bodies</h2>
 * The body digest is computed over the whole body, which both ends hold in memory anyway: the sender
 * built it (a message batch, one snapshot chunk of at most {@code snapshotChunkBytes}), and the receiver's
 * body handler reads it under {@code maxPeerBodyBytes} before any peer route looks at it. A snapshot is
 * thus signed chunk by chunk; nothing is buffered beyond one chunk.
 *
 * <p>Thread-safe: signing and verifying may happen on any thread.
 */
public final class PeerAuth {

    public static final String HEADER_PREFIX = "x-rafty-";
    public static final String TIME = "x-rafty-peer-time";
    public static final String NONCE = "x-rafty-peer-nonce";
    public static final String TO = "x-rafty-peer-to";
    public static final String MAC = "x-rafty-peer-mac";
    /** The {@value #TO} of a request any member may answer (join discovery). */
    public static final int ANY_NODE = 0;
    private static final String SCHEME = "rafty-peer-hmac-sha256-v1";
    private static final String ALGORITHM = "HmacSHA256";
    private static final int NONCE_HEX_DIGITS = 32;
    private static final int MAC_BYTES = 32;
    private static final HexFormat HEX = HexFormat.of();

    /**
     * @param maxClockSkewMs    how far a request's timestamp may be from the receiver's clock, either way
     * @param nonceCacheEntries how many accepted nonces are remembered (see {@link NonceCache})
     */
    public record Limits(long maxClockSkewMs, int nonceCacheEntries) {

        public Limits {
            if (maxClockSkewMs <= 0 || nonceCacheEntries <= 0) {
                throw new IllegalArgumentException("peer auth limits must be positive: " + maxClockSkewMs + ", "
                        + nonceCacheEntries);
            }
        }
    }

    /** What a verification found. Every refusal describes itself without the MAC or anything secret. */
    public enum Outcome {
        ACCEPTED("accepted"),
        MISSING("no peer credentials (" + TIME + ", " + NONCE + ", " + TO + ", " + MAC + ")"),
        MALFORMED("malformed peer credentials"),
        WRONG_NODE("signed for another node"),
        STALE("timestamp outside the accepted clock skew"),
        BAD_MAC("the MAC does not match the request (a different cluster secret, or a changed request)"),
        REPLAYED("nonce already used (a replayed request)");

        private final String description;

        Outcome(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    private final SecretKeySpec key;
    private final ThreadLocal<Mac> macs;
    private final ThreadLocal<MessageDigest> digests = ThreadLocal.withInitial(PeerAuth::sha256);
    private final Limits limits;
    private final int self;
    private final LongSupplier clockMs;
    private final NonceCache nonces;
    /** Random per instance, so two senders (or one sender restarted) never share a nonce; the counter runs under it. */
    private final long noncePrefix;
    private final AtomicLong nonceCounter = new AtomicLong();

    /**
     * @param self this node's id: requests signed for another node are refused
     */
    public static PeerAuth create(ClusterSecret secret, Limits limits, int self) {
        return new PeerAuth(secret, limits, self, System::currentTimeMillis, new SecureRandom().nextLong());
    }

    /** As {@link #create}, with the clock and the nonce prefix given (tests). */
    public PeerAuth(ClusterSecret secret, Limits limits, int self, LongSupplier clockMs, long noncePrefix) {
        this.key = new SecretKeySpec(secret.key(), ALGORITHM);
        this.limits = limits;
        this.self = self;
        this.clockMs = clockMs;
        this.noncePrefix = noncePrefix;
        this.nonces = new NonceCache(limits.nonceCacheEntries());
        this.macs = ThreadLocal.withInitial(this::newMac);
        newMac();
    }

    /**
     * The headers that authenticate a request; add them, with {@code headers}, before sending.
     *
     * @param method  the HTTP method, e.g. {@code POST}
     * @param target  the request target exactly as it goes on the request line (path and query)
     * @param to      the id of the node the request is for, or {@link #ANY_NODE}
     * @param headers the request's other {@code x-rafty-*} headers (name → value); others are ignored
     * @param body    the request body (empty for none)
     */
    public Map<String, String> sign(String method, String target, int to, Map<String, String> headers, byte[] body) {
        Map<String, String> added = new LinkedHashMap<>();
        added.put(TIME, Long.toString(clockMs.getAsLong()));
        added.put(NONCE, String.format("%016x%016x", noncePrefix, nonceCounter.incrementAndGet()));
        added.put(TO, Integer.toString(to));
        TreeMap<String, List<String>> signed = new TreeMap<>();
        headers.forEach((name, value) -> addSigned(signed, name, value));
        added.forEach((name, value) -> addSigned(signed, name, value));
        signed.remove(MAC);
        added.put(MAC, Base64.getUrlEncoder().withoutPadding().encodeToString(mac(method, target, signed, body)));
        return added;
    }

    /**
     * Checks a received request; on {@link Outcome#ACCEPTED} its nonce is used up.
     *
     * @param headers every header of the request (only {@code x-rafty-*} ones are read)
     */
    public Outcome verify(String method, String target, Iterable<Map.Entry<String, String>> headers, byte[] body) {
        TreeMap<String, List<String>> signed = new TreeMap<>();
        for (Map.Entry<String, String> header : headers) {
            addSigned(signed, header.getKey(), header.getValue());
        }
        List<String> macs = signed.remove(MAC);
        List<String> times = signed.get(TIME);
        List<String> nonceValues = signed.get(NONCE);
        List<String> tos = signed.get(TO);
        if (macs == null || times == null || nonceValues == null || tos == null) {
            return Outcome.MISSING;
        }
        if (macs.size() != 1 || times.size() != 1 || nonceValues.size() != 1 || tos.size() != 1) {
            return Outcome.MALFORMED;
        }
        long time;
        int to;
        long high;
        long low;
        byte[] mac;
        String nonce = nonceValues.get(0);
        try {
            time = Long.parseLong(times.get(0));
            to = Integer.parseInt(tos.get(0));
            if (nonce.length() != NONCE_HEX_DIGITS) {
                return Outcome.MALFORMED;
            }
            high = HexFormat.fromHexDigitsToLong(nonce, 0, NONCE_HEX_DIGITS / 2);
            low = HexFormat.fromHexDigitsToLong(nonce, NONCE_HEX_DIGITS / 2, NONCE_HEX_DIGITS);
            mac = Base64.getUrlDecoder().decode(macs.get(0));
        } catch (IllegalArgumentException e) {
            // NumberFormatException is one too.
            return Outcome.MALFORMED;
        }
        if (mac.length != MAC_BYTES || to < 0) {
            return Outcome.MALFORMED;
        }
        if (to != ANY_NODE && to != self) {
            return Outcome.WRONG_NODE;
        }
        long now = clockMs.getAsLong();
        if (Math.abs(now - time) > limits.maxClockSkewMs()) {
            return Outcome.STALE;
        }
        if (!MessageDigest.isEqual(mac, mac(method, target, signed, body))) {
            return Outcome.BAD_MAC;
        }
        // Only now, with the MAC checked: a stranger cannot fill the cache.
        return switch (nonces.use(time, high, low, now - limits.maxClockSkewMs())) {
            case FIRST_USE -> Outcome.ACCEPTED;
            case REPLAYED -> Outcome.REPLAYED;
            case TOO_OLD -> Outcome.STALE;
        };
    }

    private static void addSigned(TreeMap<String, List<String>> signed, String name, String value) {
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.startsWith(HEADER_PREFIX)) {
            signed.computeIfAbsent(lower, n -> new ArrayList<>(1)).add(value);
        }
    }

    private byte[] mac(String method, String target, TreeMap<String, List<String>> signed, byte[] body) {
        MessageDigest digest = digests.get();
        digest.reset();
        StringBuilder text = new StringBuilder(256).append(SCHEME).append('\n')
                .append(method).append('\n')
                .append(target).append('\n')
                .append(HEX.formatHex(digest.digest(body))).append('\n');
        signed.forEach((name, values) -> text.append(name).append(':').append(String.join(",", values)).append('\n'));
        Mac mac = macs.get();
        mac.reset();
        return mac.doFinal(text.toString().getBytes(StandardCharsets.UTF_8));
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks " + ALGORITHM, e);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }

    /** How many nonces are remembered now (tests). */
    int rememberedNonces() {
        return nonces.size();
    }
}
