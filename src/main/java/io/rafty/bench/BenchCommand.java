package io.rafty.bench;

import io.rafty.config.ConfigException;
import io.rafty.config.TlsFiles;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.zookeeper.common.PathUtils;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code rafty.jar bench}: the closed-loop load generator. Parses and validates the command line into
 * {@link BenchSettings}, then hands them to {@link LoadGenerator}. Bad arguments are one line on
 * stderr and exit code 2, like a bad node configuration.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Closed-loop load against a Rafty cluster, or against etcd 3.4 through its HTTP/JSON "
                + "gateway as the reference, or etcd's v3 gRPC API on either, or a ZooKeeper 3.8 ensemble: each "
                + "client issues one request at a time.")
public final class BenchCommand implements Callable<Integer> {

    /** Largest client count; each client holds one connection. */
    static final int MAX_CLIENTS = 10_000;
    /** Largest value size the tool generates (the server's default limit is 1 MiB). */
    static final int MAX_VALUE_BYTES = 1 << 20;
    /** Largest watcher count; each watcher holds one connection (a Rafty node serves 10 000 by default). */
    static final int MAX_WATCHERS = 30_000;
    /** Largest kept-lease count (a node holds 1 000 000 leases by default; the generator's bound). */
    static final int MAX_KEPT_LEASES = 1_000_000;
    /** The kept leases' TTL bounds: at 3 s one is kept alive every second; etcd's minimum TTL is 5 s. */
    static final long MIN_LEASE_TTL_SECONDS = 3;
    static final long MAX_LEASE_TTL_SECONDS = 3600;
    /** The token sent with every HTTP request, when set: the CLI's variable (docs/SECURITY.md, "Auth"). */
    static final String TOKEN_ENV = "RAFTY_TOKEN";

    /** What the clients do. */
    public enum Workload { put, get, mixed, txn, keepalive }

    /**
     * Which server the requests are written for, and how they travel: Rafty's HTTP API, etcd's HTTP/JSON
     * gateway ({@link TargetProtocol}), etcd's v3 gRPC API ({@link EtcdGrpcProtocol}), which both etcd
     * and Rafty's etcd port serve, or ZooKeeper through its own client ({@link ZooKeeperSender}).
     */
    public enum Target {
        rafty("rafty"), etcd("etcd"), etcdGrpc("etcd-grpc"), zookeeper("zookeeper");

        private final String label;

        Target(String label) {
            this.label = label;
        }

        /** The name on the command line and in the output. */
        @Override
        public String toString() {
            return label;
        }

        /** The target named {@code label}, or a conversion error that names every choice. */
        static Target named(String label) {
            for (Target target : values()) {
                if (target.label.equals(label)) {
                    return target;
                }
            }
            throw new CommandLine.TypeConversionException("'" + label + "' is not a target; choose rafty, etcd, etcd-grpc or zookeeper");
        }
    }

    @Spec
    CommandSpec spec;

    @Option(names = "--endpoints", required = true, split = ",",
            description = "Comma-separated base URLs, e.g. http://127.0.0.1:3001,http://127.0.0.1:3002 (for "
                    + "etcd-grpc the gRPC ports, e.g. http://127.0.0.1:2379; for zookeeper host:port client "
                    + "ports, e.g. 127.0.0.1:2181,127.0.0.1:2182)")
    List<String> endpoints = new ArrayList<>();

    @Option(names = "--cacert", paramLabel = "FILE",
            description = "PEM CA the nodes' certificates must chain to, for https:// endpoints (default: the JVM's)")
    java.nio.file.Path caCert;

    @Option(names = "--cert", paramLabel = "FILE",
            description = "PEM client certificate, for nodes started with KVSTORE_TLS_CLIENT_AUTH=true")
    java.nio.file.Path cert;

    @Option(names = "--key", paramLabel = "FILE", description = "PEM private key of --cert")
    java.nio.file.Path key;

    @Option(names = "--target", defaultValue = "rafty", converter = TargetConverter.class,
            description = "rafty; etcd: the same requests through etcd 3.4's v3 HTTP/JSON gateway; or etcd-grpc: "
                    + "etcd's v3 gRPC API (KV.Put, KV.Range), against etcd's client port or Rafty's etcd port, "
                    + "one HTTP/2 connection per endpoint and generator event loop; or zookeeper: ZooKeeper's own "
                    + "client, one session per client, writes setData, reads sync+getData (with --stale a plain "
                    + "getData, sequentially consistent) on znodes under /rafty-bench that every run creates first "
                    + "(default ${DEFAULT-VALUE})")
    Target target;

    @Option(names = "--clients", defaultValue = "64", description = "Concurrent closed-loop clients (default ${DEFAULT-VALUE})")
    int clients;

    @Option(names = "--duration", defaultValue = "30s", converter = DurationConverter.class,
            description = "Measured run length: 30s, 500ms, 2m (default ${DEFAULT-VALUE})")
    Duration duration;

    @Option(names = "--warmup", defaultValue = "0s", converter = DurationConverter.class,
            description = "Load before measuring, excluded from the figures (default ${DEFAULT-VALUE})")
    Duration warmup;

    @Option(names = "--workload", defaultValue = "put",
            description = "put, get, mixed, txn (each request a compare-and-set transaction with four ops, POST "
                    + "/v1/txn), or keepalive (the preload grants one lease per key, each request keeps one alive); "
                    + "txn and keepalive are Rafty only (default ${DEFAULT-VALUE})")
    Workload workload;

    @Option(names = "--keys", defaultValue = "10000", description = "Distinct keys, chosen uniformly (default ${DEFAULT-VALUE})")
    int keys;

    @Option(names = "--value-size", defaultValue = "256", description = "Value bytes per write (default ${DEFAULT-VALUE})")
    int valueSize;

    @Option(names = "--read-percent", defaultValue = "50",
            description = "Share of reads in the mixed workload, 0-100 (default ${DEFAULT-VALUE})")
    int readPercent;

    @Option(names = "--stale",
            description = "Reads with ?consistency=stale (etcd, etcd-grpc: a serializable range; zookeeper: getData "
                    + "without sync) instead of linearizable")
    boolean stale;

    @Option(names = "--no-preload", negatable = false,
            description = "Do not write every key before a get or mixed run")
    boolean noPreload;

    @Option(names = "--key-prefix", defaultValue = "bench/", description = "Prefix of every key (default ${DEFAULT-VALUE})")
    String keyPrefix;

    @Option(names = "--timeout", defaultValue = "10s", converter = DurationConverter.class,
            description = "Per-request timeout (default ${DEFAULT-VALUE})")
    Duration timeout;

    @Option(names = "--event-loops", defaultValue = "0",
            description = "Event loops of the generator; 0 = min(2, cores) (default ${DEFAULT-VALUE})")
    int eventLoops;

    @Option(names = "--watchers", defaultValue = "0",
            description = "Watch fan-out (Rafty, put or mixed): after the measured run, open this many SSE watchers on "
                    + "the key prefix (GET /v1/watch?prefix=...), round-robin over the endpoints, warm up and measure "
                    + "again; prints a RESULT line per phase (watchers=0, watchers=N) and a WATCH line: deliveries/s, "
                    + "write-to-watch latency, missed and cancelled. The latency runs from sending the PUT to a "
                    + "watcher receiving its revision, so it includes the write's commit latency: an upper bound of "
                    + "commit-to-watcher latency (default ${DEFAULT-VALUE})")
    int watchers;

    @Option(names = "--watch-prefix",
            description = "The watchers' prefix (default: --key-prefix, so every write is an event for every watcher). "
                    + "A prefix the writes do not fall under measures what watchers cost while they are sent nothing")
    String watchPrefix;

    @Option(names = "--kept-leases", defaultValue = "0",
            description = "Lease load (Rafty, put or mixed): after the measured run, grant this many leases and keep "
                    + "each alive every --lease-ttl/3, spread evenly over time and the endpoints, beside the writers "
                    + "(and the --watchers, if any), then warm up and measure again; prints a RESULT line per phase "
                    + "and a LEASES line: keepalives/s, their latency, failed, lost (expired while kept), lateness "
                    + "(default ${DEFAULT-VALUE})")
    int keptLeases;

    @Option(names = "--lease-ttl", defaultValue = "30s", converter = DurationConverter.class,
            description = "TTL of the --kept-leases, whole seconds (default ${DEFAULT-VALUE})")
    Duration leaseTtl;

    @Override
    public Integer call() {
        BenchSettings settings = validate();
        // The command line's writer (stdout from the jar, an autoflushing writer: the progress lines appear
        // as they are printed), so that a caller such as a test reads the figures it ran.
        return new LoadGenerator(settings, spec.commandLine().getOut()).run();
    }

    /** Checks every option against its limit; throws a {@link ParameterException} naming the first problem. */
    BenchSettings validate() {
        List<URI> uris = new ArrayList<>();
        for (String endpoint : endpoints) {
            uris.add(endpoint(endpoint.trim()));
        }
        if (uris.isEmpty()) {
            throw bad("--endpoints needs at least one URL");
        }
        if (clients < 1 || clients > MAX_CLIENTS) {
            throw bad("--clients must be 1.." + MAX_CLIENTS + ", was " + clients);
        }
        if (duration.isZero() || duration.isNegative()) {
            throw bad("--duration must be positive, was " + duration.toMillis() + "ms");
        }
        if (warmup.isNegative()) {
            throw bad("--warmup must not be negative");
        }
        if (keys < 1) {
            throw bad("--keys must be at least 1, was " + keys);
        }
        if (valueSize < 0 || valueSize > MAX_VALUE_BYTES) {
            throw bad("--value-size must be 0.." + MAX_VALUE_BYTES + ", was " + valueSize);
        }
        if (readPercent < 0 || readPercent > 100) {
            throw bad("--read-percent must be 0..100, was " + readPercent);
        }
        if (!keyPrefix.matches("[A-Za-z0-9/_.-]*")) {
            throw bad("--key-prefix may hold only letters, digits and / _ . -");
        }
        if (timeout.isZero() || timeout.isNegative()) {
            throw bad("--timeout must be positive");
        }
        if (eventLoops < 0 || eventLoops > 64) {
            throw bad("--event-loops must be 0..64, was " + eventLoops);
        }
        if (watchers < 0 || watchers > MAX_WATCHERS) {
            throw bad("--watchers must be 0.." + MAX_WATCHERS + ", was " + watchers);
        }
        if (watchPrefix != null && watchers == 0) {
            throw bad("--watch-prefix needs --watchers");
        }
        if (watchPrefix != null && !watchPrefix.matches("[A-Za-z0-9/_.-]+")) {
            throw bad("--watch-prefix may hold only letters, digits and / _ . - (and not be empty)");
        }
        if (watchers > 0 && target != Target.rafty) {
            throw bad("--watchers works with --target rafty only (it opens Rafty's SSE watch streams)");
        }
        if (keptLeases < 0 || keptLeases > MAX_KEPT_LEASES) {
            throw bad("--kept-leases must be 0.." + MAX_KEPT_LEASES + ", was " + keptLeases);
        }
        if (leaseTtl.toMillis() % 1000 != 0 || leaseTtl.toSeconds() < MIN_LEASE_TTL_SECONDS
                || leaseTtl.toSeconds() > MAX_LEASE_TTL_SECONDS) {
            throw bad("--lease-ttl must be whole seconds, " + MIN_LEASE_TTL_SECONDS + ".." + MAX_LEASE_TTL_SECONDS
                    + ", was " + leaseTtl.toMillis() + "ms");
        }
        if (keptLeases > 0 && target != Target.rafty) {
            throw bad("--kept-leases works with --target rafty only (it uses Rafty's /v1/leases)");
        }
        if (keptLeases > 0 && workload != Workload.put && workload != Workload.mixed) {
            throw bad("--kept-leases needs --workload put or mixed: it measures writes beside kept leases");
        }
        if (target == Target.zookeeper) {
            zookeeperOnly();
        }
        if ((workload == Workload.txn || workload == Workload.keepalive) && target != Target.rafty) {
            throw bad("--workload " + workload + " works with --target rafty only");
        }
        if (watchers > 0 && workload == Workload.keepalive) {
            throw bad("--watchers needs --workload put or mixed: a keepalive run writes nothing to watch");
        }
        if (watchers > 0 && workload == Workload.txn) {
            throw bad("--watchers needs --workload put or mixed: a transaction's answer carries several revisions");
        }
        if (watchers > 0 && workload == Workload.get) {
            throw bad("--watchers needs --workload put or mixed: a get run writes nothing to watch");
        }
        BenchTls tls = tls(uris);
        int loops = eventLoops == 0 ? Math.min(2, Runtime.getRuntime().availableProcessors()) : eventLoops;
        boolean preload = !noPreload && workload != Workload.put;
        return new BenchSettings(target, List.copyOf(uris), clients, duration, warmup, workload, keys, valueSize,
                readPercent, stale, preload, keyPrefix, timeout, loops, watchers,
                watchPrefix == null ? keyPrefix : watchPrefix, keptLeases, leaseTtl, tls,
                target == Target.zookeeper ? null : token());
    }

    /** What a zookeeper run cannot do, each a usage error rather than a run of failed requests. */
    private void zookeeperOnly() {
        if (workload == Workload.txn || workload == Workload.keepalive) {
            throw bad("--workload " + workload + " works with --target rafty only; zookeeper runs put, get or mixed");
        }
        if (caCert != null || cert != null || key != null) {
            throw bad("--cacert, --cert and --key are not for --target zookeeper (its client is plaintext here)");
        }
        String path = ZooKeeperSender.path(keyPrefix, 0);
        try {
            PathUtils.validatePath(path);
        } catch (IllegalArgumentException e) {
            throw bad("--key-prefix '" + keyPrefix + "' makes the znode path " + path + ", which ZooKeeper refuses: "
                    + e.getMessage());
        }
    }

    /** A token to send with every request: {@code $RAFTY_TOKEN} (the CLI's variable), or null when unset or blank. */
    private static String token() {
        String token = System.getenv(TOKEN_ENV);
        return token == null || token.isBlank() ? null : token.strip();
    }

    /** The TLS files, read and checked now (so a bad one is a usage error, not a run of failed requests). */
    private BenchTls tls(List<URI> uris) {
        boolean https = uris.stream().anyMatch(uri -> "https".equalsIgnoreCase(uri.getScheme()));
        if (https && target == Target.etcdGrpc) {
            throw bad("https:// endpoints work with --target rafty or etcd; etcd-grpc speaks h2c only");
        }
        if (caCert == null && cert == null && key == null) {
            return BenchTls.NONE;
        }
        if (!https) {
            throw bad("--cacert, --cert and --key are for https:// endpoints");
        }
        try {
            // Builds the context once only to check the files: one line naming the file and the problem.
            TlsFiles.sslContext(cert, "--cert", key, "--key", caCert, "--cacert");
        } catch (ConfigException e) {
            throw bad(e.getMessage());
        }
        return new BenchTls(caCert, cert, key);
    }

    private URI endpoint(String text) {
        if (target == Target.zookeeper) {
            return zookeeperEndpoint(text);
        }
        URI uri;
        try {
            uri = URI.create(text);
        } catch (IllegalArgumentException e) {
            throw bad("endpoint '" + text + "' is not a URL");
        }
        if (!("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))
                || uri.getHost() == null || uri.getPort() < 1) {
            throw bad("endpoint '" + text + "' must look like http://host:port or https://host:port");
        }
        String path = uri.getRawPath();
        if (path != null && !path.isEmpty() && !path.equals("/")) {
            throw bad("endpoint '" + text + "' must not have a path");
        }
        return uri;
    }

    /** A ZooKeeper client port, {@code host:port}, kept as the URI {@code zookeeper://host:port}. */
    private URI zookeeperEndpoint(String text) {
        if (!text.matches("[A-Za-z0-9.\\[\\]:-]+:[0-9]{1,5}")) {
            throw bad("endpoint '" + text + "' must look like host:port for --target zookeeper (e.g. 127.0.0.1:2181)");
        }
        URI uri;
        try {
            uri = URI.create("zookeeper://" + text);
        } catch (IllegalArgumentException e) {
            throw bad("endpoint '" + text + "' is not host:port");
        }
        if (uri.getHost() == null || uri.getPort() < 1 || uri.getPort() > 65535) {
            throw bad("endpoint '" + text + "' must look like host:port for --target zookeeper (e.g. 127.0.0.1:2181)");
        }
        return uri;
    }

    private ParameterException bad(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    /** {@code rafty}, {@code etcd}, {@code etcd-grpc} or {@code zookeeper}. */
    static final class TargetConverter implements CommandLine.ITypeConverter<Target> {
        @Override
        public Target convert(String value) {
            return Target.named(value.trim());
        }
    }

    /** {@code 30s}, {@code 500ms}, {@code 2m}, {@code 1h}, or a bare number of seconds. */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            String text = value.trim().toLowerCase(Locale.ROOT);
            try {
                if (text.endsWith("ms")) {
                    return Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2)));
                }
                if (text.endsWith("s")) {
                    return Duration.ofMillis(Math.round(Double.parseDouble(text.substring(0, text.length() - 1)) * 1000));
                }
                if (text.endsWith("m")) {
                    return Duration.ofSeconds(Long.parseLong(text.substring(0, text.length() - 1)) * 60);
                }
                if (text.endsWith("h")) {
                    return Duration.ofHours(Long.parseLong(text.substring(0, text.length() - 1)));
                }
                return Duration.ofMillis(Math.round(Double.parseDouble(text) * 1000));
            } catch (NumberFormatException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a duration (try 30s, 500ms, 2m)");
            }
        }
    }
}
