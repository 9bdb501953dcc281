/**
 * Node configuration: the {@link io.rafty.config.NodeConfig} record, its loading and its validation.
 *
 * <h2>Precedence</h2>
 *
 * <p>Built-in defaults &lt; a JSON config file &lt; the environment. The file is the first command-line
 * argument, or else the file named by {@code KVSTORE_CONFIG}; with neither, only defaults and the
 * environment apply. Relative paths (the file, {@code storageDir}) are relative to the working directory.
 *
 * <p>The file holds one JSON object whose keys are the camelCase names below, for example:
 * <pre>{@code
 * {"id": 1, "port": 3001, "storageDir": "data/node1",
 *  "peers": "2@http://127.0.0.1:3002;3@http://127.0.0.1:3003"}
 * }</pre>
 * In the file, {@code peers} is either that string or an array of objects,
 * {@code [{"id": 2, "url": "http://127.0.0.1:3002"}, ...]}. Types are strict: a port is {@code 3001},
 * not {@code "3001"}. Duplicate keys, trailing content, unknown keys and {@code null} values are errors.
 *
 * <p>Every key can also be set by an environment variable: {@code KVSTORE_} and the key in upper snake
 * case. Any other {@code KVSTORE_*} variable (a typo such as {@code KVSTORE_PROT}) is an error, so that a
 * misspelt override cannot be silently ignored. An empty {@code KVSTORE_PEERS} means no peers (a
 * single-node cluster).
 *
 * <h2>Keys</h2>
 *
 * <table>
 * <caption>Every setting</caption>
 * <tr><th>file key</th><th>environment</th><th>default</th><th>meaning</th></tr>
 * <tr><td>id</td><td>KVSTORE_ID</td><td>required</td><td>this node's id, a positive integer unique in the cluster</td></tr>
 * <tr><td>host</td><td>KVSTORE_HOST</td><td>127.0.0.1</td><td>the address the HTTP server binds to</td></tr>
 * <tr><td>port</td><td>KVSTORE_PORT</td><td>required</td><td>HTTP port (1–65535) for the client API and peer RPC</td></tr>
 * <tr><td>storageDir</td><td>KVSTORE_STORAGE_DIR</td><td>data/node&lt;id&gt;</td><td>RocksDB directory</td></tr>
 * <tr><td>peers</td><td>KVSTORE_PEERS</td><td>none</td><td>the other voters, {@code id@http(s)://host:port} joined by
 *     {@code ;}; must not contain this node's id, nor any id or URL twice</td></tr>
 * <tr><td>tickIntervalMs</td><td>KVSTORE_TICK_INTERVAL_MS</td><td>50</td><td>wall-clock length of one Raft tick</td></tr>
 * <tr><td>electionTimeoutTicksMin</td><td>KVSTORE_ELECTION_TIMEOUT_TICKS_MIN</td><td>10</td><td>smallest randomized
 *     election timeout; must exceed heartbeatIntervalTicks</td></tr>
 * <tr><td>electionTimeoutTicksMax</td><td>KVSTORE_ELECTION_TIMEOUT_TICKS_MAX</td><td>20</td><td>largest randomized
 *     election timeout (inclusive); at least the minimum</td></tr>
 * <tr><td>heartbeatIntervalTicks</td><td>KVSTORE_HEARTBEAT_INTERVAL_TICKS</td><td>2</td><td>leader heartbeat period</td></tr>
 * <tr><td>preVote</td><td>KVSTORE_PRE_VOTE</td><td>true</td><td>PreVote before elections (thesis §9.6)</td></tr>
 * <tr><td>checkQuorum</td><td>KVSTORE_CHECK_QUORUM</td><td>true</td><td>a leader that loses touch with a quorum steps down</td></tr>
 * <tr><td>asyncStorageWrites</td><td>KVSTORE_ASYNC_STORAGE_WRITES</td><td>false</td><td>while the log's synced write is
 *     in flight, appends, heartbeats, heartbeat answers and read confirmations leave at once (etcd's asynchronous
 *     storage writes); votes, acknowledgements and applies still wait for it. Off by default: see BENCHMARKS.md</td></tr>
 * <tr><td>maxKeyBytes</td><td>KVSTORE_MAX_KEY_BYTES</td><td>1024</td><td>longest key, bytes after URL-decoding</td></tr>
 * <tr><td>maxValueBytes</td><td>KVSTORE_MAX_VALUE_BYTES</td><td>1048576 (1 MiB)</td><td>largest value</td></tr>
 * <tr><td>maxRequestBodyBytes</td><td>KVSTORE_MAX_REQUEST_BODY_BYTES</td><td>maxValueBytes</td><td>largest client
 *     request body; a PUT body is the raw value, so it defaults to, and may not be below, maxValueBytes</td></tr>
 * <tr><td>maxHeaderBytes</td><td>KVSTORE_MAX_HEADER_BYTES</td><td>8192</td><td>total HTTP header size of one request</td></tr>
 * <tr><td>maxInitialLineBytes</td><td>KVSTORE_MAX_INITIAL_LINE_BYTES</td><td>8192</td><td>longest HTTP request line
 *     (a percent-encoded 1 KiB key alone can take 3 KiB)</td></tr>
 * <tr><td>maxQueryParams</td><td>KVSTORE_MAX_QUERY_PARAMS</td><td>32</td><td>query parameters per client request</td></tr>
 * <tr><td>maxListLimit</td><td>KVSTORE_MAX_LIST_LIMIT</td><td>1000</td><td>largest page of a prefix listing</td></tr>
 * <tr><td>maxPendingProposals</td><td>KVSTORE_MAX_PENDING_PROPOSALS</td><td>10000</td><td>client writes awaiting
 *     commit on one node; beyond it new writes get 503</td></tr>
 * <tr><td>maxMessageBytes</td><td>KVSTORE_MAX_MESSAGE_BYTES</td><td>1048576 (1 MiB)</td><td>entries per AppendEntries
 *     are cut at about this size; one entry is always sent, so a peer request body may reach this plus one
 *     value</td></tr>
 * <tr><td>maxInflightMessages</td><td>KVSTORE_MAX_INFLIGHT_MESSAGES</td><td>64</td><td>unacknowledged appends per
 *     follower</td></tr>
 * <tr><td>maxUncommittedBytes</td><td>KVSTORE_MAX_UNCOMMITTED_BYTES</td><td>67108864 (64 MiB)</td><td>the leader refuses
 *     proposals while this much is appended but uncommitted</td></tr>
 * <tr><td>peerRequestTimeoutMs</td><td>KVSTORE_PEER_REQUEST_TIMEOUT_MS</td><td>2000</td><td>one peer RPC</td></tr>
 * <tr><td>clientRequestTimeoutMs</td><td>KVSTORE_CLIENT_REQUEST_TIMEOUT_MS</td><td>5000</td><td>a client write waiting
 *     for commit, after which it gets 504 outcome_unknown</td></tr>
 * <tr><td>snapshotEntries</td><td>KVSTORE_SNAPSHOT_ENTRIES</td><td>100000</td><td>take a snapshot and compact the log
 *     after this many applied entries</td></tr>
 * <tr><td>snapshotLogBytes</td><td>KVSTORE_SNAPSHOT_LOG_BYTES</td><td>67108864 (64 MiB)</td><td>... or after this many
 *     log bytes</td></tr>
 * <tr><td>snapshotTailEntries</td><td>KVSTORE_SNAPSHOT_TAIL_ENTRIES</td><td>1000</td><td>entries kept after the
 *     snapshot point for slow followers</td></tr>
 * <tr><td>snapshotChunkBytes</td><td>KVSTORE_SNAPSHOT_CHUNK_BYTES</td><td>1048576 (1 MiB)</td><td>chunk size when
 *     streaming a snapshot to a follower</td></tr>
 * <tr><td>learnerPromotionLagEntries</td><td>KVSTORE_LEARNER_PROMOTION_LAG_ENTRIES</td><td>100</td><td>a learner
 *     added for automatic promotion becomes a voter once this close to the leader's log</td></tr>
 * <tr><td>join</td><td>KVSTORE_JOIN</td><td>none</td><td>URL of any member of a running cluster: a new node with
 *     empty storage learns the members from it (see the README's membership section)</td></tr>
 * <tr><td>maxPendingReads</td><td>KVSTORE_MAX_PENDING_READS</td><td>10000</td><td>linearizable reads awaiting a
 *     ReadIndex round on one node; beyond it new reads get 503 overloaded</td></tr>
 * <tr><td>httpIdleTimeoutMs</td><td>KVSTORE_HTTP_IDLE_TIMEOUT_MS</td><td>60000</td><td>an HTTP connection idle this
 *     long (nothing read or written) is closed: a stalled partial request cannot hold a connection forever</td></tr>
 * <tr><td>maxApplyQueueBytes</td><td>KVSTORE_MAX_APPLY_QUEUE_BYTES</td><td>67108864 (64 MiB)</td><td>committed entries
 *     waiting for the state machine; beyond it further committed entries stay in the log until it catches up</td></tr>
 * <tr><td>maxForwardedBytes</td><td>KVSTORE_MAX_FORWARDED_BYTES</td><td>67108864 (64 MiB)</td><td>writes a follower
 *     forwarded to the leader without an answer yet; beyond it new writes there get 503 overloaded</td></tr>
 * <tr><td>maxPeerQueueBytes</td><td>KVSTORE_MAX_PEER_QUEUE_BYTES</td><td>67108864 (64 MiB)</td><td>messages queued for
 *     one busy peer connection; beyond it new messages to that peer are dropped (Raft resends)</td></tr>
 * <tr><td>maxReadBatchBytes</td><td>KVSTORE_MAX_READ_BATCH_BYTES</td><td>16777216 (16 MiB)</td><td>values one batch of
 *     key lookups carries back from the worker; the rest of the batch goes in the next one</td></tr>
 * <tr><td>historyRetentionRevisions</td><td>KVSTORE_HISTORY_RETENTION_REVISIONS</td><td>1000000</td><td>the leader
 *     compacts history older than this many revisions (0: no bound)</td></tr>
 * <tr><td>historyRetentionMs</td><td>KVSTORE_HISTORY_RETENTION_MS</td><td>3600000 (1 h)</td><td>... and older than
 *     this (0: no bound); both 0 turns automatic compaction off, as in etcd by default</td></tr>
 * <tr><td>historyCompactionIntervalMs</td><td>KVSTORE_HISTORY_COMPACTION_INTERVAL_MS</td><td>10000</td><td>how often
 *     the leader checks whether to compact</td></tr>
 * <tr><td>historyPurgeBatchRecords</td><td>KVSTORE_HISTORY_PURGE_BATCH_RECORDS</td><td>1000</td><td>history records one
 *     background purge step looks at (between applies, never beside them)</td></tr>
 * <tr><td>maxWatchers</td><td>KVSTORE_MAX_WATCHERS</td><td>10000</td><td>watch streams one node serves; more get 503
 *     overloaded</td></tr>
 * <tr><td>maxWatcherQueueBytes</td><td>KVSTORE_MAX_WATCHER_QUEUE_BYTES</td><td>4194304 (4 MiB)</td><td>bytes queued for
 *     one watcher that reads too slowly; beyond it the stream is cancelled with slow_watcher</td></tr>
 * <tr><td>watchPageEvents</td><td>KVSTORE_WATCH_PAGE_EVENTS</td><td>1000</td><td>events in one page of history read
 *     for a catching-up watcher</td></tr>
 * <tr><td>watchProgressMs</td><td>KVSTORE_WATCH_PROGRESS_MS</td><td>10000</td><td>silence before a progress message on
 *     a watch stream, unless the client sets ?progressMs= (0: none)</td></tr>
 * <tr><td>maxTxnOps</td><td>KVSTORE_MAX_TXN_OPS</td><td>128</td><td>the most compares, and the most ops in each branch,
 *     of one transaction; more get 400</td></tr>
 * <tr><td>idempotencyWindowRevisions</td><td>KVSTORE_IDEMPOTENCY_WINDOW_REVISIONS</td><td>1000000</td><td>revisions a
 *     write made with an Idempotency-Key is remembered for (the window travels in each write's log entry, so
 *     every node keeps the same one)</td></tr>
 * <tr><td>maxLeases</td><td>KVSTORE_MAX_LEASES</td><td>1000000</td><td>leases the cluster holds; a grant beyond gets
 *     503 overloaded</td></tr>
 * <tr><td>maxLeaseTtlSeconds</td><td>KVSTORE_MAX_LEASE_TTL_SECONDS</td><td>9000000000</td><td>the longest lease TTL
 *     (etcd's); longer gets 400</td></tr>
 * <tr><td>leaseCheckpointIntervalMs</td><td>KVSTORE_LEASE_CHECKPOINT_INTERVAL_MS</td><td>300000</td><td>how often the
 *     leader writes the remaining time of leases longer than this to the log, so leader changes cannot keep a
 *     dead lease alive (0: never)</td></tr>
 * <tr><td>backupChunkBytes</td><td>KVSTORE_BACKUP_CHUNK_BYTES</td><td>1048576 (1 MiB)</td><td>bytes of a backup
 *     ({@code GET /v1/snapshot}) read from storage and written to the response at a time</td></tr>
 * <tr><td>maxBackupStreams</td><td>KVSTORE_MAX_BACKUP_STREAMS</td><td>2</td><td>backups a node streams at once; one
 *     more gets 503 overloaded</td></tr>
 * <tr><td>readyMaxApplyLagEntries</td><td>KVSTORE_READY_MAX_APPLY_LAG_ENTRIES</td><td>5000</td><td>{@code GET /readyz}
 *     answers 503 while the applied index trails the known commit index by more than this (0: must be fully
 *     applied)</td></tr>
 * <tr><td>metricsEnabled</td><td>KVSTORE_METRICS_ENABLED</td><td>true</td><td>serve GET /metrics (Prometheus text:
 *     the rafty_ series, the JVM's, Vert.x's HTTP server's); false keeps no registry, records nothing, and the
 *     route answers 404 metrics_disabled</td></tr>
 * <tr><td>etcdPort</td><td>KVSTORE_ETCD_PORT</td><td>0 (off)</td><td>serve etcd's v3 gRPC API (KV, Maintenance,
 *     Cluster, Watch, Lease; docs/ETCD.md) on this port of {@code host}; run-cluster.sh uses 2379, 22379, 32379</td></tr>
 * <tr><td>etcdMaxMessageBytes</td><td>KVSTORE_ETCD_MAX_MESSAGE_BYTES</td><td>maxRequestBodyBytes + 65536</td><td>the
 *     largest gRPC message of the etcd API, in and out; a bigger one is refused with RESOURCE_EXHAUSTED</td></tr>
 * <tr><td>etcdMaxKeepAlivesInFlight</td><td>KVSTORE_ETCD_MAX_KEEPALIVES_IN_FLIGHT</td><td>64</td><td>keepalives one
 *     etcd LeaseKeepAlive stream may have unanswered; more cuts the stream off ("etcdserver: too many
 *     requests")</td></tr>
 * <tr><td>clusterSecret</td><td>KVSTORE_CLUSTER_SECRET</td><td>none</td><td>the secret every peer request proves
 *     with an HMAC (docs/SECURITY.md); at least 16 bytes; never logged. Without it (and without the file) the peer
 *     routes {@code /raft/*} are open and the node says so in one WARNING at startup</td></tr>
 * <tr><td>clusterSecretFile</td><td>KVSTORE_CLUSTER_SECRET_FILE</td><td>none</td><td>a file holding the cluster
 *     secret (surrounding whitespace ignored), the better way: it stays out of the environment and of process
 *     listings. Missing, unreadable, empty, shorter than 16 or longer than 4096 bytes stops the node; setting both
 *     this and clusterSecret does too. run-cluster.sh makes {@code data/cluster-secret} (mode 0600)</td></tr>
 * <tr><td>peerAuthMaxClockSkewMs</td><td>KVSTORE_PEER_AUTH_MAX_CLOCK_SKEW_MS</td><td>30000</td><td>a signed peer
 *     request whose timestamp is further than this from the node's clock, either way, is refused (401); a replay
 *     can be no older</td></tr>
 * <tr><td>peerAuthNonceCacheEntries</td><td>KVSTORE_PEER_AUTH_NONCE_CACHE_ENTRIES</td><td>100000</td><td>nonces of
 *     accepted peer requests remembered to refuse replays (about 100 bytes each); when full the oldest are
 *     forgotten and requests as old refused, which narrows the window but never lets a replay through</td></tr>
 * <tr><td>maxLogListLimit</td><td>KVSTORE_MAX_LOG_LIST_LIMIT</td><td>100</td><td>most entries {@code GET /v1/raft/log}
 *     lists (the dashboard's recent log entries)</td></tr>
 * <tr><td>tlsCert</td><td>KVSTORE_TLS_CERT</td><td>none</td><td>PEM certificate (chain) served on the client port and
 *     the etcd port (docs/SECURITY.md, "TLS"); with it the port speaks TLS only. Needs tlsKey</td></tr>
 * <tr><td>tlsKey</td><td>KVSTORE_TLS_KEY</td><td>none</td><td>PEM private key of tlsCert (PKCS#8, PKCS#1 or SEC1,
 *     unencrypted); one that does not belong to the certificate stops the node</td></tr>
 * <tr><td>tlsCa</td><td>KVSTORE_TLS_CA</td><td>none</td><td>PEM CA(s) client certificates must chain to; only with
 *     tlsClientAuth</td></tr>
 * <tr><td>tlsClientAuth</td><td>KVSTORE_TLS_CLIENT_AUTH</td><td>false</td><td>require a client certificate from
 *     tlsCa on the client port and the etcd port</td></tr>
 * <tr><td>peerTlsCert</td><td>KVSTORE_PEER_TLS_CERT</td><td>none</td><td>PEM certificate presented to other nodes (and
 *     served when tlsCert is not set); with peerTlsKey and peerTlsCa, peers talk mutual TLS, are given as
 *     {@code https://}, and {@code /raft/*} needs a client certificate of peerTlsCa</td></tr>
 * <tr><td>peerTlsKey</td><td>KVSTORE_PEER_TLS_KEY</td><td>none</td><td>PEM private key of peerTlsCert</td></tr>
 * <tr><td>peerTlsCa</td><td>KVSTORE_PEER_TLS_CA</td><td>none</td><td>PEM CA(s) every node's certificate (peerTlsCert,
 *     and tlsCert, which peers also meet) must chain to</td></tr>
 * <tr><td>auth</td><td>KVSTORE_AUTH</td><td>false</td><td>users, roles and tokens on the client API
 *     (docs/SECURITY.md "Client auth"); needs a root password, or the node stops. Off, the node warns once that
 *     its client API is open</td></tr>
 * <tr><td>authRootPasswordFile</td><td>KVSTORE_AUTH_ROOT_PASSWORD_FILE</td><td>none</td><td>a file holding root's
 *     first password (surrounding whitespace ignored; 8+ characters, at most 72 bytes); the better way</td></tr>
 * <tr><td>authRootPassword</td><td>KVSTORE_AUTH_ROOT_PASSWORD</td><td>none</td><td>root's first password; never
 *     logged; setting both this and the file stops the node</td></tr>
 * <tr><td>authBcryptCost</td><td>KVSTORE_AUTH_BCRYPT_COST</td><td>10</td><td>bcrypt cost of password hashes
 *     (4-31)</td></tr>
 * <tr><td>authTokenTtlS</td><td>KVSTORE_AUTH_TOKEN_TTL_S</td><td>300</td><td>seconds a token is good for</td></tr>
 * <tr><td>authMetricsOpen</td><td>KVSTORE_AUTH_METRICS_OPEN</td><td>true</td><td>with auth on, {@code GET /metrics}
 *     stays open; false: root only</td></tr>
 * <tr><td>authHeaderBytesMax</td><td>KVSTORE_AUTH_HEADER_BYTES_MAX</td><td>1024</td><td>the longest
 *     {@code Authorization} header looked at; longer is 401</td></tr>
 * </table>
 *
 * <p>Every limit must be positive, except the history retentions and the progress interval, for which 0
 * means "none", and the readiness lag, for which 0 means "fully applied".
 *
 * <h2>Errors</h2>
 *
 * <p>{@link io.rafty.config.ConfigLoader#load} throws {@link io.rafty.config.ConfigException} with one line
 * naming the setting and where its value came from, e.g.
 * {@code invalid KVSTORE_PEERS "2@localhost": url "localhost" must start with http:// or https://; expected
 * id@http://host:port, entries separated by ';'}. The composition root calls
 * {@link io.rafty.config.ConfigLoader#loadOrExit}, the one place that turns it into {@code rafty: <message>}
 * on stderr and exit status 2. A port already in use or a storage directory held by another process are
 * found later, by the HTTP bind and by RocksDB's lock, and must be reported the same way by the
 * composition root.
 */
package io.rafty.config;
