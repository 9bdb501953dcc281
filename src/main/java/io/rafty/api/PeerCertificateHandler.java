package io.rafty.api;

import io.rafty.security.NodeTls;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * The gate in front of every peer route ({@code /raft/*}) when the node has peer TLS: the request must come over a
 * TLS connection whose client certificate chains to the peer CA ({@code peerTlsCa}) — not merely to the port's
 * trust store, which may hold the client CA too. Otherwise 401 {@code unauthenticated}, logged through the shared,
 * rate-limited {@link PeerRefusals}; it runs before the cluster secret's MAC check (which still applies when a
 * secret is set) and before any peer handler, so a refused request changes nothing.
 */
final class PeerCertificateHandler implements Handler<RoutingContext> {

    private final NodeTls tls;
    private final PeerRefusals refusals;

    PeerCertificateHandler(NodeTls tls, PeerRefusals refusals) {
        this.tls = tls;
        this.refusals = refusals;
    }

    @Override
    public void handle(RoutingContext ctx) {
        String problem = problem(ctx);
        if (problem == null) {
            ctx.next();
            return;
        }
        refusals.refused(ctx, problem);
        ctx.response().putHeader("www-authenticate", "rafty-peer-mtls");
        ApiVerticle.error(ctx, new ApiException(401, "unauthenticated", "peer request refused: " + problem
                + "; with peer TLS every node presents a certificate signed by the cluster's peer CA "
                + "(KVSTORE_PEER_TLS_CERT, KVSTORE_PEER_TLS_KEY, KVSTORE_PEER_TLS_CA)"));
    }

    /** Why the request's connection does not prove a peer, or null when it does. */
    private String problem(RoutingContext ctx) {
        if (!ctx.request().isSSL()) {
            return "not a TLS connection";
        }
        List<Certificate> chain;
        try {
            chain = ctx.request().connection().peerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            chain = List.of();
        }
        if (chain == null || chain.isEmpty()) {
            return "no client certificate on the TLS connection";
        }
        if (!tls.trustedPeer(chain)) {
            String subject = chain.get(0) instanceof X509Certificate leaf
                    ? " (" + leaf.getSubjectX500Principal().getName().replaceAll("\\p{Cntrl}", "?") + ")" : "";
            return "the client certificate" + subject + " is not signed by the peer CA";
        }
        return null;
    }
}
