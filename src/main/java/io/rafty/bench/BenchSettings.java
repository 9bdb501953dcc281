package io.rafty.bench;

import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * A validated bench run.
 *
 * @param target       which server's API the requests use
 * @param endpoints    base URLs (zookeeper: {@code zookeeper://host:port}, a client port); client {@code i}
 *                     talks to {@code endpoints[i % size]}
 * @param clients      closed-loop clients, one request in flight each
 * @param duration     measured time
 * @param warmup       load before the measured time, not recorded
 * @param workload     what each request is
 * @param keys         distinct keys, picked uniformly at random
 * @param valueBytes   bytes per written value
 * @param readPercent  share of reads in the mixed workload
 * @param stale        reads ask for {@code consistency=stale} (etcd: a serializable range; zookeeper: getData
 *                     without sync, sequentially consistent only)
 * @param preload      write every key once before the run
 * @param keyPrefix    prefix of every key
 * @param timeout      per-request timeout
 * @param eventLoops   event loops of the generator's Vert.x
 * @param watchers     SSE watchers of the second, loaded phase; 0 for none
 * @param watchPrefix  the watchers' prefix: the key prefix unless {@code --watch-prefix} says otherwise
 * @param keptLeases   leases granted for the second, loaded phase and kept alive every {@code leaseTtl / 3}
 *                     through it ({@link LeaseKeeper}); 0 for none. With no watchers and no kept leases the
 *                     run has one phase
 * @param leaseTtl     the kept leases' TTL
 * @param tls          CA and client certificate for {@code https://} endpoints
 * @param token        a token from {@code POST /v1/auth/token} sent as {@code Authorization: Bearer} with
 *                     every HTTP request ({@code $RAFTY_TOKEN}, as the CLI), or null
 */
public record BenchSettings(BenchCommand.Target target, List<URI> endpoints, int clients, Duration duration,
                            Duration warmup, BenchCommand.Workload workload, int keys, int valueBytes, int readPercent,
                            boolean stale, boolean preload, String keyPrefix, Duration timeout, int eventLoops,
                            int watchers, String watchPrefix, int keptLeases, Duration leaseTtl, BenchTls tls, String token) {

    /** Every write falls under the watchers' prefix, so each is an event for every watcher. */
    public boolean watchersSeeWrites() {
        return keyPrefix.startsWith(watchPrefix);
    }

    /** The run has a second phase, under watchers or kept leases. */
    public boolean loadedPhase() {
        return watchers > 0 || keptLeases > 0;
    }

    @Override
    public String toString() {
        // The token is a credential: never printed.
        return "BenchSettings[target=" + target + ", endpoints=" + endpoints + ", clients=" + clients
                + ", workload=" + workload + ", token=" + (token == null ? "none" : "redacted") + "]";
    }
}
