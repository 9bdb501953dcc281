package io.rafty.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Tokens: signed, bound to a password revision, expiring; every damage refused without quoting the token. */
class TokensTest {

    private static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes();

    @Test
    void aTokenChecksOutUntilItExpires() throws Exception {
        String token = Tokens.mint(KEY, "alice", 7, 1000);
        Tokens.Claims claims = Tokens.verify(KEY, token, 999);
        assertEquals("alice", claims.user());
        assertEquals(7, claims.passwordRevision());
        Tokens.InvalidToken expired = assertThrows(Tokens.InvalidToken.class, () -> Tokens.verify(KEY, token, 1000));
        assertTrue(expired.getMessage().contains("expired"));
    }

    @Test
    void damagedOrForeignTokensAreRefused() {
        String token = Tokens.mint(KEY, "alice", 7, 1000);
        byte[] other = KEY.clone();
        other[0] ^= 1;
        for (String bad : new String[] {"", ".", "abc", "a.b.c", token + "x", token.replace('.', ','),
                Tokens.mint(other, "alice", 7, 1000), "@@@." + token.substring(token.indexOf('.') + 1),
                token.substring(0, token.indexOf('.') + 1)}) {
            Tokens.InvalidToken refused = assertThrows(Tokens.InvalidToken.class, () -> Tokens.verify(KEY, bad, 1));
            assertFalse(!bad.isEmpty() && refused.getMessage().contains(bad), "the message quotes no token");
        }
        // A different user name under the same MAC: the payload changed, so the MAC no longer matches.
        String[] parts = token.split("\\.");
        String forged = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                "rafty-token-v1\nroot\n7\n1000".getBytes()) + "." + parts[1];
        assertThrows(Tokens.InvalidToken.class, () -> Tokens.verify(KEY, forged, 1));
    }

    @Test
    void loginThrottleDoublesPerUserAndAddressAndForgets() {
        LoginThrottle throttle = new LoginThrottle();
        assertEquals(0, throttle.delayMs("alice", "10.0.0.1", 0));
        throttle.failed("alice", "10.0.0.1", 0);
        assertEquals(LoginThrottle.BASE_DELAY_MS, throttle.delayMs("alice", "10.0.0.9", 1));
        assertEquals(LoginThrottle.BASE_DELAY_MS, throttle.delayMs("bob", "10.0.0.1", 1), "per address too");
        throttle.failed("alice", "10.0.0.1", 2);
        throttle.failed("alice", "10.0.0.1", 3);
        assertEquals(4 * LoginThrottle.BASE_DELAY_MS, throttle.delayMs("alice", "x", 4));
        for (int i = 0; i < 40; i++) {
            throttle.failed("alice", "10.0.0.1", 5);
        }
        assertEquals(LoginThrottle.MAX_DELAY_MS, throttle.delayMs("alice", "x", 6));
        assertEquals(0, throttle.delayMs("alice", "x", 6 + LoginThrottle.FORGET_AFTER_MS), "forgotten");
        throttle.failed("carol", "10.0.0.2", 0);
        throttle.succeeded("carol", "10.0.0.2");
        assertEquals(0, throttle.delayMs("carol", "10.0.0.2", 1));
    }

    @Test
    void passwordsHashSaltedAndVerify() {
        Passwords passwords = new Passwords(4);
        String one = passwords.hash("correct horse");
        String two = passwords.hash("correct horse");
        assertFalse(one.equals(two), "salted");
        assertTrue(passwords.verify(one, "correct horse"));
        assertFalse(passwords.verify(one, "wrong horse"));
        assertFalse(passwords.verify(null, "correct horse"), "an unknown user never matches");
        assertTrue(Passwords.problem("short") != null);
        assertTrue(Passwords.problem("x".repeat(73)) != null);
        assertEquals(null, Passwords.problem("long enough"));
    }
}
