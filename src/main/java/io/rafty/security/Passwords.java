package io.rafty.security;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * Password hashes: bcrypt (BouncyCastle's {@link OpenBSDBCrypt}), salted with 16 random bytes, at a configurable
 * cost ({@code authBcryptCost}: 2^cost rounds; 10 takes tens of milliseconds). Hashing and checking are slow on
 * purpose, so both block: call them on a worker, never an event loop. The hash is made by the node that receives
 * the request and carried in the replicated command; applying it is a copy.
 */
public final class Passwords {

    /** bcrypt reads at most 72 bytes of a password; a longer one would be silently cut, so it is refused. */
    public static final int MAX_BYTES = 72;
    /** A shorter password is refused as weak. */
    public static final int MIN_CHARS = 8;
    public static final int MIN_COST = 4;
    public static final int MAX_COST = 31;

    private static final SecureRandom RANDOM = new SecureRandom();
    /**
     * A hash of a password nobody has, checked when the user is unknown, so that an unknown user costs as long as
     * a wrong password and the answer's timing does not tell which names exist.
     */
    private volatile String decoy;
    private final int cost;

    public Passwords(int cost) {
        if (cost < MIN_COST || cost > MAX_COST) {
            throw new IllegalArgumentException("bcrypt cost must be " + MIN_COST + "-" + MAX_COST + ", was " + cost);
        }
        this.cost = cost;
    }

    /** Made on first use (a node without auth never pays for it), on the worker that checks a password. */
    private String decoy() {
        String made = decoy;
        if (made == null) {
            byte[] random = new byte[18];
            RANDOM.nextBytes(random);
            made = hash(java.util.HexFormat.of().formatHex(random));
            decoy = made;
        }
        return made;
    }

    /** Why {@code password} cannot be a password (too short, too long), or null. Never quotes it. */
    public static String problem(String password) {
        if (password == null || password.isEmpty()) {
            return "a password is required";
        }
        if (password.codePointCount(0, password.length()) < MIN_CHARS) {
            return "the password is too short: at least " + MIN_CHARS + " characters";
        }
        if (password.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            return "the password is too long: at most " + MAX_BYTES + " bytes of UTF-8 (bcrypt reads no more)";
        }
        return null;
    }

    /** A new salted hash of {@code password} (slow: call on a worker). */
    public String hash(String password) {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        return OpenBSDBCrypt.generate("2b", password.toCharArray(), salt, cost);
    }

    /** True when {@code password} matches {@code hash}; a null hash (unknown user) checks the decoy and fails. */
    public boolean verify(String hash, String password) {
        if (password == null || password.isEmpty() || password.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            OpenBSDBCrypt.checkPassword(decoy(), "x".toCharArray());
            return false;
        }
        if (hash == null) {
            OpenBSDBCrypt.checkPassword(decoy(), password.toCharArray());
            return false;
        }
        try {
            return OpenBSDBCrypt.checkPassword(hash, password.toCharArray());
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
