package io.rafty.security;

import io.rafty.kv.AuthState;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A node's view of client auth (docs/SECURITY.md): whether it is enforced, who a request's bearer token names,
 * and the settings of hashing, tokens and login throttling. The users, roles and signing key live in the
 * replicated state machine ({@link AuthState}); this class reads the node's own applied copy on every request, so
 * what a token may do is what the node last applied, never what the token said when it was issued.
 *
 * <p>Enforced when this node is configured with auth ({@code KVSTORE_AUTH=true}) or when the replicated table
 * says auth was enabled (by any node): once a cluster is closed, a node started without the setting does not
 * reopen it. No Vert.x here; the HTTP and gRPC adapters call it from their event loops (everything in it is a
 * memory read and an HMAC) and run {@link #passwords()} on workers.
 */
public final class Auth {

    /** Settings from the node configuration. {@code rootPassword} is null when auth is off. */
    public record Settings(boolean configured, String rootPassword, int bcryptCost, int tokenTtlS, boolean metricsOpen,
                           int headerBytesMax) {
        @Override
        public String toString() {
            return "Auth.Settings[configured=" + configured + ", bcryptCost=" + bcryptCost + ", tokenTtlS=" + tokenTtlS
                    + ", metricsOpen=" + metricsOpen + ", headerBytesMax=" + headerBytesMax + "]";
        }
    }

    /** Who a request is: a user of the table it was checked against. */
    public record Principal(AuthState.User user, AuthState state) {
        public boolean root() {
            return user.isRoot();
        }
    }

    /**
     * Why a request has no principal. {@code retryAfterCatchUp}: the token is genuine (its MAC matches) but names a
     * user or password revision this node has not applied yet; after a read barrier it may check out.
     */
    public static final class Unauthenticated extends Exception {
        private static final long serialVersionUID = 1L;
        private final boolean retryAfterCatchUp;

        public Unauthenticated(String message, boolean retryAfterCatchUp) {
            super(message, null, false, false);
            this.retryAfterCatchUp = retryAfterCatchUp;
        }

        public boolean retryAfterCatchUp() {
            return retryAfterCatchUp;
        }
    }

    private final Settings settings;
    private final Supplier<AuthState> state;
    private final LongSupplier clockMs;
    private final Passwords passwords;
    private final LoginThrottle throttle = new LoginThrottle();

    public Auth(Settings settings, Supplier<AuthState> state, LongSupplier clockMs) {
        this.settings = settings;
        this.state = state;
        this.clockMs = clockMs;
        this.passwords = new Passwords(settings.bcryptCost());
    }

    /** True when client requests need a credential on this node. */
    public boolean enforced() {
        return settings.configured() || state.get().enabled();
    }

    public Settings settings() {
        return settings;
    }

    public AuthState state() {
        return state.get();
    }

    public Passwords passwords() {
        return passwords;
    }

    public LoginThrottle throttle() {
        return throttle;
    }

    public long nowMs() {
        return clockMs.getAsLong();
    }

    /** A token for {@code user} of {@code table}, good for the configured TTL. */
    public String mint(AuthState table, AuthState.User user) {
        return Tokens.mint(table.signingKey(), user.name(), user.passwordRevision(),
                clockMs.getAsLong() / 1000 + settings.tokenTtlS());
    }

    /**
     * The principal of a request with this {@code Authorization} header (null: none).
     *
     * @throws Unauthenticated naming what is missing or wrong; never quoting the token
     */
    public Principal authenticate(String authorization) throws Unauthenticated {
        if (authorization == null || authorization.isEmpty()) {
            throw new Unauthenticated("this request needs a token: send Authorization: Bearer <token> (get one "
                    + "from POST /v1/auth/token)", false);
        }
        if (authorization.getBytes(StandardCharsets.UTF_8).length > settings.headerBytesMax()) {
            throw new Unauthenticated("the Authorization header is longer than " + settings.headerBytesMax()
                    + " bytes (authHeaderBytesMax); a token is far shorter", false);
        }
        String scheme = "bearer ";
        if (authorization.length() <= scheme.length()
                || !authorization.substring(0, scheme.length()).toLowerCase(Locale.ROOT).equals(scheme)) {
            throw new Unauthenticated("the Authorization header must be \"Bearer <token>\"", false);
        }
        return principal(authorization.substring(scheme.length()).strip());
    }

    /** The principal a bare token (an etcd client's {@code token} metadata) names. */
    public Principal principal(String token) throws Unauthenticated {
        AuthState table = state.get();
        Tokens.Claims claims;
        try {
            claims = Tokens.verify(table.signingKey(), token, clockMs.getAsLong() / 1000);
        } catch (Tokens.InvalidToken e) {
            // Without a signing key yet, this node has not applied the enabling entry: catching up may help.
            throw new Unauthenticated(e.getMessage(), table.signingKey().length == 0);
        }
        AuthState.User user = table.user(claims.user());
        if (user == null) {
            throw new Unauthenticated("the token's user does not exist (deleted, or not yet known here)", true);
        }
        if (user.passwordRevision() != claims.passwordRevision()) {
            // Newer on the token: this node is behind. Older: the password changed since, which revokes the token.
            throw new Unauthenticated("the token was issued for an earlier password of its user; log in again",
                    claims.passwordRevision() > user.passwordRevision());
        }
        return new Principal(user, table);
    }
}
