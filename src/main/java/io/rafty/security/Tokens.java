package io.rafty.security;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Bearer tokens: {@code base64url(payload) "." base64url(HMAC-SHA256(key, payload))}, where the payload is
 * {@code rafty-token-v1\n<user>\n<password revision>\n<expiry, seconds since the epoch>}. The key is the auth
 * table's signing key, chosen once by the node that enabled auth and replicated, so every node checks every
 * node's tokens. A token names no roles: every request reads the user's roles from the node's own replicated
 * table, so a role change counts as soon as the node has applied it. The password revision ties the token to the
 * password it was issued for: a new password, or deleting (and re-creating) the user, makes it useless.
 */
public final class Tokens {

    private static final String VERSION = "rafty-token-v1";
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

    private Tokens() {
    }

    /** What a token says, once its MAC has been checked. */
    public record Claims(String user, long passwordRevision, long expiresAtS) {
    }

    /** Why a token was refused; the message never quotes it. */
    public static final class InvalidToken extends Exception {
        private static final long serialVersionUID = 1L;

        InvalidToken(String message) {
            super(message, null, false, false);
        }
    }

    public static String mint(byte[] key, String user, long passwordRevision, long expiresAtS) {
        byte[] payload = (VERSION + "\n" + user + "\n" + passwordRevision + "\n" + expiresAtS)
                .getBytes(StandardCharsets.UTF_8);
        return ENCODER.encodeToString(payload) + "." + ENCODER.encodeToString(mac(key, payload));
    }

    /**
     * Checks {@code token}'s form, MAC (in constant time) and expiry against {@code nowS}.
     *
     * @throws InvalidToken naming what is wrong (malformed, bad signature, expired)
     */
    public static Claims verify(byte[] key, String token, long nowS) throws InvalidToken {
        if (key.length == 0) {
            throw new InvalidToken("auth is not ready on this node yet (no signing key applied)");
        }
        int dot = token.indexOf('.');
        if (dot <= 0 || dot != token.lastIndexOf('.') || dot == token.length() - 1) {
            throw new InvalidToken("malformed token");
        }
        byte[] payload;
        byte[] mac;
        try {
            payload = DECODER.decode(token.substring(0, dot));
            mac = DECODER.decode(token.substring(dot + 1));
        } catch (IllegalArgumentException e) {
            throw new InvalidToken("malformed token");
        }
        if (!MessageDigest.isEqual(mac, mac(key, payload))) {
            throw new InvalidToken("the token's signature does not match (not issued by this cluster, or altered)");
        }
        String[] fields = new String(payload, StandardCharsets.UTF_8).split("\n", -1);
        if (fields.length != 4 || !fields[0].equals(VERSION)) {
            throw new InvalidToken("malformed token");
        }
        long revision;
        long expiresAtS;
        try {
            revision = Long.parseLong(fields[2]);
            expiresAtS = Long.parseLong(fields[3]);
        } catch (NumberFormatException e) {
            throw new InvalidToken("malformed token");
        }
        if (nowS >= expiresAtS) {
            throw new InvalidToken("the token has expired; get a new one from POST /v1/auth/token");
        }
        return new Claims(fields[1], revision, expiresAtS);
    }

    private static byte[] mac(byte[] key, byte[] payload) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(payload);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JVM has HmacSHA256", e);
        }
    }
}
