package io.rafty.bench;

import io.rafty.security.NodeTls;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.nio.file.Path;

/**
 * The generator's TLS for {@code https://} endpoints ({@code --cacert}, {@code --cert}, {@code --key}): the CA the
 * nodes' certificates must chain to (null: the JVM's trust store) and a client certificate for nodes that require
 * one (null: none). Host names are verified, as every Rafty client does.
 */
record BenchTls(Path caCert, Path cert, Path key) {

    static final BenchTls NONE = new BenchTls(null, null, null);

    /** {@code options} able to speak TLS with these files; a request picks TLS by its endpoint's scheme. */
    HttpClientOptions apply(HttpClientOptions options) {
        options.setVerifyHost(true).setSslEngineOptions(NodeTls.engine());
        if (caCert != null) {
            options.setTrustOptions(new PemTrustOptions().addCertPath(caCert.toString()));
        }
        if (cert != null) {
            options.setKeyCertOptions(new PemKeyCertOptions().setCertPath(cert.toString()).setKeyPath(key.toString()));
        }
        return options;
    }
}
