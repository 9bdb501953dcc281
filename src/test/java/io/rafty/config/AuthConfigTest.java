package io.rafty.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** KVSTORE_AUTH and its settings: off by default, on only with a root password, which is never echoed. */
class AuthConfigTest {

    private static final String PASSWORD = "s3cret-root-pass";

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

    private static void assertRejected(Map<String, String> env, String... fragments) {
        ConfigException e = assertThrows(ConfigException.class, () -> load(env));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertFalse(e.getMessage().contains(PASSWORD), "the password is never echoed: " + e.getMessage());
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), "\"" + e.getMessage() + "\" should mention " + fragment);
        }
    }

    @Test
    void offByDefaultWithTheDocumentedDefaults() {
        NodeConfig config = load(env());
        assertFalse(config.auth());
        assertEquals(10, config.authBcryptCost());
        assertEquals(300, config.authTokenTtlS());
        assertTrue(config.authMetricsOpen());
        assertEquals(1024, config.authHeaderBytesMax());
    }

    @Test
    void authWithoutARootPasswordStopsTheNode() {
        assertRejected(env("KVSTORE_AUTH", "true"), "auth is on", "KVSTORE_AUTH_ROOT_PASSWORD_FILE",
                "KVSTORE_AUTH_ROOT_PASSWORD");
    }

    @Test
    void theRootPasswordFromTheEnvironmentOrAFile() throws Exception {
        NodeConfig fromEnv = load(env("KVSTORE_AUTH", "true", "KVSTORE_AUTH_ROOT_PASSWORD", PASSWORD));
        assertTrue(fromEnv.auth());
        assertEquals(PASSWORD, fromEnv.authRootPassword().reveal());
        assertFalse(fromEnv.toString().contains(PASSWORD), "a config dump does not show it");
        Path file = dir.resolve("root-password");
        Files.writeString(file, PASSWORD + "\n");
        NodeConfig fromFile = load(env("KVSTORE_AUTH", "true", "KVSTORE_AUTH_ROOT_PASSWORD_FILE", file.toString(),
                "KVSTORE_AUTH_TOKEN_TTL_S", "60", "KVSTORE_AUTH_BCRYPT_COST", "12", "KVSTORE_AUTH_METRICS_OPEN", "false",
                "KVSTORE_AUTH_HEADER_BYTES_MAX", "2048"));
        assertEquals(PASSWORD, fromFile.authRootPassword().reveal(), "the newline is not part of it");
        assertEquals(60, fromFile.authTokenTtlS());
        assertEquals(12, fromFile.authBcryptCost());
        assertFalse(fromFile.authMetricsOpen());
        assertEquals(2048, fromFile.authHeaderBytesMax());
    }

    @Test
    void badRootPasswordsAndSettingsAreOneLine() throws Exception {
        assertRejected(env("KVSTORE_AUTH", "true", "KVSTORE_AUTH_ROOT_PASSWORD", "short"), "too short");
        assertRejected(env("KVSTORE_AUTH", "true", "KVSTORE_AUTH_ROOT_PASSWORD_FILE",
                dir.resolve("missing").toString()), "not found");
        Path empty = dir.resolve("empty");
        Files.writeString(empty, "\n");
        assertRejected(env("KVSTORE_AUTH", "true", "KVSTORE_AUTH_ROOT_PASSWORD_FILE", empty.toString()), "empty");
        Path file = dir.resolve("pw");
        Files.writeString(file, PASSWORD);
        assertRejected(env("KVSTORE_AUTH", "true", "KVSTORE_AUTH_ROOT_PASSWORD", PASSWORD,
                "KVSTORE_AUTH_ROOT_PASSWORD_FILE", file.toString()), "not both");
        assertRejected(env("KVSTORE_AUTH", "true", "KVSTORE_AUTH_ROOT_PASSWORD", PASSWORD,
                "KVSTORE_AUTH_BCRYPT_COST", "3"), "authBcryptCost");
        assertRejected(env("KVSTORE_AUTH", "yes"), "KVSTORE_AUTH", "true or false");
    }
}
