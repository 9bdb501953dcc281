package io.rafty.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** KVSTORE_CLUSTER_SECRET and KVSTORE_CLUSTER_SECRET_FILE: loaded, checked, and never echoed. */
class ClusterSecretConfigTest {

    private static final String SECRET = "3f1c9a2b7d4e8f60a1b2c3d4e5f60718";

    @TempDir
    Path dir;

    private static Map<String, String> env(String... pairs) {
        Map<String, String> env = new HashMap<>(Map.of("KVSTORE_ID", "1", "KVSTORE_PORT", "3001"));
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    private static NodeConfig load(Map<String, String> env) {
        return ConfigLoader.load(new String[0], env);
    }

    /** Loading fails with one line containing every fragment and never the secret. */
    private static void assertRejected(Map<String, String> env, String... fragments) {
        ConfigException e = assertThrows(ConfigException.class, () -> load(env));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertFalse(e.getMessage().contains(SECRET.substring(0, 8)), "the secret is never echoed: " + e.getMessage());
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), "\"" + e.getMessage() + "\" should mention " + fragment);
        }
    }

    @Test
    void noSecretByDefault() {
        NodeConfig config = load(env());
        assertNull(config.clusterSecret());
        assertEquals(NodeConfig.DEFAULT_PEER_AUTH_MAX_CLOCK_SKEW_MS, config.peerAuthMaxClockSkewMs());
        assertEquals(NodeConfig.DEFAULT_PEER_AUTH_NONCE_CACHE_ENTRIES, config.peerAuthNonceCacheEntries());
    }

    @Test
    void secretFromTheEnvironment() {
        NodeConfig config = load(env("KVSTORE_CLUSTER_SECRET", SECRET));
        assertEquals(ClusterSecret.of(SECRET), config.clusterSecret());
        assertFalse(config.toString().contains(SECRET), "a config dump does not show it: " + config);
    }

    @Test
    void secretFromAFileWithoutItsTrailingNewline() throws Exception {
        Path file = dir.resolve("secret");
        Files.writeString(file, SECRET + "\n");
        NodeConfig config = load(env("KVSTORE_CLUSTER_SECRET_FILE", file.toString()));
        assertEquals(ClusterSecret.of(SECRET), config.clusterSecret());
        assertEquals(file, config.clusterSecretFile());
        assertFalse(config.toString().contains(SECRET), config.toString());
    }

    @Test
    void peerAuthLimitsAreSettings() {
        NodeConfig config = load(env("KVSTORE_PEER_AUTH_MAX_CLOCK_SKEW_MS", "5000",
                "KVSTORE_PEER_AUTH_NONCE_CACHE_ENTRIES", "10"));
        assertEquals(5000, config.peerAuthMaxClockSkewMs());
        assertEquals(10, config.peerAuthNonceCacheEntries());
        assertRejected(env("KVSTORE_PEER_AUTH_NONCE_CACHE_ENTRIES", "0"), "peerAuthNonceCacheEntries must be positive");
    }

    @Test
    void aMissingFileIsRejected() {
        Path missing = dir.resolve("nope");
        assertRejected(env("KVSTORE_CLUSTER_SECRET_FILE", missing.toString()), "cluster secret file " + missing,
                "not found", "KVSTORE_CLUSTER_SECRET_FILE");
    }

    @Test
    void anUnreadableFileIsRejected() {
        // A directory: unreadable as a file even for root, who reads files of any mode.
        assertRejected(env("KVSTORE_CLUSTER_SECRET_FILE", dir.toString()), "cannot be read",
                "KVSTORE_CLUSTER_SECRET_FILE");
    }

    @Test
    void anEmptyOrShortFileIsRejected() throws Exception {
        Path empty = dir.resolve("empty");
        Files.writeString(empty, "  \n");
        assertRejected(env("KVSTORE_CLUSTER_SECRET_FILE", empty.toString()), "is empty", "KVSTORE_CLUSTER_SECRET_FILE");
        Path shortOne = dir.resolve("short");
        Files.writeString(shortOne, SECRET.substring(0, 15));
        assertRejected(env("KVSTORE_CLUSTER_SECRET_FILE", shortOne.toString()), "is 15 bytes", "at least 16");
    }

    @Test
    void anOversizedFileIsRejected() throws Exception {
        Path big = dir.resolve("big");
        Files.write(big, "x".repeat(ClusterSecret.MAX_BYTES + 1).getBytes(StandardCharsets.UTF_8));
        assertRejected(env("KVSTORE_CLUSTER_SECRET_FILE", big.toString()), "longer than 4096 bytes");
    }

    @Test
    void aShortSecretIsRejectedWithoutEchoingIt() {
        assertRejected(env("KVSTORE_CLUSTER_SECRET", SECRET.substring(0, 10)), "clusterSecret is 10 bytes",
                "KVSTORE_CLUSTER_SECRET");
    }

    @Test
    void bothTheSecretAndItsFileAreRejected() throws Exception {
        Path file = dir.resolve("secret");
        Files.writeString(file, SECRET);
        assertRejected(env("KVSTORE_CLUSTER_SECRET", SECRET, "KVSTORE_CLUSTER_SECRET_FILE", file.toString()),
                "not both", "KVSTORE_CLUSTER_SECRET", "KVSTORE_CLUSTER_SECRET_FILE");
    }

    @Test
    void aSecretOfTheWrongTypeInTheConfigFileIsNotEchoed() throws Exception {
        Path json = dir.resolve("node.json");
        Files.writeString(json, "{\"id\":1,\"port\":3001,\"clusterSecret\":31415926535897932384}");
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(new String[] {json.toString()}, Map.of()));
        assertTrue(e.getMessage().contains("\"clusterSecret\" must be a string"), e.getMessage());
        assertFalse(e.getMessage().contains("31415"), e.getMessage());
    }
}
