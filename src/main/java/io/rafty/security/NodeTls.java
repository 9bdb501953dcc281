package io.rafty.security;

import io.rafty.config.NodeConfig;
import io.rafty.config.TlsFiles;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SSLEngineOptions;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;

/**
 * A node's TLS, as the configuration asks for it (docs/SECURITY.md, "TLS"), turned into Vert.x and JDK
 * options for each place that listens or connects:
 *
 * <ul>
 *   <li>the shared client/peer HTTP port speaks TLS when {@code tlsCert} or peer TLS is set; it serves
 *       {@code tlsCert} (or, without it, {@code peerTlsCert}), trusts {@code tlsCa} and {@code peerTlsCa}, and
 *       requires a client certificate with {@code tlsClientAuth}, or asks for one (peers send theirs) with peer TLS;
 *   <li>the etcd port speaks TLS (ALPN h2 only, as gRPC needs) with {@code tlsCert}, and requires client
 *       certificates from {@code tlsCa} with {@code tlsClientAuth};
 *   <li>everything this node sends to another node — Raft batches, snapshot chunks, relayed client requests, join
 *       discovery — presents {@code peerTlsCert} and verifies the other node's certificate, host name included,
 *       against {@code peerTlsCa};
 *   <li>{@link #trustedPeer} tells whether a connection's client certificate chains to {@code peerTlsCa} itself
 *       (the port's trust store may hold the client CA as well), which {@code /raft/*} requires.
 * </ul>
 *
 * The files were read and checked when the configuration was loaded ({@link TlsFiles}); Vert.x reads them again
 * when it listens and connects.
 */
public final class NodeTls {

    /** No TLS anywhere. */
    public static final NodeTls NONE = new NodeTls(null, null, null, false, null, null, null, List.of());

    /** Leaf certificates already found to chain to the peer CA: a handful of peers, checked once each. */
    private static final int TRUSTED_PEER_CACHE_ENTRIES = 64;

    private final Path tlsCert;
    private final Path tlsKey;
    private final Path tlsCa;
    private final boolean tlsClientAuth;
    private final Path peerTlsCert;
    private final Path peerTlsKey;
    private final Path peerTlsCa;
    private final List<X509Certificate> peerCas;
    private final Map<X509Certificate, Boolean> trustedPeers = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<X509Certificate, Boolean> eldest) {
            return size() > TRUSTED_PEER_CACHE_ENTRIES;
        }
    };

    private NodeTls(Path tlsCert, Path tlsKey, Path tlsCa, boolean tlsClientAuth, Path peerTlsCert, Path peerTlsKey,
                    Path peerTlsCa, List<X509Certificate> peerCas) {
        this.tlsCert = tlsCert;
        this.tlsKey = tlsKey;
        this.tlsCa = tlsCa;
        this.tlsClientAuth = tlsClientAuth;
        this.peerTlsCert = peerTlsCert;
        this.peerTlsKey = peerTlsKey;
        this.peerTlsCa = peerTlsCa;
        this.peerCas = peerCas;
    }

    public static NodeTls of(NodeConfig config) {
        if (config.tlsCert() == null && config.peerTlsCa() == null) {
            return NONE;
        }
        List<X509Certificate> peerCas = config.peerTlsCa() == null ? List.of()
                : TlsFiles.certificates(config.peerTlsCa(), "peerTlsCa");
        return new NodeTls(config.tlsCert(), config.tlsKey(), config.tlsCa(), config.tlsClientAuth(),
                config.peerTlsCert(), config.peerTlsKey(), config.peerTlsCa(), peerCas);
    }

    /** Whether the shared client/peer HTTP port speaks TLS. */
    public boolean httpTls() {
        return tlsCert != null || peerTlsCa != null;
    }

    /** Whether the etcd port speaks TLS. */
    public boolean etcdTls() {
        return tlsCert != null;
    }

    /** Whether peers talk mutual TLS (and {@code /raft/*} needs a peer certificate). */
    public boolean peerTls() {
        return peerTlsCa != null;
    }

    /** {@code https} or {@code http}, for URLs of the shared port. */
    public String httpScheme() {
        return httpTls() ? "https" : "http";
    }

    /** {@code https} or {@code http}, for URLs of the etcd port. */
    public String etcdScheme() {
        return etcdTls() ? "https" : "http";
    }

    /** {@code options} of the shared client/peer HTTP server, with its TLS (unchanged without). */
    public HttpServerOptions clientPort(HttpServerOptions options) {
        if (!httpTls()) {
            return options;
        }
        options.setSsl(true).setSslEngineOptions(engine()).setKeyCertOptions(tlsCert != null ? pem(tlsCert, tlsKey) : pem(peerTlsCert, peerTlsKey));
        PemTrustOptions trust = new PemTrustOptions();
        if (tlsCa != null) {
            trust.addCertPath(tlsCa.toString());
        }
        if (peerTlsCa != null) {
            trust.addCertPath(peerTlsCa.toString());
        }
        if (tlsCa != null || peerTlsCa != null) {
            options.setTrustOptions(trust);
        }
        // Without tlsClientAuth a client needs no certificate; a peer sends one, and /raft/* insists on it.
        options.setClientAuth(tlsClientAuth ? ClientAuth.REQUIRED : peerTlsCa != null ? ClientAuth.REQUEST
                : ClientAuth.NONE);
        return options;
    }

    /** {@code options} of the etcd gRPC server, with its TLS (unchanged without): HTTP/2 negotiated by ALPN. */
    public HttpServerOptions etcdPort(HttpServerOptions options) {
        if (!etcdTls()) {
            return options;
        }
        options.setSsl(true).setSslEngineOptions(engine()).setUseAlpn(true).setAlpnVersions(List.of(HttpVersion.HTTP_2))
                .setKeyCertOptions(pem(tlsCert, tlsKey));
        if (tlsClientAuth) {
            options.setTrustOptions(new PemTrustOptions().addCertPath(tlsCa.toString()))
                    .setClientAuth(ClientAuth.REQUIRED);
        }
        return options;
    }

    /**
     * {@code options} of a client that talks to other nodes, presenting the peer certificate and verifying theirs
     * (host name included) against the peer CA; unchanged without peer TLS.
     */
    public HttpClientOptions peerClient(HttpClientOptions options) {
        if (!peerTls()) {
            return options;
        }
        return options.setSsl(true).setSslEngineOptions(engine()).setVerifyHost(true).setKeyCertOptions(pem(peerTlsCert, peerTlsKey))
                .setTrustOptions(new PemTrustOptions().addCertPath(peerTlsCa.toString()));
    }

    /** The same as {@link #peerClient}, for the JDK's HTTP client (join discovery); null without peer TLS. */
    public SSLContext peerSslContext() {
        if (!peerTls()) {
            return null;
        }
        return TlsFiles.sslContext(peerTlsCert, "peerTlsCert", peerTlsKey, "peerTlsKey", peerTlsCa, "peerTlsCa");
    }

    /**
     * Whether {@code chain}, a connection's client certificates (leaf first), chains to the peer CA. The handshake
     * has already checked it against the port's trust store; this tells a peer apart from a client whose
     * certificate comes from {@code tlsCa}.
     */
    public boolean trustedPeer(List<Certificate> chain) {
        if (chain.isEmpty() || !(chain.get(0) instanceof X509Certificate leaf)) {
            return false;
        }
        synchronized (trustedPeers) {
            if (trustedPeers.containsKey(leaf)) {
                return true;
            }
        }
        List<X509Certificate> x509 = new ArrayList<>();
        for (Certificate certificate : chain) {
            if (!(certificate instanceof X509Certificate c)) {
                return false;
            }
            x509.add(c);
        }
        boolean trusted = TlsFiles.chainsTo(x509, peerCas);
        if (trusted) {
            synchronized (trustedPeers) {
                trustedPeers.put(leaf, Boolean.TRUE);
            }
        }
        return trusted;
    }

    /**
     * The TLS engine: BoringSSL through netty-tcnative where its native library loads (a fraction of the JDK
     * engine's CPU per record), else the JDK's.
     */
    public static SSLEngineOptions engine() {
        return OpenSSLEngineOptions.isAvailable() ? new OpenSSLEngineOptions() : new JdkSSLEngineOptions();
    }

    private static PemKeyCertOptions pem(Path cert, Path key) {
        return new PemKeyCertOptions().setCertPath(cert.toString()).setKeyPath(key.toString());
    }
}
