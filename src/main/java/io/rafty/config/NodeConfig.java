package io.rafty.config;

import io.rafty.raft.RaftConfig;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Everything one node needs to start: who it is, where it listens and stores, who its peers are, and
 * every tunable limit. Built by {@link ConfigLoader}; the constructor validates, so an instance is
 * always runnable as far as configuration alone can tell (a port in use or a locked storage directory
 * are found later, by the bind and by RocksDB).
 *
 * <p>Every name carries its unit. The defaults are the {@code DEFAULT_*} constants; the table in the
 * package documentation lists them with their config-file keys and environment variables.
 *
 * @param id                      this node's id, positive and unique in the cluster
 * @param host                    the address the HTTP server binds to
 * @param port                    the HTTP port, serving both the client API and peer RPC
 * @param storageDir              the RocksDB directory, relative to the working directory unless absolute
 * @param peers                   the other voters; never contains {@code id}
 * @param tickIntervalMs          how long one Raft tick is on the wall clock
 * @param electionTimeoutTicksMin the smallest randomized election timeout, in ticks
 * @param electionTimeoutTicksMax the largest randomized election timeout, in ticks (inclusive)
 * @param heartbeatIntervalTicks  how often a leader sends heartbeats, in ticks
 * @param preVote                 run a PreVote round before a real election (thesis §9.6)
 * @param checkQuorum             a leader steps down when it has not heard from a quorum for an election timeout
 * @param asyncStorageWrites      while a log persist is in flight, messages that promise nothing durable
 *                                (appends, heartbeats and their answers, read confirmations) leave at once
 * @param maxKeyBytes             the longest key, in bytes after URL-decoding
 * @param maxValueBytes           the largest value a client may store
 * @param maxRequestBodyBytes     the largest client request body; a PUT body is the value itself, so this
 *                                defaults to {@code maxValueBytes} and may not be smaller
 * @param maxHeaderBytes          the total size of one request's HTTP headers
 * @param maxInitialLineBytes     the longest HTTP request line (method, path with query, version); a
 *                                percent-encoded 1 KiB key alone can take 3 KiB of it
 * @param maxQueryParams          the most query parameters one client request may carry
 * @param maxListLimit            the largest page a prefix listing returns ({@code ?limit=} is capped to it)
 * @param maxPendingProposals     client writes waiting for commit on one node before new ones get 503
 * @param maxMessageBytes         entries in one AppendEntries are cut at about this many bytes (at least one
 *                                entry is always sent, so a peer's request body may reach this plus one value)
 * @param maxInflightMessages     appends in flight to one follower before the leader waits for acknowledgements
 * @param maxUncommittedBytes     the leader refuses proposals while this many bytes are appended but uncommitted
 * @param peerRequestTimeoutMs    how long one peer RPC may take before it counts as lost
 * @param clientRequestTimeoutMs  how long a client write may wait for commit before it gets 504 outcome_unknown
 * @param maxPendingReads         linearizable reads waiting for a ReadIndex round on one node before new ones get 503
 * @param httpIdleTimeoutMs       an HTTP connection on which nothing was read or written for this long is closed, so
 *                                stalled or abandoned partial requests cannot hold connections forever
 * @param snapshotEntries         take a snapshot (and compact the log) after this many applied entries
 * @param snapshotLogBytes        ... or after this many log bytes written since the last snapshot
 * @param snapshotTailEntries     log entries kept after a snapshot, so a slightly slow follower catches up
 *                                from the log instead of by a whole snapshot
 * @param snapshotChunkBytes      the size of one chunk when a snapshot is streamed to a follower
 * @param learnerPromotionLagEntries a learner added for automatic promotion becomes a voter once it is
 *                                this close to the leader's log
 * @param join                    the base URL of any member of an existing cluster to join (empty: none);
 *                                the node then learns the members from it instead of from {@code peers}
 * @param maxApplyQueueBytes      committed entries waiting for the state machine, in bytes; beyond it the node
 *                                leaves further committed entries in the log until the state machine catches up
 * @param maxForwardedBytes       bytes of writes a follower has forwarded to the leader and not yet heard back
 *                                about; beyond it new writes on that follower get 503 overloaded
 * @param maxPeerQueueBytes       bytes of messages queued for one peer while its connection is busy; beyond it new
 *                                messages to that peer are dropped (Raft resends what matters)
 * @param maxReadBatchBytes       bytes of values one batch of key lookups may carry back from the worker; the rest
 *                                of the batch goes in the next one
 * @param historyRetentionRevisions the leader compacts the history older than this many revisions (0: no bound)
 * @param historyRetentionMs      ... and older than this many milliseconds (0: no bound); both 0 turns automatic
 *                                compaction off
 * @param historyCompactionIntervalMs how often the leader checks whether to compact the history
 * @param historyPurgeBatchRecords history records one background purge step looks at
 * @param maxWatchers             watch streams one node serves at once; more get 503 overloaded
 * @param maxWatcherQueueBytes    bytes queued for one watcher that does not read fast enough; beyond it the
 *                                stream is cancelled with {@code slow_watcher}
 * @param watchPageEvents         events in one page of history read for a watcher that catches up
 * @param watchProgressMs         how long a watch stream stays silent before a progress message, unless the
 *                                client asks otherwise with {@code ?progressMs=} (0: none)
 * @param maxTxnOps               the most compares, and the most ops in each branch, of one transaction
 * @param idempotencyWindowRevisions how many revisions a write made with an {@code Idempotency-Key} is
 *                                remembered for: a retry within them is answered with the first result
 * @param maxLeases               leases the cluster holds at most; a grant beyond gets 503 overloaded
 * @param maxLeaseTtlSeconds      the longest TTL a lease may ask for
 * @param leaseCheckpointIntervalMs how often the leader writes the remaining time of leases longer than
 *                                this to the log (0: never)
 * @param backupChunkBytes        the most bytes of a backup ({@code GET /v1/snapshot}) read from storage and
 *                                written to the response at a time
 * @param maxBackupStreams        backups a node streams at once (each holds a RocksDB snapshot open); one more
 *                                gets 503 overloaded
 * @param readyMaxApplyLagEntries {@code GET /readyz} answers 503 while the node's applied index is more than this
 *                                many entries behind the commit index it knows
 * @param metricsEnabled          serve {@code GET /metrics} (Prometheus text) and record what it shows; off, the
 *                                node keeps no registry and the route answers 404
 * @param etcdPort                the port of the etcd v3 gRPC API (DESIGN §5) on {@code host}; 0 (the default)
 *                                serves none
 * @param etcdMaxMessageBytes     the largest gRPC message the etcd API accepts or sends; a bigger request is
 *                                refused with RESOURCE_EXHAUSTED, a bigger range answer too
 * @param etcdMaxKeepAlivesInFlight keepalives one etcd LeaseKeepAlive stream may have waiting for their answers;
 *                                a client that sends more is cut off with "etcdserver: too many requests"
 * @param clusterSecret           the secret every peer request proves ({@code io.rafty.security.PeerAuth}); null
 *                                when none is configured: the peer routes are then open to anyone who can reach
 *                                the port, as the node warns at startup. When null and {@code clusterSecretFile}
 *                                is set, it is read from that file
 * @param clusterSecretFile       the file the cluster secret is read from, or null
 * @param peerAuthMaxClockSkewMs  a signed peer request is refused when its timestamp is further than this from this
 *                                node's clock, in either direction (replays older than it are refused outright)
 * @param peerAuthNonceCacheEntries the most recent peer-request nonces remembered to refuse replays; when full, the
 *                                oldest are forgotten and requests as old as them refused, so the window shrinks
 *                                under load but a replay is never accepted
 * @param maxLogListLimit         the most log entries {@code GET /v1/raft/log} lists ({@code ?limit=} above it is 400)
 * @param tlsCert                 PEM certificate chain served on the client port and the etcd port (null: plaintext)
 * @param tlsKey                  PEM private key of {@code tlsCert}
 * @param tlsCa                   PEM CA(s) that client certificates must chain to; only with {@code tlsClientAuth}
 * @param tlsClientAuth           require a client certificate signed by {@code tlsCa} on both client ports
 * @param peerTlsCert             PEM certificate this node presents to its peers (and serves on the shared port when
 *                                {@code tlsCert} is not set); with {@code peerTlsKey} and {@code peerTlsCa}, peers
 *                                talk mutual TLS and {@code /raft/*} needs a client certificate from that CA
 * @param peerTlsKey              PEM private key of {@code peerTlsCert}
 * @param peerTlsCa               PEM CA(s) every peer's certificate, client and server side, must chain to
 * @param auth                    users, roles and tokens on the client API and the etcd port (docs/SECURITY.md);
 *                                needs a root password
 * @param authRootPassword        the password the user root gets when auth is first enabled; null: none given
 *                                here (then read from {@code authRootPasswordFile})
 * @param authRootPasswordFile    the file the root password is read from, or null
 * @param authBcryptCost          bcrypt's cost for password hashes (2^cost rounds)
 * @param authTokenTtlS           how long a token from {@code POST /v1/auth/token} is good for, in seconds
 * @param authMetricsOpen         with auth on, {@code GET /metrics} stays open (true) or needs the root role
 * @param authHeaderBytesMax      the longest {@code Authorization} header accepted; longer is 401
 */
public record NodeConfig(
        int id, String host, int port, Path storageDir, List<Peer> peers,
        int tickIntervalMs, int electionTimeoutTicksMin, int electionTimeoutTicksMax, int heartbeatIntervalTicks,
        boolean preVote, boolean checkQuorum, boolean asyncStorageWrites,
        int maxKeyBytes, int maxValueBytes, int maxRequestBodyBytes, int maxHeaderBytes, int maxInitialLineBytes,
        int maxQueryParams, int maxListLimit,
        int maxPendingProposals, int maxMessageBytes, int maxInflightMessages, long maxUncommittedBytes,
        int peerRequestTimeoutMs, int clientRequestTimeoutMs, int maxPendingReads, int httpIdleTimeoutMs,
        long snapshotEntries, long snapshotLogBytes, long snapshotTailEntries, int snapshotChunkBytes,
        long learnerPromotionLagEntries, String join,
        long maxApplyQueueBytes, long maxForwardedBytes, long maxPeerQueueBytes, long maxReadBatchBytes,
        long historyRetentionRevisions, long historyRetentionMs, int historyCompactionIntervalMs,
        int historyPurgeBatchRecords, int maxWatchers, long maxWatcherQueueBytes, int watchPageEvents,
        int watchProgressMs, int maxTxnOps, long idempotencyWindowRevisions, int maxLeases, long maxLeaseTtlSeconds,
        long leaseCheckpointIntervalMs, int backupChunkBytes, int maxBackupStreams,
        long readyMaxApplyLagEntries, boolean metricsEnabled, int etcdPort, int etcdMaxMessageBytes,
        int etcdMaxKeepAlivesInFlight, ClusterSecret clusterSecret, Path clusterSecretFile, int peerAuthMaxClockSkewMs,
        int peerAuthNonceCacheEntries, int maxLogListLimit,
        Path tlsCert, Path tlsKey, Path tlsCa, boolean tlsClientAuth, Path peerTlsCert, Path peerTlsKey,
        Path peerTlsCa,
        boolean auth, RootPassword authRootPassword, Path authRootPasswordFile, int authBcryptCost, int authTokenTtlS,
        boolean authMetricsOpen, int authHeaderBytesMax) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_TICK_INTERVAL_MS = 50;
    public static final int DEFAULT_ELECTION_TIMEOUT_TICKS_MIN = 10;
    public static final int DEFAULT_ELECTION_TIMEOUT_TICKS_MAX = 20;
    public static final int DEFAULT_HEARTBEAT_INTERVAL_TICKS = 2;
    public static final boolean DEFAULT_PRE_VOTE = true;
    public static final boolean DEFAULT_CHECK_QUORUM = true;
    /**
     * Off: on the 2-core benchmark machine the light Readies split a leader's appends into about three times
     * as many peer batches per write, and 64-client writes came out lower in four of five interleaved rounds
     * (BENCHMARKS.md, "Issue 19: asynchronous storage writes").
     */
    public static final boolean DEFAULT_ASYNC_STORAGE_WRITES = false;
    public static final boolean DEFAULT_METRICS_ENABLED = true;
    /** The etcd API is off unless a port is set. */
    public static final int DEFAULT_ETCD_PORT = 0;
    public static final int DEFAULT_ETCD_MAX_KEEPALIVES_IN_FLIGHT = 64;
    /** Room for a request body's worth of value plus the key, the other fields and the protobuf framing. */
    public static final int ETCD_MESSAGE_OVERHEAD_BYTES = 64 << 10;
    public static final int DEFAULT_MAX_KEY_BYTES = 1024;
    public static final int DEFAULT_MAX_VALUE_BYTES = 1 << 20;
    public static final int DEFAULT_MAX_HEADER_BYTES = 8192;
    public static final int DEFAULT_MAX_INITIAL_LINE_BYTES = 8192;
    public static final int DEFAULT_MAX_QUERY_PARAMS = 32;
    public static final int DEFAULT_MAX_LIST_LIMIT = 1000;
    public static final int DEFAULT_MAX_LOG_LIST_LIMIT = 100;
    public static final int DEFAULT_MAX_PENDING_PROPOSALS = 10_000;
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 1 << 20;
    public static final int DEFAULT_MAX_INFLIGHT_MESSAGES = 64;
    public static final long DEFAULT_MAX_UNCOMMITTED_BYTES = 64L << 20;
    public static final int DEFAULT_PEER_REQUEST_TIMEOUT_MS = 2000;
    public static final int DEFAULT_CLIENT_REQUEST_TIMEOUT_MS = 5000;
    public static final int DEFAULT_MAX_PENDING_READS = 10_000;
    public static final int DEFAULT_HTTP_IDLE_TIMEOUT_MS = 60_000;
    public static final long DEFAULT_SNAPSHOT_ENTRIES = 100_000;
    public static final long DEFAULT_SNAPSHOT_LOG_BYTES = 64L << 20;
    public static final long DEFAULT_SNAPSHOT_TAIL_ENTRIES = 1_000;
    public static final int DEFAULT_SNAPSHOT_CHUNK_BYTES = 1 << 20;
    public static final long DEFAULT_LEARNER_PROMOTION_LAG_ENTRIES = 100;
    public static final long DEFAULT_MAX_APPLY_QUEUE_BYTES = 64L << 20;
    public static final long DEFAULT_MAX_FORWARDED_BYTES = 64L << 20;
    public static final long DEFAULT_MAX_PEER_QUEUE_BYTES = 64L << 20;
    public static final long DEFAULT_MAX_READ_BATCH_BYTES = 16L << 20;
    /**
     * A million revisions: at this machine's full write rate about two minutes of history, at a typical
     * configuration-store rate days of it; bounded on disk either way (etcd's revision mode counts the same).
     */
    public static final long DEFAULT_HISTORY_RETENTION_REVISIONS = 1_000_000;
    /** One hour, the retention etcd's periodic auto-compaction is commonly run with. */
    public static final long DEFAULT_HISTORY_RETENTION_MS = 3_600_000;
    public static final int DEFAULT_HISTORY_COMPACTION_INTERVAL_MS = 10_000;
    public static final int DEFAULT_HISTORY_PURGE_BATCH_RECORDS = 1_000;
    public static final int DEFAULT_MAX_WATCHERS = 10_000;
    public static final long DEFAULT_MAX_WATCHER_QUEUE_BYTES = 4L << 20;
    public static final int DEFAULT_WATCH_PAGE_EVENTS = 1_000;
    public static final int DEFAULT_WATCH_PROGRESS_MS = 10_000;
    /** etcd's default {@code --max-txn-ops}. */
    public static final int DEFAULT_MAX_TXN_OPS = 128;
    /** As many revisions as the history keeps by default: a retry is recognized while its write's history is. */
    public static final long DEFAULT_IDEMPOTENCY_WINDOW_REVISIONS = 1_000_000;
    public static final int DEFAULT_MAX_LEASES = 1_000_000;
    /** etcd's largest lease TTL. */
    public static final long DEFAULT_MAX_LEASE_TTL_SECONDS = 9_000_000_000L;
    /** etcd's default checkpoint interval. */
    public static final long DEFAULT_LEASE_CHECKPOINT_INTERVAL_MS = 300_000;
    public static final int DEFAULT_BACKUP_CHUNK_BYTES = 1 << 20;
    public static final int DEFAULT_MAX_BACKUP_STREAMS = 2;
    /**
     * Five apply batches: a node under full write load applies a batch behind commit and stays ready, one whose
     * state machine falls this far behind is not. etcd stops taking proposals at the same gap between its
     * commit and apply indexes (maxGapBetweenApplyAndCommitIndex), raised there from 1000 when 1000 refused
     * requests under benchmark load.
     */
    public static final long DEFAULT_READY_MAX_APPLY_LAG_ENTRIES = 5_000;
    /** Generous for a LAN whose clocks NTP keeps within milliseconds; a replay cannot be older than this. */
    public static final int DEFAULT_PEER_AUTH_MAX_CLOCK_SKEW_MS = 30_000;
    /**
     * Ten seconds of peer requests at 10 000 a second; about 100 bytes each, so about 10 MB when full.
     */
    public static final int DEFAULT_PEER_AUTH_NONCE_CACHE_ENTRIES = 100_000;
    public static final boolean DEFAULT_AUTH = false;
    /** bcrypt's usual cost: tens of milliseconds per check on this kind of machine. */
    public static final int DEFAULT_AUTH_BCRYPT_COST = 10;
    /** etcd's default simple-token TTL is 300 s too. */
    public static final int DEFAULT_AUTH_TOKEN_TTL_S = 300;
    public static final boolean DEFAULT_AUTH_METRICS_OPEN = true;
    /** A Rafty token is about 120 bytes; a header far longer is not one. */
    public static final int DEFAULT_AUTH_HEADER_BYTES_MAX = 1024;

    /** The storage directory used when none is configured: {@code data/node<id>}. */
    public static Path defaultStorageDir(int id) {
        return Path.of("data", "node" + id);
    }

    public NodeConfig {
        if (id <= 0) {
            throw new ConfigException("id", "id must be a positive integer, was " + id);
        }
        if (host == null || host.isBlank() || !host.equals(host.strip())) {
            throw new ConfigException("host", "host must be a non-blank address without spaces, was "
                    + (host == null ? "null" : Peer.quote(host)));
        }
        if (port < 0 || port > 65535) {
            // 0 asks the OS for a free port (tests bind ephemeral ports this way).
            throw new ConfigException("port", "port must be between 1 and 65535 (or 0 for any free port), was " + port);
        }
        if (storageDir == null || storageDir.toString().isBlank()) {
            throw new ConfigException("storageDir", "storageDir must not be empty");
        }
        peers = List.copyOf(peers);
        Set<Integer> peerIds = new HashSet<>();
        Set<String> peerUrls = new HashSet<>();
        for (Peer peer : peers) {
            if (peer.id() == id) {
                throw new ConfigException("peers", "peers must not contain this node's own id " + id + " ("
                        + peer.url() + ")");
            }
            if (!peerIds.add(peer.id())) {
                throw new ConfigException("peers", "peers contain id " + peer.id() + " more than once");
            }
            if (!peerUrls.add(peer.url())) {
                throw new ConfigException("peers", "peers contain url " + peer.url() + " more than once");
            }
        }
        positive("tickIntervalMs", tickIntervalMs);
        positive("heartbeatIntervalTicks", heartbeatIntervalTicks);
        if (electionTimeoutTicksMin <= heartbeatIntervalTicks) {
            // A follower must hear several heartbeats per election timeout, or it campaigns against a live leader.
            throw new ConfigException("electionTimeoutTicksMin", "electionTimeoutTicksMin (" + electionTimeoutTicksMin
                    + ") must be greater than heartbeatIntervalTicks (" + heartbeatIntervalTicks + ")");
        }
        if (electionTimeoutTicksMax < electionTimeoutTicksMin) {
            throw new ConfigException("electionTimeoutTicksMax", "electionTimeoutTicksMax (" + electionTimeoutTicksMax
                    + ") must be at least electionTimeoutTicksMin (" + electionTimeoutTicksMin + ")");
        }
        positive("maxKeyBytes", maxKeyBytes);
        positive("maxValueBytes", maxValueBytes);
        positive("maxRequestBodyBytes", maxRequestBodyBytes);
        if (maxRequestBodyBytes < maxValueBytes) {
            throw new ConfigException("maxRequestBodyBytes", "maxRequestBodyBytes (" + maxRequestBodyBytes
                    + ") must be at least maxValueBytes (" + maxValueBytes + "), since a PUT body is the value");
        }
        positive("maxHeaderBytes", maxHeaderBytes);
        positive("maxInitialLineBytes", maxInitialLineBytes);
        positive("maxQueryParams", maxQueryParams);
        positive("maxListLimit", maxListLimit);
        positive("maxPendingProposals", maxPendingProposals);
        positive("maxMessageBytes", maxMessageBytes);
        positive("maxInflightMessages", maxInflightMessages);
        positive("maxUncommittedBytes", maxUncommittedBytes);
        positive("peerRequestTimeoutMs", peerRequestTimeoutMs);
        positive("clientRequestTimeoutMs", clientRequestTimeoutMs);
        positive("maxPendingReads", maxPendingReads);
        positive("httpIdleTimeoutMs", httpIdleTimeoutMs);
        positive("snapshotEntries", snapshotEntries);
        positive("snapshotLogBytes", snapshotLogBytes);
        if (snapshotTailEntries < 0) {
            throw new ConfigException("snapshotTailEntries", "snapshotTailEntries must not be negative, was "
                    + snapshotTailEntries);
        }
        positive("snapshotChunkBytes", snapshotChunkBytes);
        positive("learnerPromotionLagEntries", learnerPromotionLagEntries);
        positive("maxApplyQueueBytes", maxApplyQueueBytes);
        positive("maxForwardedBytes", maxForwardedBytes);
        positive("maxPeerQueueBytes", maxPeerQueueBytes);
        positive("maxReadBatchBytes", maxReadBatchBytes);
        notNegative("historyRetentionRevisions", historyRetentionRevisions);
        notNegative("historyRetentionMs", historyRetentionMs);
        positive("historyCompactionIntervalMs", historyCompactionIntervalMs);
        positive("historyPurgeBatchRecords", historyPurgeBatchRecords);
        positive("maxWatchers", maxWatchers);
        positive("maxWatcherQueueBytes", maxWatcherQueueBytes);
        positive("watchPageEvents", watchPageEvents);
        notNegative("watchProgressMs", watchProgressMs);
        positive("maxTxnOps", maxTxnOps);
        positive("idempotencyWindowRevisions", idempotencyWindowRevisions);
        positive("maxLeases", maxLeases);
        positive("maxLeaseTtlSeconds", maxLeaseTtlSeconds);
        if (maxLeaseTtlSeconds > DEFAULT_MAX_LEASE_TTL_SECONDS) {
            throw new ConfigException("maxLeaseTtlSeconds", "maxLeaseTtlSeconds must be at most "
                    + DEFAULT_MAX_LEASE_TTL_SECONDS + ", was " + maxLeaseTtlSeconds);
        }
        notNegative("leaseCheckpointIntervalMs", leaseCheckpointIntervalMs);
        positive("backupChunkBytes", backupChunkBytes);
        positive("maxBackupStreams", maxBackupStreams);
        notNegative("readyMaxApplyLagEntries", readyMaxApplyLagEntries);
        if (etcdPort < 0 || etcdPort > 65535) {
            throw new ConfigException("etcdPort", "etcdPort must be between 1 and 65535 (or 0: no etcd API), was "
                    + etcdPort);
        }
        if (etcdPort != 0 && etcdPort == port) {
            throw new ConfigException("etcdPort", "etcdPort must differ from port (" + port + ")");
        }
        positive("etcdMaxKeepAlivesInFlight", etcdMaxKeepAlivesInFlight);
        positive("maxLogListLimit", maxLogListLimit);
        if (etcdMaxMessageBytes < maxValueBytes) {
            throw new ConfigException("etcdMaxMessageBytes", "etcdMaxMessageBytes (" + etcdMaxMessageBytes
                    + ") must be at least maxValueBytes (" + maxValueBytes + "), or a put of the largest value is refused");
        }
        if (clusterSecret == null && clusterSecretFile != null) {
            clusterSecret = ClusterSecret.read(clusterSecretFile);
        }
        positive("peerAuthMaxClockSkewMs", peerAuthMaxClockSkewMs);
        positive("peerAuthNonceCacheEntries", peerAuthNonceCacheEntries);
        if (authRootPassword != null && authRootPasswordFile != null) {
            throw new ConfigException("authRootPassword", "set either the root password or the file that holds it, "
                    + "not both (authRootPassword / KVSTORE_AUTH_ROOT_PASSWORD, authRootPasswordFile / "
                    + "KVSTORE_AUTH_ROOT_PASSWORD_FILE)");
        }
        if (authRootPassword == null && authRootPasswordFile != null) {
            authRootPassword = RootPassword.read(authRootPasswordFile);
        }
        if (auth && authRootPassword == null) {
            throw new ConfigException("auth", "auth is on but there is no root password: set "
                    + "KVSTORE_AUTH_ROOT_PASSWORD_FILE (preferred) or KVSTORE_AUTH_ROOT_PASSWORD");
        }
        if (authBcryptCost < 4 || authBcryptCost > 31) {
            throw new ConfigException("authBcryptCost", "authBcryptCost must be between 4 and 31, was "
                    + authBcryptCost);
        }
        positive("authTokenTtlS", authTokenTtlS);
        positive("authHeaderBytesMax", authHeaderBytesMax);
        join = join == null ? "" : join.trim();
        if (!join.isEmpty()) {
            if (!join.startsWith("http://") && !join.startsWith("https://")) {
                throw new ConfigException("join", "join must be a member's URL such as http://127.0.0.1:3001, was "
                        + join);
            }
        }
        TlsFiles.check(tlsCert, tlsKey, tlsCa, tlsClientAuth, peerTlsCert, peerTlsKey, peerTlsCa, peers, join);
    }

    /** A node with every tunable at its default, for tests and embedding. */
    public static NodeConfig defaults(int id, int port, List<Peer> peers) {
        return new NodeConfig(id, DEFAULT_HOST, port, defaultStorageDir(id), peers,
                DEFAULT_TICK_INTERVAL_MS, DEFAULT_ELECTION_TIMEOUT_TICKS_MIN, DEFAULT_ELECTION_TIMEOUT_TICKS_MAX,
                DEFAULT_HEARTBEAT_INTERVAL_TICKS, DEFAULT_PRE_VOTE, DEFAULT_CHECK_QUORUM, DEFAULT_ASYNC_STORAGE_WRITES,
                DEFAULT_MAX_KEY_BYTES, DEFAULT_MAX_VALUE_BYTES, DEFAULT_MAX_VALUE_BYTES, DEFAULT_MAX_HEADER_BYTES,
                DEFAULT_MAX_INITIAL_LINE_BYTES, DEFAULT_MAX_QUERY_PARAMS, DEFAULT_MAX_LIST_LIMIT,
                DEFAULT_MAX_PENDING_PROPOSALS, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_INFLIGHT_MESSAGES,
                DEFAULT_MAX_UNCOMMITTED_BYTES, DEFAULT_PEER_REQUEST_TIMEOUT_MS, DEFAULT_CLIENT_REQUEST_TIMEOUT_MS,
                DEFAULT_MAX_PENDING_READS, DEFAULT_HTTP_IDLE_TIMEOUT_MS,
                DEFAULT_SNAPSHOT_ENTRIES, DEFAULT_SNAPSHOT_LOG_BYTES, DEFAULT_SNAPSHOT_TAIL_ENTRIES,
                DEFAULT_SNAPSHOT_CHUNK_BYTES, DEFAULT_LEARNER_PROMOTION_LAG_ENTRIES, "",
                DEFAULT_MAX_APPLY_QUEUE_BYTES, DEFAULT_MAX_FORWARDED_BYTES, DEFAULT_MAX_PEER_QUEUE_BYTES,
                DEFAULT_MAX_READ_BATCH_BYTES, DEFAULT_HISTORY_RETENTION_REVISIONS, DEFAULT_HISTORY_RETENTION_MS,
                DEFAULT_HISTORY_COMPACTION_INTERVAL_MS, DEFAULT_HISTORY_PURGE_BATCH_RECORDS, DEFAULT_MAX_WATCHERS,
                DEFAULT_MAX_WATCHER_QUEUE_BYTES, DEFAULT_WATCH_PAGE_EVENTS, DEFAULT_WATCH_PROGRESS_MS,
                DEFAULT_MAX_TXN_OPS, DEFAULT_IDEMPOTENCY_WINDOW_REVISIONS, DEFAULT_MAX_LEASES,
                DEFAULT_MAX_LEASE_TTL_SECONDS, DEFAULT_LEASE_CHECKPOINT_INTERVAL_MS, DEFAULT_BACKUP_CHUNK_BYTES,
                DEFAULT_MAX_BACKUP_STREAMS, DEFAULT_READY_MAX_APPLY_LAG_ENTRIES, DEFAULT_METRICS_ENABLED,
                DEFAULT_ETCD_PORT, DEFAULT_MAX_VALUE_BYTES + ETCD_MESSAGE_OVERHEAD_BYTES,
                DEFAULT_ETCD_MAX_KEEPALIVES_IN_FLIGHT, null, null, DEFAULT_PEER_AUTH_MAX_CLOCK_SKEW_MS,
                DEFAULT_PEER_AUTH_NONCE_CACHE_ENTRIES, DEFAULT_MAX_LOG_LIST_LIMIT,
                null, null, null, false, null, null, null,
                DEFAULT_AUTH, null, null, DEFAULT_AUTH_BCRYPT_COST, DEFAULT_AUTH_TOKEN_TTL_S,
                DEFAULT_AUTH_METRICS_OPEN, DEFAULT_AUTH_HEADER_BYTES_MAX);
    }

    /** Whether the shared client/peer port speaks TLS: with a client certificate, or with peer TLS. */
    public boolean httpTls() {
        return tlsCert != null || peerTlsCa != null;
    }

    /** The ids of every voter, this node included, in ascending order. */
    public List<Integer> memberIds() {
        return Stream.concat(Stream.of(id), peers.stream().map(Peer::id))
                .sorted().toList();
    }

    /** The Raft core's share of this configuration. */
    public RaftConfig raftConfig() {
        return RaftConfig.builder(id).electionTimeoutTicks(electionTimeoutTicksMin, electionTimeoutTicksMax)
                .heartbeatIntervalTicks(heartbeatIntervalTicks).messageBytesMax(maxMessageBytes)
                .inflightMessagesMax(maxInflightMessages).uncommittedBytesMax(maxUncommittedBytes).preVote(preVote)
                .checkQuorum(checkQuorum).asyncStorageWrites(asyncStorageWrites).build();
    }

    private static void notNegative(String key, long value) {
        if (value < 0) {
            throw new ConfigException(key, key + " must not be negative, was " + value);
        }
    }

    private static void positive(String key, long value) {
        if (value <= 0) {
            throw new ConfigException(key, key + " must be positive, was " + value);
        }
    }
}
