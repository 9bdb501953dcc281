package io.rafty.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Loads a {@link NodeConfig}: defaults, overridden by a JSON file, overridden by the environment. See the
 * package documentation for every key. The environment is a parameter so tests need no real one.
 */
public final class ConfigLoader {

    /** The environment variable naming the config file when no command-line argument does. */
    public static final String CONFIG_ENV = "KVSTORE_CONFIG";

    static final String ENV_PREFIX = "KVSTORE_";

    private enum Kind { INT, LONG, BOOLEAN, STRING, PEERS, SECRET }

    /**
     * Every setting, keyed by its camelCase name, derived from the record so the two never drift apart.
     * The environment variable is {@code KVSTORE_} and the name in upper snake case.
     */
    private static final Map<String, Kind> KEYS = keys();

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private ConfigLoader() {
    }

    /**
     * Loads and validates the configuration, or prints {@code rafty: <message>} to stderr and exits with
     * status 2. The only place configuration problems end the process.
     */
    public static NodeConfig loadOrExit(String[] args, Map<String, String> env) {
        try {
            return load(args, env);
        } catch (ConfigException e) {
            System.err.println("rafty: " + e.getMessage());
            System.exit(2);
            throw new AssertionError("unreachable");
        }
    }

    /**
     * Loads and validates the configuration.
     *
     * @param args the node's command-line arguments: none, or the path of a JSON config file
     * @param env  the process environment ({@code System.getenv()} in production)
     * @throws ConfigException with a one-line message naming the problem
     */
    public static NodeConfig load(String[] args, Map<String, String> env) {
        Settings settings = new Settings();
        Path file = configFile(args, env);
        if (file != null) {
            readFile(file, settings);
        }
        readEnv(env, settings);
        try {
            return build(settings);
        } catch (ConfigException e) {
            String origin = e.key() == null ? null : settings.origin.get(e.key());
            throw origin == null ? e : new ConfigException(e.key(), e.getMessage() + " (from " + origin + ")");
        }
    }

    /** The environment variable that overrides {@code key}, e.g. {@code KVSTORE_STORAGE_DIR} for storageDir. */
    static String envName(String key) {
        StringBuilder out = new StringBuilder(ENV_PREFIX);
        for (char c : key.toCharArray()) {
            if (Character.isUpperCase(c)) {
                out.append('_');
            }
            out.append(Character.toUpperCase(c));
        }
        return out.toString();
    }

    /** The camelCase keys the loader knows, in record order. */
    static List<String> keyNames() {
        return List.copyOf(KEYS.keySet());
    }

    private static Path configFile(String[] args, Map<String, String> env) {
        if (args.length > 1) {
            throw new ConfigException("unexpected argument " + Peer.quote(args[1]) + "; usage: rafty [config.json]");
        }
        String source = args.length == 1 ? "the config file argument" : CONFIG_ENV;
        String path = args.length == 1 ? args[0] : env.get(CONFIG_ENV);
        if (path == null) {
            return null;
        }
        if (path.isBlank()) {
            throw new ConfigException(source + " is empty; expected the path of a JSON config file");
        }
        try {
            return Path.of(path);
        } catch (InvalidPathException e) {
            throw new ConfigException(source + " " + Peer.quote(path) + " is not a valid path");
        }
    }

    private static void readFile(Path file, Settings settings) {
        String name = "config file " + file;
        JsonNode root;
        try (InputStream in = Files.newInputStream(file)) {
            root = JSON.readTree(in);
        } catch (NoSuchFileException e) {
            throw new ConfigException(name + " not found");
        } catch (AccessDeniedException e) {
            throw new ConfigException(name + " is not readable (permission denied)");
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + " column " + at.getColumnNr();
            throw new ConfigException(name + " is not valid JSON" + where + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ConfigException(name + " cannot be read: " + e.getMessage());
        }
        if (root == null || root.isMissingNode()) {
            throw new ConfigException(name + " is empty; expected a JSON object");
        }
        if (!root.isObject()) {
            throw new ConfigException(name + " must hold a JSON object, not " + describe(root));
        }
        String origin = file.toString();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String key = field.getKey();
            Kind kind = KEYS.get(key);
            if (kind == null) {
                throw new ConfigException(name + ": unknown key " + Peer.quote(key) + suggestion(key));
            }
            settings.put(key, fromJson(name, key, kind, field.getValue()), origin);
        }
    }

    private static Object fromJson(String name, String key, Kind kind, JsonNode node) {
        String wrongType = name + ": " + Peer.quote(key) + " must be ";
        switch (kind) {
            case INT -> {
                if (node.isIntegralNumber() && node.canConvertToInt()) {
                    return node.intValue();
                }
                throw new ConfigException(key, wrongType + "an integer, was " + describe(node));
            }
            case LONG -> {
                if (node.isIntegralNumber() && node.canConvertToLong()) {
                    return node.longValue();
                }
                throw new ConfigException(key, wrongType + "an integer, was " + describe(node));
            }
            case BOOLEAN -> {
                if (node.isBoolean()) {
                    return node.booleanValue();
                }
                throw new ConfigException(key, wrongType + "true or false, was " + describe(node));
            }
            case STRING -> {
                if (node.isTextual()) {
                    return node.textValue();
                }
                throw new ConfigException(key, wrongType + "a string, was " + describe(node));
            }
            case SECRET -> {
                if (node.isTextual()) {
                    return node.textValue();
                }
                // Not describe(node): whatever was written there may be the secret.
                throw new ConfigException(key, wrongType + "a string");
            }
            case PEERS -> {
                if (node.isTextual()) {
                    return Peer.parseList(node.textValue(), name + " \"peers\"");
                }
                if (node.isArray()) {
                    return peersFromArray(name, node);
                }
                throw new ConfigException(key, wrongType + "a string like \"2@http://host:3002;3@http://host:3003\""
                        + " or an array of {\"id\",\"url\"} objects, was " + describe(node));
            }
        }
        throw new AssertionError(kind);
    }

    private static List<Peer> peersFromArray(String name, JsonNode array) {
        List<Peer> peers = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            JsonNode item = array.get(i);
            String where = name + ": \"peers\"[" + i + "]";
            if (!item.isObject()) {
                throw new ConfigException("peers", where + " must be an object {\"id\":2,\"url\":\"http://host:3002\"}"
                        + ", was " + describe(item));
            }
            for (Iterator<String> it = item.fieldNames(); it.hasNext(); ) {
                String field = it.next();
                if (!field.equals("id") && !field.equals("url")) {
                    throw new ConfigException("peers", where + ": unknown key " + Peer.quote(field)
                            + "; a peer has only \"id\" and \"url\"");
                }
            }
            JsonNode id = item.get("id");
            JsonNode url = item.get("url");
            if (id == null || !id.isIntegralNumber() || !id.canConvertToInt()) {
                throw new ConfigException("peers", where + ": \"id\" must be an integer, was " + describe(id));
            }
            if (url == null || !url.isTextual()) {
                throw new ConfigException("peers", where + ": \"url\" must be a string like \"http://host:3002\""
                        + ", was " + describe(url));
            }
            try {
                peers.add(new Peer(id.intValue(), url.textValue()));
            } catch (ConfigException e) {
                throw new ConfigException("peers", where + ": " + e.getMessage());
            }
        }
        return peers;
    }

    private static void readEnv(Map<String, String> env, Settings settings) {
        Map<String, String> keyByEnv = new HashMap<>();
        KEYS.keySet().forEach(key -> keyByEnv.put(envName(key), key));
        // Sorted, so that with two bad variables the same one is reported every time.
        for (String variable : new TreeSet<>(env.keySet())) {
            if (!variable.startsWith(ENV_PREFIX) || variable.equals(CONFIG_ENV)) {
                continue;
            }
            String key = keyByEnv.get(variable);
            if (key == null) {
                // A typo such as KVSTORE_PROT would otherwise be silently ignored.
                throw new ConfigException("unknown environment variable " + variable + suggestion(variable));
            }
            settings.put(key, fromEnv(variable, key, KEYS.get(key), env.get(variable)), variable);
        }
    }

    private static Object fromEnv(String variable, String key, Kind kind, String raw) {
        String value = raw.strip();
        String wrong = variable + " must be ";
        switch (kind) {
            case INT -> {
                try {
                    return Integer.parseInt(value);
                } catch (NumberFormatException e) {
                    throw new ConfigException(key, wrong + "an integer, was " + Peer.quote(raw));
                }
            }
            case LONG -> {
                try {
                    return Long.parseLong(value);
                } catch (NumberFormatException e) {
                    throw new ConfigException(key, wrong + "an integer, was " + Peer.quote(raw));
                }
            }
            case BOOLEAN -> {
                if (value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false")) {
                    return Boolean.parseBoolean(value);
                }
                throw new ConfigException(key, wrong + "true or false, was " + Peer.quote(raw));
            }
            case STRING, SECRET -> {
                return raw;
            }
            case PEERS -> {
                return Peer.parseList(raw, variable);
            }
        }
        throw new AssertionError(kind);
    }

    private static NodeConfig build(Settings s) {
        if (!s.values.containsKey("id")) {
            throw new ConfigException("id is required: set \"id\" in the config file or " + envName("id"));
        }
        if (!s.values.containsKey("port")) {
            throw new ConfigException("port is required: set \"port\" in the config file or " + envName("port"));
        }
        int id = s.intValue("id", 0);
        int maxValueBytes = s.intValue("maxValueBytes", NodeConfig.DEFAULT_MAX_VALUE_BYTES);
        String storageDir = (String) s.values.get("storageDir");
        Path storagePath;
        if (storageDir == null) {
            storagePath = id > 0 ? NodeConfig.defaultStorageDir(id) : Path.of("data");
        } else {
            try {
                storagePath = storageDir.isBlank() ? null : Path.of(storageDir);
            } catch (InvalidPathException e) {
                throw new ConfigException("storageDir", "storageDir " + Peer.quote(storageDir) + " is not a valid path");
            }
        }
        @SuppressWarnings("unchecked")
        List<Peer> peers = (List<Peer>) s.values.getOrDefault("peers", List.of());
        return new NodeConfig(
                id,
                (String) s.values.getOrDefault("host", NodeConfig.DEFAULT_HOST),
                s.intValue("port", 0),
                storagePath,
                peers,
                s.intValue("tickIntervalMs", NodeConfig.DEFAULT_TICK_INTERVAL_MS),
                s.intValue("electionTimeoutTicksMin", NodeConfig.DEFAULT_ELECTION_TIMEOUT_TICKS_MIN),
                s.intValue("electionTimeoutTicksMax", NodeConfig.DEFAULT_ELECTION_TIMEOUT_TICKS_MAX),
                s.intValue("heartbeatIntervalTicks", NodeConfig.DEFAULT_HEARTBEAT_INTERVAL_TICKS),
                s.booleanValue("preVote", NodeConfig.DEFAULT_PRE_VOTE),
                s.booleanValue("checkQuorum", NodeConfig.DEFAULT_CHECK_QUORUM),
                s.booleanValue("asyncStorageWrites", NodeConfig.DEFAULT_ASYNC_STORAGE_WRITES),
                s.intValue("maxKeyBytes", NodeConfig.DEFAULT_MAX_KEY_BYTES),
                maxValueBytes,
                // A PUT body is the value, so the body limit follows the value limit unless set on its own.
                s.intValue("maxRequestBodyBytes", maxValueBytes),
                s.intValue("maxHeaderBytes", NodeConfig.DEFAULT_MAX_HEADER_BYTES),
                s.intValue("maxInitialLineBytes", NodeConfig.DEFAULT_MAX_INITIAL_LINE_BYTES),
                s.intValue("maxQueryParams", NodeConfig.DEFAULT_MAX_QUERY_PARAMS),
                s.intValue("maxListLimit", NodeConfig.DEFAULT_MAX_LIST_LIMIT),
                s.intValue("maxPendingProposals", NodeConfig.DEFAULT_MAX_PENDING_PROPOSALS),
                s.intValue("maxMessageBytes", NodeConfig.DEFAULT_MAX_MESSAGE_BYTES),
                s.intValue("maxInflightMessages", NodeConfig.DEFAULT_MAX_INFLIGHT_MESSAGES),
                s.longValue("maxUncommittedBytes", NodeConfig.DEFAULT_MAX_UNCOMMITTED_BYTES),
                s.intValue("peerRequestTimeoutMs", NodeConfig.DEFAULT_PEER_REQUEST_TIMEOUT_MS),
                s.intValue("clientRequestTimeoutMs", NodeConfig.DEFAULT_CLIENT_REQUEST_TIMEOUT_MS),
                s.intValue("maxPendingReads", NodeConfig.DEFAULT_MAX_PENDING_READS),
                s.intValue("httpIdleTimeoutMs", NodeConfig.DEFAULT_HTTP_IDLE_TIMEOUT_MS),
                s.longValue("snapshotEntries", NodeConfig.DEFAULT_SNAPSHOT_ENTRIES),
                s.longValue("snapshotLogBytes", NodeConfig.DEFAULT_SNAPSHOT_LOG_BYTES),
                s.longValue("snapshotTailEntries", NodeConfig.DEFAULT_SNAPSHOT_TAIL_ENTRIES),
                s.intValue("snapshotChunkBytes", NodeConfig.DEFAULT_SNAPSHOT_CHUNK_BYTES),
                s.longValue("learnerPromotionLagEntries", NodeConfig.DEFAULT_LEARNER_PROMOTION_LAG_ENTRIES),
                (String) s.values.getOrDefault("join", ""),
                s.longValue("maxApplyQueueBytes", NodeConfig.DEFAULT_MAX_APPLY_QUEUE_BYTES),
                s.longValue("maxForwardedBytes", NodeConfig.DEFAULT_MAX_FORWARDED_BYTES),
                s.longValue("maxPeerQueueBytes", NodeConfig.DEFAULT_MAX_PEER_QUEUE_BYTES),
                s.longValue("maxReadBatchBytes", NodeConfig.DEFAULT_MAX_READ_BATCH_BYTES),
                s.longValue("historyRetentionRevisions", NodeConfig.DEFAULT_HISTORY_RETENTION_REVISIONS),
                s.longValue("historyRetentionMs", NodeConfig.DEFAULT_HISTORY_RETENTION_MS),
                s.intValue("historyCompactionIntervalMs", NodeConfig.DEFAULT_HISTORY_COMPACTION_INTERVAL_MS),
                s.intValue("historyPurgeBatchRecords", NodeConfig.DEFAULT_HISTORY_PURGE_BATCH_RECORDS),
                s.intValue("maxWatchers", NodeConfig.DEFAULT_MAX_WATCHERS),
                s.longValue("maxWatcherQueueBytes", NodeConfig.DEFAULT_MAX_WATCHER_QUEUE_BYTES),
                s.intValue("watchPageEvents", NodeConfig.DEFAULT_WATCH_PAGE_EVENTS),
                s.intValue("watchProgressMs", NodeConfig.DEFAULT_WATCH_PROGRESS_MS),
                s.intValue("maxTxnOps", NodeConfig.DEFAULT_MAX_TXN_OPS),
                s.longValue("idempotencyWindowRevisions", NodeConfig.DEFAULT_IDEMPOTENCY_WINDOW_REVISIONS),
                s.intValue("maxLeases", NodeConfig.DEFAULT_MAX_LEASES),
                s.longValue("maxLeaseTtlSeconds", NodeConfig.DEFAULT_MAX_LEASE_TTL_SECONDS),
                s.longValue("leaseCheckpointIntervalMs", NodeConfig.DEFAULT_LEASE_CHECKPOINT_INTERVAL_MS),
                s.intValue("backupChunkBytes", NodeConfig.DEFAULT_BACKUP_CHUNK_BYTES),
                s.intValue("maxBackupStreams", NodeConfig.DEFAULT_MAX_BACKUP_STREAMS),
                s.longValue("readyMaxApplyLagEntries", NodeConfig.DEFAULT_READY_MAX_APPLY_LAG_ENTRIES),
                s.booleanValue("metricsEnabled", NodeConfig.DEFAULT_METRICS_ENABLED),
                s.intValue("etcdPort", NodeConfig.DEFAULT_ETCD_PORT),
                // An etcd Put carries a value, so the message limit follows the body limit unless set on its own.
                s.intValue("etcdMaxMessageBytes", s.intValue("maxRequestBodyBytes", maxValueBytes)
                        + NodeConfig.ETCD_MESSAGE_OVERHEAD_BYTES),
                s.intValue("etcdMaxKeepAlivesInFlight", NodeConfig.DEFAULT_ETCD_MAX_KEEPALIVES_IN_FLIGHT),
                clusterSecret(s),
                clusterSecretFile(s),
                s.intValue("peerAuthMaxClockSkewMs", NodeConfig.DEFAULT_PEER_AUTH_MAX_CLOCK_SKEW_MS),
                s.intValue("peerAuthNonceCacheEntries", NodeConfig.DEFAULT_PEER_AUTH_NONCE_CACHE_ENTRIES),
                s.intValue("maxLogListLimit", NodeConfig.DEFAULT_MAX_LOG_LIST_LIMIT),
                pemPath(s, "tlsCert"),
                pemPath(s, "tlsKey"),
                pemPath(s, "tlsCa"),
                s.booleanValue("tlsClientAuth", false),
                pemPath(s, "peerTlsCert"),
                pemPath(s, "peerTlsKey"),
                pemPath(s, "peerTlsCa"),
                s.booleanValue("auth", NodeConfig.DEFAULT_AUTH),
                s.values.get("authRootPassword") == null ? null
                        : RootPassword.of((String) s.values.get("authRootPassword")),
                path(s, "authRootPasswordFile"),
                s.intValue("authBcryptCost", NodeConfig.DEFAULT_AUTH_BCRYPT_COST),
                s.intValue("authTokenTtlS", NodeConfig.DEFAULT_AUTH_TOKEN_TTL_S),
                s.booleanValue("authMetricsOpen", NodeConfig.DEFAULT_AUTH_METRICS_OPEN),
                s.intValue("authHeaderBytesMax", NodeConfig.DEFAULT_AUTH_HEADER_BYTES_MAX));
    }

    /** A TLS file setting as a path, or null when unset; an empty value is an error, not "off". */
    private static Path pemPath(Settings s, String key) {
        String file = (String) s.values.get(key);
        if (file == null) {
            return null;
        }
        try {
            if (file.isBlank()) {
                throw new ConfigException(key, key + " must not be empty; leave it unset for no TLS");
            }
            return Path.of(file.strip());
        } catch (InvalidPathException e) {
            throw new ConfigException(key, key + " " + Peer.quote(file) + " is not a valid path");
        }
    }

    /** The secret given as text, or null (none, or given as a file, which the NodeConfig constructor reads). */
    private static ClusterSecret clusterSecret(Settings s) {
        String text = (String) s.values.get("clusterSecret");
        if (text != null && s.values.containsKey("clusterSecretFile")) {
            throw new ConfigException("set either the cluster secret or the file that holds it, not both (clusterSecret "
                    + "from " + s.origin.get("clusterSecret") + ", clusterSecretFile from "
                    + s.origin.get("clusterSecretFile") + ")");
        }
        return text == null ? null : ClusterSecret.of(text);
    }

    private static Path clusterSecretFile(Settings s) {
        String file = (String) s.values.get("clusterSecretFile");
        if (file == null) {
            return null;
        }
        try {
            if (file.isBlank()) {
                throw new ConfigException("clusterSecretFile", "clusterSecretFile must not be empty");
            }
            return Path.of(file.strip());
        } catch (InvalidPathException e) {
            throw new ConfigException("clusterSecretFile", "clusterSecretFile " + Peer.quote(file)
                    + " is not a valid path");
        }
    }

    /** A path setting, or null when unset; an empty value is an error. */
    private static Path path(Settings s, String key) {
        String file = (String) s.values.get(key);
        if (file == null) {
            return null;
        }
        try {
            if (file.isBlank()) {
                throw new ConfigException(key, key + " must not be empty");
            }
            return Path.of(file.strip());
        } catch (InvalidPathException e) {
            throw new ConfigException(key, key + " " + Peer.quote(file) + " is not a valid path");
        }
    }

    /** The values set so far and where each came from (a file path or an environment variable). */
    private static final class Settings {
        final Map<String, Object> values = new HashMap<>();
        final Map<String, String> origin = new HashMap<>();

        void put(String key, Object value, String from) {
            values.put(key, value);
            origin.put(key, from);
        }

        int intValue(String key, int fallback) {
            check(key, Kind.INT);
            return (Integer) values.getOrDefault(key, fallback);
        }

        long longValue(String key, long fallback) {
            check(key, Kind.LONG);
            return (Long) values.getOrDefault(key, fallback);
        }

        boolean booleanValue(String key, boolean fallback) {
            check(key, Kind.BOOLEAN);
            return (Boolean) values.getOrDefault(key, fallback);
        }

        private static void check(String key, Kind kind) {
            if (KEYS.get(key) != kind) {
                throw new IllegalStateException("loader bug: " + key + " is not a known " + kind + " setting");
            }
        }
    }

    private static Map<String, Kind> keys() {
        Map<String, Kind> keys = new LinkedHashMap<>();
        for (var component : NodeConfig.class.getRecordComponents()) {
            Class<?> type = component.getType();
            Kind kind;
            if (type == int.class) {
                kind = Kind.INT;
            } else if (type == long.class) {
                kind = Kind.LONG;
            } else if (type == boolean.class) {
                kind = Kind.BOOLEAN;
            } else if (type == String.class || type == Path.class) {
                kind = Kind.STRING;
            } else if (type == List.class) {
                kind = Kind.PEERS;
            } else if (type == ClusterSecret.class || type == RootPassword.class) {
                kind = Kind.SECRET;
            } else {
                throw new IllegalStateException("no loader for setting " + component.getName() + " of type " + type);
            }
            keys.put(component.getName(), kind);
        }
        return Collections.unmodifiableMap(keys);
    }

    private static String describe(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "missing";
        }
        if (node.isNull()) {
            return "null";
        }
        if (node.isObject()) {
            return "an object";
        }
        if (node.isArray()) {
            return "an array";
        }
        String text = node.toString();
        return text.length() > 60 ? text.substring(0, 60) + "..." : text;
    }

    /** ", did you mean ...?" for a near miss among the known names, or nothing. */
    private static String suggestion(String name) {
        boolean env = name.startsWith(ENV_PREFIX);
        String best = null;
        int bestDistance = 3;
        for (String key : KEYS.keySet()) {
            String candidate = env ? envName(key) : key;
            int distance = editDistance(name.toLowerCase(Locale.ROOT), candidate.toLowerCase(Locale.ROOT));
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best == null ? "" : "; did you mean " + (env ? best : Peer.quote(best)) + "?";
    }

    private static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitute = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitute, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
