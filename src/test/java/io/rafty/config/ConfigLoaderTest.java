package io.rafty.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigLoaderTest {

    private static final String[] NO_ARGS = {};

    @TempDir
    Path dir;

    private Path file(String json) throws IOException {
        Path path = dir.resolve("node.json");
        Files.writeString(path, json);
        return path;
    }

    private NodeConfig loadFile(String json) throws IOException {
        return ConfigLoader.load(new String[] {file(json).toString()}, Map.of());
    }

    private static NodeConfig loadEnv(Map<String, String> env) {
        return ConfigLoader.load(NO_ARGS, env);
    }

    private static Map<String, String> env(String... pairs) {
        Map<String, String> env = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    /** Asserts that loading fails and that the one-line message contains every fragment. */
    private static void assertRejected(Runnable load, String... fragments) {
        ConfigException e = assertThrows(ConfigException.class, load::run);
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), "\"" + e.getMessage() + "\" should mention " + fragment);
        }
    }

    private void assertFileRejected(String json, String... fragments) throws IOException {
        Path path = file(json);
        assertRejected(() -> ConfigLoader.load(new String[] {path.toString()}, Map.of()), fragments);
    }

    private static void assertEnvRejected(Map<String, String> env, String... fragments) {
        assertRejected(() -> loadEnv(env), fragments);
    }

    // --- defaults and precedence ---

    @Test
    void onlyIdAndPortAreRequiredAndEverythingElseHasADefault() {
        NodeConfig config = loadEnv(env("KVSTORE_ID", "1", "KVSTORE_PORT", "3001"));
        assertEquals(1, config.id());
        assertEquals(3001, config.port());
        assertEquals("127.0.0.1", config.host());
        assertEquals(Path.of("data", "node1"), config.storageDir());
        assertEquals(List.of(), config.peers());
        assertEquals(50, config.tickIntervalMs());
        assertEquals(10, config.electionTimeoutTicksMin());
        assertEquals(20, config.electionTimeoutTicksMax());
        assertEquals(2, config.heartbeatIntervalTicks());
        assertTrue(config.preVote());
        assertTrue(config.checkQuorum());
        assertEquals(1024, config.maxKeyBytes());
        assertEquals(1_048_576, config.maxValueBytes());
        assertEquals(1_048_576, config.maxRequestBodyBytes());
        assertEquals(10_000, config.maxPendingProposals());
        assertEquals(1_048_576, config.maxMessageBytes());
        assertEquals(64, config.maxInflightMessages());
        assertEquals(2000, config.peerRequestTimeoutMs());
        assertEquals(5000, config.clientRequestTimeoutMs());
        assertEquals(8192, config.maxHeaderBytes());
        assertEquals(NodeConfig.defaults(1, 3001, List.of()), config);
    }

    @Test
    void fileOverridesDefaults() throws IOException {
        NodeConfig config = loadFile("""
                {"id":2,"host":"0.0.0.0","port":3002,"storageDir":"/var/lib/rafty","tickIntervalMs":20,
                 "maxValueBytes":2048,"maxUncommittedBytes":5000000000,"preVote":false,
                 "peers":"1@http://localhost:3001;3@http://localhost:3003"}
                """);
        assertEquals(2, config.id());
        assertEquals("0.0.0.0", config.host());
        assertEquals(3002, config.port());
        assertEquals(Path.of("/var/lib/rafty"), config.storageDir());
        assertEquals(20, config.tickIntervalMs());
        assertEquals(2048, config.maxValueBytes());
        assertEquals(2048, config.maxRequestBodyBytes(), "the body limit follows the value limit");
        assertEquals(5_000_000_000L, config.maxUncommittedBytes());
        assertFalse(config.preVote());
        assertEquals(List.of(1, 3), config.peers().stream().map(Peer::id).toList());
        assertEquals(List.of(1, 2, 3), config.memberIds());
    }

    @Test
    void environmentOverridesFile() throws IOException {
        Path path = file("""
                {"id":1,"port":3001,"storageDir":"from-file","tickIntervalMs":20,"peers":"2@http://localhost:3002"}
                """);
        NodeConfig config = ConfigLoader.load(new String[] {path.toString()}, env(
                "KVSTORE_PORT", "4001", "KVSTORE_HOST", "::1", "KVSTORE_STORAGE_DIR", "from-env",
                "KVSTORE_PEERS", "5@http://10.0.0.5:4005", "KVSTORE_TICK_INTERVAL_MS", "100",
                "KVSTORE_MAX_REQUEST_BODY_BYTES", "2000000", "KVSTORE_CHECK_QUORUM", "false",
                "PATH", "/usr/bin", "HOME", "/root"));
        assertEquals(1, config.id(), "kept from the file");
        assertEquals(4001, config.port());
        assertEquals("::1", config.host());
        assertEquals(Path.of("from-env"), config.storageDir());
        assertEquals(List.of(new Peer(5, "http://10.0.0.5:4005")), config.peers());
        assertEquals(100, config.tickIntervalMs());
        assertEquals(2_000_000, config.maxRequestBodyBytes());
        assertFalse(config.checkQuorum());
    }

    @Test
    void configEnvNamesTheFileWhenThereIsNoArgument() throws IOException {
        Path path = file("{\"id\":3,\"port\":3003}");
        NodeConfig config = loadEnv(env("KVSTORE_CONFIG", path.toString()));
        assertEquals(3, config.id());
        assertEquals(Path.of("data", "node3"), config.storageDir());
    }

    @Test
    void metricsAreOnByDefaultAndTurnOffFromTheEnvironmentOrTheFile() throws IOException {
        assertTrue(loadEnv(env("KVSTORE_ID", "1", "KVSTORE_PORT", "3001")).metricsEnabled());
        assertFalse(loadEnv(env("KVSTORE_ID", "1", "KVSTORE_PORT", "3001", "KVSTORE_METRICS_ENABLED", "false"))
                .metricsEnabled());
        assertFalse(loadFile("{\"id\":1,\"port\":3001,\"metricsEnabled\":false}").metricsEnabled());
        assertEnvRejected(env("KVSTORE_ID", "1", "KVSTORE_PORT", "3001", "KVSTORE_METRICS_ENABLED", "off"),
                "KVSTORE_METRICS_ENABLED must be true or false");
    }

    @Test
    void argumentWinsOverConfigEnv() throws IOException {
        Path path = file("{\"id\":3,\"port\":3003}");
        NodeConfig config = ConfigLoader.load(new String[] {path.toString()},
                env("KVSTORE_CONFIG", dir.resolve("absent.json").toString()));
        assertEquals(3, config.id());
    }

    @Test
    void everyRecordComponentHasAnEnvironmentVariable() {
        assertEquals(List.of("KVSTORE_ID", "KVSTORE_HOST", "KVSTORE_PORT", "KVSTORE_STORAGE_DIR", "KVSTORE_PEERS"),
                ConfigLoader.keyNames().subList(0, 5).stream().map(ConfigLoader::envName).toList());
        assertEquals("KVSTORE_ELECTION_TIMEOUT_TICKS_MIN", ConfigLoader.envName("electionTimeoutTicksMin"));
        assertEquals(NodeConfig.class.getRecordComponents().length, ConfigLoader.keyNames().size());
    }

    @Test
    void raftConfigCarriesTheTimeoutsAndLimits() {
        NodeConfig config = loadEnv(env("KVSTORE_ID", "4", "KVSTORE_PORT", "1", "KVSTORE_MAX_INFLIGHT_MESSAGES", "7"));
        var raft = config.raftConfig();
        assertEquals(4, raft.id());
        assertEquals(10, raft.electionTimeoutTicksMin());
        assertEquals(2, raft.heartbeatIntervalTicks());
        assertEquals(7, raft.inflightMessagesMax());
        assertTrue(raft.preVote());
    }

    @Test
    void shippedThreeNodeConfigsFormOneCluster() {
        for (int id = 1; id <= 3; id++) {
            NodeConfig config = ConfigLoader.load(new String[] {"conf/node" + id + ".json"}, Map.of());
            assertEquals(id, config.id());
            assertEquals(3000 + id, config.port());
            assertEquals(Path.of("data", "node" + id), config.storageDir());
            assertEquals(List.of(1, 2, 3), config.memberIds());
            for (Peer peer : config.peers()) {
                assertEquals("http://127.0.0.1:" + (3000 + peer.id()), peer.url());
            }
        }
    }

    // --- peers ---

    @Test
    void peersStringAcceptsHttpsMultiplePeersAndWhitespace() {
        NodeConfig config = loadEnv(env("KVSTORE_ID", "1", "KVSTORE_PORT", "3001", "KVSTORE_PEERS",
                " 2@http://localhost:3002 ; 3@https://node-3.example.com:8443/ ;4@HTTP://[::1]:3004;5@http://node_5:3005"));
        List<Peer> peers = config.peers();
        assertEquals(4, peers.size());
        assertEquals(new Peer(2, "http://localhost:3002"), peers.get(0));
        Peer secure = peers.get(1);
        assertEquals(3, secure.id());
        assertEquals("https://node-3.example.com:8443", secure.url(), "normalised without the trailing slash");
        assertTrue(secure.https());
        assertEquals("node-3.example.com", secure.host());
        assertEquals(8443, secure.port());
        assertEquals("http://[::1]:3004", peers.get(2).url());
        assertEquals("::1", peers.get(2).host());
        assertFalse(peers.get(2).https());
        assertEquals("node_5", peers.get(3).host());
        assertEquals(3005, peers.get(3).port());
    }

    @Test
    void peersMayBeAnArrayOfObjectsInTheFile() throws IOException {
        NodeConfig config = loadFile("""
                {"id":1,"port":3001,"peers":[{"id":2,"url":"http://localhost:3002"},
                                             {"id":3,"url":"https://localhost:3003"}]}
                """);
        assertEquals(List.of(new Peer(2, "http://localhost:3002"), new Peer(3, "https://localhost:3003")),
                config.peers());
    }

    @Test
    void emptyPeersMeansASingleNodeCluster() {
        assertEquals(List.of(), loadEnv(env("KVSTORE_ID", "1", "KVSTORE_PORT", "1", "KVSTORE_PEERS", "")).peers());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "2@localhost                                     | must start with http:// or https://",
        "2@ftp://localhost:3002                          | must start with http:// or https://",
        "2@http://localhost:3002,3@http://localhost:3003 | use ';' between peers, not ','",
        "2@http://localhost:3002;;3@http://localhost:3003 | empty entry",
        "2@http://localhost:3002;                        | empty entry",
        "two@http://localhost:3002                       | peer id \"two\" is not a number",
        "0@http://localhost:3002                         | not positive",
        "http://localhost:3002                           | has no '@'",
        "2@http://localhost                              | explicit port",
        "2@http://localhost:99999                        | explicit port",
        "2@http://:3002                                  | has no host",
        "2@http://localhost:3002/raft                    | just scheme://host:port",
        "2@http://localhost:3002?x=1                     | just scheme://host:port",
    })
    void malformedPeersAreRejectedNamingTheVariable(String peers, String reason) {
        assertEnvRejected(env("KVSTORE_ID", "1", "KVSTORE_PORT", "3001", "KVSTORE_PEERS", peers),
                "invalid KVSTORE_PEERS \"" + peers + "\"", reason, "expected id@http://host:port");
    }

    @Test
    void duplicatePeerIdsAreRejected() {
        assertEnvRejected(env("KVSTORE_ID", "1", "KVSTORE_PORT", "3001",
                "KVSTORE_PEERS", "2@http://localhost:3002;2@http://localhost:3003"),
                "peers contain id 2 more than once", "KVSTORE_PEERS");
    }

    @Test
    void duplicatePeerUrlsAreRejected() {
        assertEnvRejected(env("KVSTORE_ID", "1", "KVSTORE_PORT", "3001",
                "KVSTORE_PEERS", "2@http://localhost:3002;3@http://localhost:3002"),
                "url http://localhost:3002 more than once");
    }

    @Test
    void ownIdAmongPeersIsRejected() throws IOException {
        assertEnvRejected(env("KVSTORE_ID", "2", "KVSTORE_PORT", "3002",
                "KVSTORE_PEERS", "1@http://localhost:3001;2@http://localhost:3002"),
                "peers must not contain this node's own id 2", "KVSTORE_PEERS");
        assertFileRejected("{\"id\":1,\"port\":3001,\"peers\":\"1@http://localhost:3001\"}",
                "own id 1", "node.json");
    }

    @Test
    void badPeerObjectsInTheFileAreRejected() throws IOException {
        assertFileRejected("{\"id\":1,\"port\":3001,\"peers\":[{\"id\":\"2\",\"url\":\"http://h:2\"}]}",
                "\"peers\"[0]", "\"id\" must be an integer");
        assertFileRejected("{\"id\":1,\"port\":3001,\"peers\":[{\"id\":2,\"url\":\"h:2\"}]}",
                "\"peers\"[0]", "http:// or https://");
        assertFileRejected("{\"id\":1,\"port\":3001,\"peers\":[{\"id\":2,\"url\":\"http://h:2\",\"voter\":true}]}",
                "\"peers\"[0]", "unknown key \"voter\"");
        assertFileRejected("{\"id\":1,\"port\":3001,\"peers\":\"2@h:2\"}", "\"peers\"", "http:// or https://");
        assertFileRejected("{\"id\":1,\"port\":3001,\"peers\":5}", "\"peers\" must be a string");
    }

    // --- the file ---

    @Test
    void unknownKeyInTheFileIsRejectedWithASuggestion() throws IOException {
        assertFileRejected("{\"id\":1,\"prot\":3001}", "node.json", "unknown key \"prot\"", "did you mean \"port\"");
        assertFileRejected("{\"id\":1,\"port\":3001,\"colour\":\"blue\"}", "unknown key \"colour\"");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"id\":1,\"port\":\"3001\"}                   | \"port\" must be an integer, was \"3001\"",
        "{\"id\":1.5,\"port\":3001}                     | \"id\" must be an integer, was 1.5",
        "{\"id\":1,\"port\":3001,\"host\":7}            | \"host\" must be a string, was 7",
        "{\"id\":1,\"port\":3001,\"preVote\":\"yes\"}   | \"preVote\" must be true or false",
        "{\"id\":1,\"port\":3001,\"storageDir\":null}   | \"storageDir\" must be a string, was null",
        "{\"id\":1,\"port\":99999999999}                | \"port\" must be an integer",
    })
    void wrongTypesInTheFileAreRejected(String json, String message) throws IOException {
        assertFileRejected(json, "node.json", message);
    }

    @Test
    void missingFileIsRejected() {
        String absent = dir.resolve("absent.json").toString();
        assertRejected(() -> ConfigLoader.load(new String[] {absent}, Map.of()), "config file", "absent.json",
                "not found");
        assertEnvRejected(env("KVSTORE_CONFIG", absent), "absent.json", "not found");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"id\":1,", "id=1\nport=3001", "{\"id\":1} trailing", "{\"id\":1,\"id\":2}"})
    void fileThatIsNotJsonIsRejected(String text) throws IOException {
        assertFileRejected(text, "node.json", "not valid JSON", "line 1");
    }

    @Test
    void fileThatIsNotAnObjectIsRejected() throws IOException {
        assertFileRejected("", "node.json", "empty");
        assertFileRejected("[1,2]", "node.json", "must hold a JSON object");
    }

    @Test
    void directoryIsNotAConfigFile() {
        assertRejected(() -> ConfigLoader.load(new String[] {dir.toString()}, Map.of()), dir.toString());
    }

    @Test
    void extraArgumentsAreRejected() {
        assertRejected(() -> ConfigLoader.load(new String[] {"a.json", "b.json"}, Map.of()),
                "unexpected argument \"b.json\"");
    }

    // --- the environment ---

    @Test
    void missingIdOrPortIsRejected() {
        assertEnvRejected(env("KVSTORE_PORT", "3001"), "id is required", "KVSTORE_ID");
        assertEnvRejected(env("KVSTORE_ID", "1"), "port is required", "KVSTORE_PORT");
        assertEnvRejected(Map.of(), "id is required");
    }

    @Test
    void nonNumericEnvironmentValuesAreRejected() {
        assertEnvRejected(env("KVSTORE_ID", "one", "KVSTORE_PORT", "3001"), "KVSTORE_ID must be an integer",
                "\"one\"");
        assertEnvRejected(env("KVSTORE_ID", "1", "KVSTORE_PORT", "30o1"), "KVSTORE_PORT must be an integer");
        assertEnvRejected(env("KVSTORE_ID", "1", "KVSTORE_PORT", "1", "KVSTORE_PRE_VOTE", "yes"),
                "KVSTORE_PRE_VOTE must be true or false");
    }

    @Test
    void unknownKvstoreVariableIsRejected() {
        assertEnvRejected(env("KVSTORE_ID", "1", "KVSTORE_PORT", "1", "KVSTORE_PROT", "2"),
                "unknown environment variable KVSTORE_PROT", "did you mean KVSTORE_PORT?");
    }

    // --- validation ---

    @ParameterizedTest
    @ValueSource(strings = {"-1", "65536", "70000"})
    void outOfRangePortIsRejected(String port) {
        assertEnvRejected(env("KVSTORE_ID", "1", "KVSTORE_PORT", port),
                "port must be between 1 and 65535 (or 0 for any free port), was " + port, "(from KVSTORE_PORT)");
    }

    @Test
    void nonPositiveIdIsRejected() throws IOException {
        assertFileRejected("{\"id\":0,\"port\":3001}", "id must be a positive integer, was 0", "node.json");
    }

    @Test
    void electionTimeoutMustExceedHeartbeat() {
        assertEnvRejected(env("KVSTORE_ID", "1", "KVSTORE_PORT", "1", "KVSTORE_ELECTION_TIMEOUT_TICKS_MIN", "2"),
                "electionTimeoutTicksMin (2) must be greater than heartbeatIntervalTicks (2)");
        assertEnvRejected(env("KVSTORE_ID", "1", "KVSTORE_PORT", "1", "KVSTORE_HEARTBEAT_INTERVAL_TICKS", "10"),
                "electionTimeoutTicksMin (10) must be greater than heartbeatIntervalTicks (10)");
    }

    @Test
    void electionTimeoutMaxMustNotBeBelowMin() {
        assertEnvRejected(env("KVSTORE_ID", "1", "KVSTORE_PORT", "1", "KVSTORE_ELECTION_TIMEOUT_TICKS_MAX", "9"),
                "electionTimeoutTicksMax (9) must be at least electionTimeoutTicksMin (10)",
                "KVSTORE_ELECTION_TIMEOUT_TICKS_MAX");
    }

    @ParameterizedTest
    @ValueSource(strings = {"tickIntervalMs", "heartbeatIntervalTicks", "maxKeyBytes", "maxValueBytes",
        "maxRequestBodyBytes", "maxHeaderBytes", "maxInitialLineBytes", "maxQueryParams", "maxListLimit",
        "maxPendingProposals", "maxMessageBytes", "maxInflightMessages", "maxUncommittedBytes",
        "peerRequestTimeoutMs", "clientRequestTimeoutMs"})
    void nonPositiveLimitsAreRejected(String key) throws IOException {
        assertFileRejected("{\"id\":1,\"port\":1,\"" + key + "\":0}", key + " must be positive, was 0");
        assertEnvRejected(env("KVSTORE_ID", "1", "KVSTORE_PORT", "1", ConfigLoader.envName(key), "-5"),
                key + " must be positive, was -5", ConfigLoader.envName(key));
    }

    @Test
    void requestBodyLimitMayNotBeBelowValueLimit() {
        assertEnvRejected(env("KVSTORE_ID", "1", "KVSTORE_PORT", "1", "KVSTORE_MAX_REQUEST_BODY_BYTES", "1000"),
                "maxRequestBodyBytes (1000) must be at least maxValueBytes (1048576)");
    }

    @Test
    void blankHostAndStorageDirAreRejected() {
        assertEnvRejected(env("KVSTORE_ID", "1", "KVSTORE_PORT", "1", "KVSTORE_HOST", " "), "host must be",
                "KVSTORE_HOST");
        assertEnvRejected(env("KVSTORE_ID", "1", "KVSTORE_PORT", "1", "KVSTORE_STORAGE_DIR", ""),
                "storageDir must not be empty", "KVSTORE_STORAGE_DIR");
    }

    @Test
    void messagesStayOnOneLineEvenWithNewlinesInTheInput() {
        assertEnvRejected(env("KVSTORE_ID", "1", "KVSTORE_PORT", "1", "KVSTORE_PEERS", "2@http://a:1\n3@b"),
                "invalid KVSTORE_PEERS \"2@http://a:1\\n3@b\"");
    }
}
