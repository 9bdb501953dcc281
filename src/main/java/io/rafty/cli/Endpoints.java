package io.rafty.cli;

import java.io.PrintWriter;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The options every command that talks to a cluster takes ({@code @Mixin Endpoints endpoints;}):
 * {@code --endpoints} (else {@code RAFTY_ENDPOINTS}, else run-cluster.sh's local cluster),
 * {@code --timeout}, {@code --connect-timeout} and {@code -v}. {@link #client()} builds the
 * {@link RaftyHttp} that fails over between them.
 */
public final class Endpoints {

    /** The environment variable read when {@code --endpoints} is not given. */
    public static final String ENV = "RAFTY_ENDPOINTS";
    /** The three nodes of {@code ./run-cluster.sh} (conf/node1..3.json). */
    public static final String LOCAL_CLUSTER = "http://127.0.0.1:3001,http://127.0.0.1:3002,http://127.0.0.1:3003";

    /** The environment the defaults come from; tests replace it. */
    static Map<String, String> environment = System.getenv();

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = "--endpoints", paramLabel = "URL[,URL...]",
            description = "Nodes to ask, in order; the next is tried when one is down, times out or answers 503 "
                    + "(default: $" + ENV + ", else " + LOCAL_CLUSTER + ")")
    String endpoints;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "How long one request may take (default 10s); for watch and lease keepalive, how long to run")
    Duration timeout;

    @Option(names = "--connect-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "How long connecting to one endpoint may take before the next is tried (default 2s)")
    Duration connectTimeout;

    @Option(names = "--cacert", paramLabel = "FILE",
            description = "PEM CA certificate(s) the nodes' TLS certificates must chain to, for https:// endpoints "
                    + "(default: the JVM's trust store)")
    java.nio.file.Path caCert;

    @Option(names = "--cert", paramLabel = "FILE",
            description = "PEM client certificate to present, for nodes that require one (KVSTORE_TLS_CLIENT_AUTH)")
    java.nio.file.Path cert;

    @Option(names = "--key", paramLabel = "FILE", description = "PEM private key of --cert")
    java.nio.file.Path key;

    @Option(names = {"-v", "--verbose"}, description = "Say on stderr which endpoint answered and why others were skipped")
    boolean verbose;

    /** The endpoints in order: {@code --endpoints}, else {@code RAFTY_ENDPOINTS}, else the local cluster. */
    public List<URI> list() {
        String text = endpoints;
        if (text == null) {
            String env = environment.get(ENV);
            text = env == null || env.isBlank() ? LOCAL_CLUSTER : env;
        }
        return parse(text);
    }

    /** Parses {@code URL[,URL...]}; exit code 2 for anything that is not an http(s) base URL. */
    static List<URI> parse(String text) {
        List<URI> list = new ArrayList<>();
        for (String part : text.split(",")) {
            String trimmed = part.trim();
            if (trimmed.isEmpty()) {
                continue;
            }
            URI uri;
            try {
                uri = URI.create(trimmed.endsWith("/") ? trimmed.substring(0, trimmed.length() - 1) : trimmed);
            } catch (IllegalArgumentException e) {
                throw CliException.usage("not an endpoint URL: " + trimmed);
            }
            if (uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
                throw CliException.usage("an endpoint is a base URL such as http://127.0.0.1:3001, not " + trimmed);
            }
            list.add(uri);
        }
        if (list.isEmpty()) {
            throw CliException.usage("no endpoints given");
        }
        return list;
    }

    /** The request timeout: {@code --timeout}, else {@link RaftyHttp#DEFAULT_REQUEST_TIMEOUT}. */
    public Duration requestTimeout() {
        return timeout == null ? RaftyHttp.DEFAULT_REQUEST_TIMEOUT : timeout;
    }

    /** {@code --timeout} when given, else null: the run length of watch and lease keepalive. */
    public Duration runTimeout() {
        return timeout;
    }

    /** {@code --connect-timeout}, else {@link RaftyHttp#DEFAULT_CONNECT_TIMEOUT}. */
    public Duration connectTimeout() {
        return connectTimeout == null ? RaftyHttp.DEFAULT_CONNECT_TIMEOUT : connectTimeout;
    }

    /** The client for these options; with {@code -v} it reports on the command's stderr. */
    public RaftyHttp client() {
        PrintWriter err = verbose && mixee != null ? mixee.commandLine().getErr() : null;
        return new RaftyHttp(list(), connectTimeout(),
                requestTimeout(), err, tls());
    }

    /** The TLS context of {@code --cacert}, {@code --cert} and {@code --key}, or null when none is given. */
    public javax.net.ssl.SSLContext tls() {
        if (caCert == null && cert == null && key == null) {
            return null;
        }
        try {
            return io.rafty.config.TlsFiles.sslContext(cert, "--cert", key, "--key", caCert, "--cacert");
        } catch (io.rafty.config.ConfigException e) {
            throw CliException.usage(e.getMessage());
        }
    }
}
