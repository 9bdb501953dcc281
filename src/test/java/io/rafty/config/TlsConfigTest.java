package io.rafty.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.security.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TLS settings: loaded from the environment, their files read and checked before the node listens, and every
 * misconfiguration one line that names the setting and never quotes a key.
 */
class TlsConfigTest {

    @TempDir
    static Path dir;

    private static TestPki clientCa;
    private static TestPki peerCa;
    private static TestPki.Leaf server;
    private static TestPki.Leaf peer;
    private static TestPki.Leaf other;
    private static TestPki.Leaf strangerPeer;

    @BeforeAll
    static void certificates() throws Exception {
        clientCa = TestPki.ca(dir, "clients");
        peerCa = TestPki.ca(dir, "peers");
        server = peerCa.issue("server");
        peer = peerCa.issue("node");
        other = peerCa.issue("other");
        strangerPeer = TestPki.ca(dir, "stranger").issue("node");
    }

    private static Map<String, String> env(String... pairs) {
        Map<String, String> env = new HashMap<>(Map.of("KVSTORE_ID", "1", "KVSTORE_PORT", "3001"));
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    private static Map<String, String> secured(String... more) {
        Map<String, String> env = env("KVSTORE_TLS_CERT", server.certFile().toString(),
                "KVSTORE_TLS_KEY", server.keyFile().toString(), "KVSTORE_TLS_CA", clientCa.caFile().toString(),
                "KVSTORE_TLS_CLIENT_AUTH", "true", "KVSTORE_PEER_TLS_CERT", peer.certFile().toString(),
                "KVSTORE_PEER_TLS_KEY", peer.keyFile().toString(), "KVSTORE_PEER_TLS_CA", peerCa.caFile().toString(),
                "KVSTORE_PEERS", "2@https://127.0.0.1:3002;3@https://localhost:3003");
        for (int i = 0; i < more.length; i += 2) {
            if (more[i + 1] == null) {
                env.remove(more[i]);
            } else {
                env.put(more[i], more[i + 1]);
            }
        }
        return env;
    }

    private static NodeConfig load(Map<String, String> env) {
        return ConfigLoader.load(new String[0], env);
    }

    /** Loading fails with one line naming every fragment and quoting no key. */
    private static void assertRejected(Map<String, String> env, String... fragments) throws Exception {
        ConfigException e = assertThrows(ConfigException.class, () -> load(env));
        String message = e.getMessage();
        assertFalse(message.contains("\n"), message);
        for (TestPki.Leaf leaf : new TestPki.Leaf[] {server, peer, other}) {
            String keyText = Files.readString(leaf.keyFile());
            String someKeyBase64 = keyText.split("\n")[1].substring(0, 20);
            assertFalse(message.contains(someKeyBase64), "no key material in: " + message);
        }
        assertFalse(message.contains(Base64.getEncoder().encodeToString(server.keys().getPrivate().getEncoded())
                .substring(0, 20)), message);
        for (String fragment : fragments) {
            assertTrue(message.contains(fragment), "\"" + message + "\" should mention " + fragment);
        }
    }

    @Test
    void noTlsByDefault() {
        NodeConfig config = load(env());
        assertNull(config.tlsCert());
        assertNull(config.peerTlsCa());
        assertFalse(config.tlsClientAuth());
        assertFalse(config.httpTls());
    }

    @Test
    void aCompleteTlsConfigurationLoads() {
        NodeConfig config = load(secured());
        assertEquals(server.certFile(), config.tlsCert());
        assertEquals(server.keyFile(), config.tlsKey());
        assertEquals(clientCa.caFile(), config.tlsCa());
        assertTrue(config.tlsClientAuth());
        assertEquals(peer.certFile(), config.peerTlsCert());
        assertEquals(peer.keyFile(), config.peerTlsKey());
        assertEquals(peerCa.caFile(), config.peerTlsCa());
        assertTrue(config.httpTls());
    }

    @Test
    void peerTlsAloneMakesThePortTlsWithThePeerCertificate() {
        NodeConfig config = load(secured("KVSTORE_TLS_CERT", null, "KVSTORE_TLS_KEY", null, "KVSTORE_TLS_CA", null,
                "KVSTORE_TLS_CLIENT_AUTH", null));
        assertTrue(config.httpTls());
        assertNull(config.tlsCert());
    }

    @Test
    void clientTlsAloneServesASingleNode() {
        NodeConfig config = load(env("KVSTORE_TLS_CERT", server.certFile().toString(),
                "KVSTORE_TLS_KEY", server.keyFile().toString()));
        assertTrue(config.httpTls());
    }

    @Test
    void theOlderKeyFormatsAreReadToo() throws Exception {
        TestPki.Leaf rsa = peerCa.issueRsa("rsa");
        Path pkcs1 = rsa.writeLegacyKey(dir.resolve("rsa-pkcs1.pem"));
        assertTrue(Files.readString(pkcs1).contains("BEGIN RSA PRIVATE KEY"));
        load(secured("KVSTORE_TLS_CERT", rsa.certFile().toString(), "KVSTORE_TLS_KEY", pkcs1.toString()));
        Path sec1 = server.writeLegacyKey(dir.resolve("ec-sec1.pem"));
        assertTrue(Files.readString(sec1).contains("BEGIN EC PRIVATE KEY"));
        load(secured("KVSTORE_TLS_KEY", sec1.toString()));
        // A legacy key of another certificate is still caught.
        assertRejected(secured("KVSTORE_TLS_CERT", rsa.certFile().toString(), "KVSTORE_TLS_KEY", sec1.toString()),
                "tlsKey file " + sec1 + " does not belong to the certificate");
    }

    @Test
    void aMissingFileIsNamed() throws Exception {
        Path missing = dir.resolve("nope.pem");
        assertRejected(secured("KVSTORE_TLS_CERT", missing.toString()), "tlsCert file " + missing + " not found",
                "KVSTORE_TLS_CERT");
        assertRejected(secured("KVSTORE_PEER_TLS_CA", missing.toString()), "peerTlsCa file " + missing + " not found");
    }

    @Test
    void anUnreadablePathIsNamed() throws Exception {
        // Tests may run as root, who reads any file whatever its mode: a directory is unreadable for everyone.
        assertRejected(secured("KVSTORE_TLS_KEY", dir.toString()), "tlsKey file " + dir + " is a directory");
    }

    @Test
    void aFileThatIsNotPemIsRefused() throws Exception {
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "this is not a certificate\n");
        assertRejected(secured("KVSTORE_TLS_CERT", garbage.toString()), "holds no PEM certificate");
        assertRejected(secured("KVSTORE_PEER_TLS_KEY", garbage.toString()), "peerTlsKey", "holds no PEM private key");
        Path empty = Files.writeString(dir.resolve("empty.pem"), "");
        assertRejected(secured("KVSTORE_TLS_CA", empty.toString()), "tlsCa file " + empty + " is empty");
        Path broken = Files.writeString(dir.resolve("broken.pem"),
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        assertRejected(secured("KVSTORE_TLS_CERT", broken.toString()), "not a valid X.509 certificate");
        // The two swapped: a key where the certificate goes and the reverse.
        assertRejected(secured("KVSTORE_TLS_CERT", server.keyFile().toString()), "holds no PEM certificate",
                "it looks like a key");
        assertRejected(secured("KVSTORE_TLS_KEY", server.certFile().toString()), "holds no PEM private key",
                "it looks like a certificate");
    }

    @Test
    void aKeyThatIsNotTheCertificatesIsRefused() throws Exception {
        assertRejected(secured("KVSTORE_TLS_KEY", other.keyFile().toString()),
                "tlsKey file " + other.keyFile() + " does not belong to the certificate of tlsCert file "
                        + server.certFile(), "(from KVSTORE_TLS_KEY)");
        assertRejected(secured("KVSTORE_PEER_TLS_KEY", other.keyFile().toString()),
                "peerTlsKey file " + other.keyFile() + " does not belong to the certificate");
    }

    @Test
    void anEncryptedKeyIsRefusedWithAHint() throws Exception {
        Path encrypted = Files.writeString(dir.resolve("encrypted.pem"),
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n");
        assertRejected(secured("KVSTORE_TLS_KEY", encrypted.toString()), "is an encrypted key", "openssl pkcs8");
    }

    @Test
    void aCertificateNeedsItsKeyAndTheReverse() throws Exception {
        assertRejected(secured("KVSTORE_TLS_KEY", null), "tlsCert is set but tlsKey is not");
        assertRejected(secured("KVSTORE_TLS_CERT", null), "tlsKey is set but tlsCert is not");
        assertRejected(secured("KVSTORE_PEER_TLS_KEY", null), "peer TLS needs peerTlsCert, peerTlsKey and peerTlsCa",
                "missing: peerTlsKey");
        assertRejected(secured("KVSTORE_PEER_TLS_CA", null), "missing: peerTlsCa");
    }

    @Test
    void clientAuthNeedsACaAndACaNeedsClientAuth() throws Exception {
        assertRejected(secured("KVSTORE_TLS_CA", null), "tlsClientAuth is true but tlsCa is not set",
                "(from KVSTORE_TLS_CLIENT_AUTH)");
        assertRejected(secured("KVSTORE_TLS_CLIENT_AUTH", "false"), "tlsCa is set but tlsClientAuth is not true");
        assertRejected(secured("KVSTORE_TLS_CLIENT_AUTH", "yes"), "KVSTORE_TLS_CLIENT_AUTH must be true or false");
    }

    @Test
    void peerCertificatesMustComeFromThePeerCa() throws Exception {
        assertRejected(secured("KVSTORE_PEER_TLS_CERT", strangerPeer.certFile().toString(),
                "KVSTORE_PEER_TLS_KEY", strangerPeer.keyFile().toString()),
                "the certificate of peerTlsCert file " + strangerPeer.certFile(), "is not signed by the CA of peerTlsCa");
        // Peers reach the node on the port that serves tlsCert, and check it against the peer CA.
        TestPki.Leaf clientSigned = clientCa.issue("server");
        assertRejected(secured("KVSTORE_TLS_CERT", clientSigned.certFile().toString(),
                "KVSTORE_TLS_KEY", clientSigned.keyFile().toString()), "the certificate of tlsCert file",
                "is not signed by the CA of peerTlsCa", "verify the certificate it serves there");
    }

    @Test
    void aTlsPortNeedsHttpsPeersAndPeerTls() throws Exception {
        assertRejected(secured("KVSTORE_PEERS", "2@http://127.0.0.1:3002"), "peer 2 is http://127.0.0.1:3002",
                "https://host:port");
        assertRejected(secured("KVSTORE_PEERS", "", "KVSTORE_JOIN", "http://127.0.0.1:3002"),
                "join is http://127.0.0.1:3002");
        assertRejected(secured("KVSTORE_PEER_TLS_CERT", null, "KVSTORE_PEER_TLS_KEY", null, "KVSTORE_PEER_TLS_CA", null),
                "tlsCert makes the port that peers share with clients speak TLS");
        load(secured("KVSTORE_PEERS", "", "KVSTORE_JOIN", "https://127.0.0.1:3002"));
    }

    @Test
    void anEmptyPathIsAnErrorNotOff() throws Exception {
        assertRejected(secured("KVSTORE_TLS_CERT", " "), "tlsCert must not be empty");
    }
}
