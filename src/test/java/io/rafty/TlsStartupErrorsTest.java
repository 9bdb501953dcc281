package io.rafty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.security.TestPki;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node with TLS misconfigured stops at startup — before it opens storage or listens — with exit code 2 and one
 * line on stderr that names the problem and quotes no key. Runs the real {@link Main} in a child JVM on the test
 * class path (no fat jar needed), one process per bad configuration.
 */
class TlsStartupErrorsTest {

    @TempDir
    static Path dir;

    private static TestPki.Leaf node;
    private static TestPki.Leaf other;
    private static TestPki ca;

    @BeforeAll
    static void certificates() throws Exception {
        ca = TestPki.ca(dir, "ca");
        node = ca.issue("node");
        other = ca.issue("other");
    }

    private record Exit(int code, String stderr) {
    }

    private static Exit run(Map<String, String> settings) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
        builder.environment().keySet().removeIf(k -> k.startsWith("KVSTORE_"));
        Map<String, String> env = new HashMap<>(Map.of("KVSTORE_ID", "1", "KVSTORE_PORT", "0",
                "KVSTORE_STORAGE_DIR", dir.resolve("data").toString()));
        env.putAll(settings);
        builder.environment().putAll(env);
        builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Process process = builder.start();
        byte[] stderr = process.getErrorStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the node did not stop: " + env);
        }
        return new Exit(process.exitValue(), new String(stderr, StandardCharsets.UTF_8));
    }

    private static void assertOneLineExit2(Map<String, String> settings, String... fragments) throws Exception {
        Exit exit = run(settings);
        assertEquals(2, exit.code(), exit.stderr());
        List<String> lines = exit.stderr().lines().toList();
        assertEquals(1, lines.size(), "one line on stderr: " + exit.stderr());
        String line = lines.get(0);
        assertTrue(line.startsWith("rafty: "), line);
        for (String fragment : fragments) {
            assertTrue(line.contains(fragment), "\"" + line + "\" should mention " + fragment);
        }
        for (TestPki.Leaf leaf : List.of(node, other)) {
            String keyLine = Files.readString(leaf.keyFile()).lines().skip(1).findFirst().orElseThrow();
            assertFalse(line.contains(keyLine.substring(0, 16)), "no key material: " + line);
        }
        assertFalse(Files.exists(dir.resolve("data")), "stopped before opening storage");
    }

    private static Map<String, String> tls(String cert, String key) {
        Map<String, String> env = new HashMap<>();
        if (cert != null) {
            env.put("KVSTORE_TLS_CERT", cert);
        }
        if (key != null) {
            env.put("KVSTORE_TLS_KEY", key);
        }
        return env;
    }

    @Test
    void anUnreadableCertificateFile() throws Exception {
        Path missing = dir.resolve("missing.pem");
        assertOneLineExit2(tls(missing.toString(), node.keyFile().toString()),
                "tlsCert file " + missing + " not found", "KVSTORE_TLS_CERT");
    }

    @Test
    void aFileThatIsNotPem() throws Exception {
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "{\"not\":\"a certificate\"}\n");
        assertOneLineExit2(tls(node.certFile().toString(), garbage.toString()),
                "tlsKey file " + garbage + " holds no PEM private key");
    }

    @Test
    void aKeyThatDoesNotMatchItsCertificate() throws Exception {
        assertOneLineExit2(tls(node.certFile().toString(), other.keyFile().toString()),
                "tlsKey file " + other.keyFile() + " does not belong to the certificate of tlsCert file "
                        + node.certFile());
    }

    @Test
    void aCertificateWithoutAKeyAndAKeyWithoutACertificate() throws Exception {
        assertOneLineExit2(tls(node.certFile().toString(), null), "tlsCert is set but tlsKey is not");
        assertOneLineExit2(tls(null, node.keyFile().toString()), "tlsKey is set but tlsCert is not");
    }

    @Test
    void clientAuthWithoutACa() throws Exception {
        Map<String, String> env = tls(node.certFile().toString(), node.keyFile().toString());
        env.put("KVSTORE_TLS_CLIENT_AUTH", "true");
        assertOneLineExit2(env, "tlsClientAuth is true but tlsCa is not set", "KVSTORE_TLS_CLIENT_AUTH");
    }

    @Test
    void aPeerCertificateFromAnotherCa() throws Exception {
        TestPki.Leaf stranger = TestPki.ca(dir.resolve("stranger"), "stranger").issue("node");
        assertOneLineExit2(Map.of("KVSTORE_PEER_TLS_CERT", stranger.certFile().toString(),
                "KVSTORE_PEER_TLS_KEY", stranger.keyFile().toString(), "KVSTORE_PEER_TLS_CA", ca.caFile().toString(),
                "KVSTORE_PEERS", "2@https://127.0.0.1:1"), "is not signed by the CA of peerTlsCa");
    }
}
