package io.rafty.api;

import io.rafty.kv.AuthChange;
import io.rafty.kv.AuthState;
import io.rafty.kv.Command;
import io.rafty.node.RaftVerticle;
import io.rafty.raft.Role;
import io.rafty.security.Auth;
import io.vertx.core.Vertx;
import java.security.SecureRandom;
import java.util.logging.Logger;

/**
 * Enables auth through the log: while the node's applied auth table is not enabled or has no user root, and this
 * node leads, it proposes {@link AuthChange.Enable} once at a time with the configured root password's hash and a
 * fresh random signing key (both made here, so the entry applies alike everywhere). Applying it again changes
 * nothing that exists, so two nodes racing, or a retry after a lost answer, are harmless. It stops once the table
 * shows auth enabled with a root user. The configured password seeds root only: later changes go through
 * {@code PUT /v1/auth/users/root}.
 */
public final class AuthBootstrap {

    private static final Logger LOG = Logger.getLogger(AuthBootstrap.class.getName());
    /** How often the node looks whether it still has to propose. */
    static final long CHECK_INTERVAL_MS = 200;
    private static final int SIGNING_KEY_BYTES = 32;

    private final Vertx vertx;
    private final RaftVerticle raft;
    private final Auth auth;
    private String rootHash;
    private boolean inFlight;
    private long timer = -1;

    public AuthBootstrap(Vertx vertx, RaftVerticle raft, Auth auth) {
        this.vertx = vertx;
        this.raft = raft;
        this.auth = auth;
    }

    /** Starts checking; does nothing unless auth is configured on this node. */
    public void start() {
        if (!auth.settings().configured()) {
            return;
        }
        timer = vertx.setPeriodic(0, CHECK_INTERVAL_MS, id -> check());
    }

    private static boolean done(AuthState table) {
        return table.enabled() && table.user(AuthState.ROOT) != null && table.signingKey().length > 0;
    }

    private void check() {
        if (done(auth.state())) {
            vertx.cancelTimer(timer);
            return;
        }
        if (inFlight || raft.status() == null || raft.status().role() != Role.LEADER) {
            return;
        }
        inFlight = true;
        (rootHash != null ? io.vertx.core.Future.succeededFuture(rootHash)
                : vertx.executeBlocking(() -> auth.passwords().hash(auth.settings().rootPassword()), false))
                .compose(hash -> {
                    rootHash = hash;
                    byte[] key = new byte[SIGNING_KEY_BYTES];
                    new SecureRandom().nextBytes(key);
                    return raft.propose(new Command.Auth(new AuthChange.Enable(hash, key)));
                })
                .onComplete(ar -> {
                    inFlight = false;
                    if (ar.succeeded()) {
                        LOG.info("auth enabled through the log at revision " + ar.result().index()
                                + " (user root ensured)");
                    } else {
                        LOG.fine(() -> "enabling auth: " + ar.cause().getMessage() + "; retrying");
                    }
                });
    }
}
