package io.rafty.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad configuration stops the jar with one clear line and exit code 2 (DESIGN §5). */
class StartupErrorsIT {

    @TempDir
    Path dir;

    private void assertOneLineExit2(JarProcess process, String expected) throws Exception {
        assertEquals(2, process.awaitExit(Duration.ofSeconds(30)), process.output());
        String[] errorLines = process.output().lines().filter(l -> l.startsWith("rafty:")).toArray(String[]::new);
        assertEquals(1, errorLines.length, process.output());
        assertTrue(errorLines[0].contains(expected), errorLines[0]);
        assertFalse(process.output().contains("\tat "), "no stack trace: " + process.output());
    }

    @Test
    void malformedPeersExitWithCode2() throws Exception {
        JarProcess process = JarProcess.start(dir, "bad-peers",
                Map.of("KVSTORE_ID", "1", "KVSTORE_PORT", "3001", "KVSTORE_PEERS", "2@localhost:3002"));
        assertOneLineExit2(process, "invalid KVSTORE_PEERS");
    }

    @Test
    void ownIdAmongPeersExitsWithCode2() throws Exception {
        JarProcess process = JarProcess.start(dir, "own-id",
                Map.of("KVSTORE_ID", "1", "KVSTORE_PORT", "3001", "KVSTORE_PEERS", "1@http://127.0.0.1:3002"));
        assertOneLineExit2(process, "own id 1");
    }

    @Test
    void anEmptyClusterSecretFileExitsWithCode2() throws Exception {
        java.nio.file.Path secret = dir.resolve("cluster-secret");
        java.nio.file.Files.writeString(secret, "\n");
        JarProcess process = JarProcess.start(dir, "empty-secret", Map.of("KVSTORE_ID", "1", "KVSTORE_PORT", "3001",
                "KVSTORE_PEERS", "2@http://127.0.0.1:3002", "KVSTORE_CLUSTER_SECRET_FILE", secret.toString()));
        assertOneLineExit2(process, "cluster secret file " + secret + " is empty");
    }

    @Test
    void authWithoutARootPasswordExitsWithCode2() throws Exception {
        JarProcess process = JarProcess.start(dir, "auth-no-root", Map.of("KVSTORE_ID", "1", "KVSTORE_PORT", "3001",
                "KVSTORE_PEERS", "2@http://127.0.0.1:3002", "KVSTORE_AUTH", "true"));
        assertOneLineExit2(process, "auth is on but there is no root password");
    }

    @Test
    void portInUseExitsWithCode2() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            JarProcess process = JarProcess.start(dir, "port-in-use", Map.of("KVSTORE_ID", "1",
                    "KVSTORE_PORT", Integer.toString(taken.getLocalPort()),
                    "KVSTORE_PEERS", "2@http://127.0.0.1:1"));
            assertOneLineExit2(process, "address already in use");
        }
    }

    @Test
    void storageDirectoryHeldByAnotherProcessExitsWithCode2() throws Exception {
        int port = JarProcess.freePort();
        JarProcess holder = JarProcess.start(dir, "holder", Map.of("KVSTORE_ID", "1",
                "KVSTORE_PORT", Integer.toString(port), "KVSTORE_STORAGE_DIR", "shared-data",
                "KVSTORE_PEERS", "2@http://127.0.0.1:1"));
        try {
            HttpClient http = HttpClient.newHttpClient();
            Awaitility.await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
            JarProcess second = JarProcess.start(dir, "second", Map.of("KVSTORE_ID", "1",
                    "KVSTORE_PORT", Integer.toString(JarProcess.freePort()), "KVSTORE_STORAGE_DIR", "shared-data",
                    "KVSTORE_PEERS", "2@http://127.0.0.1:1"));
            assertOneLineExit2(second, "in use by another process");
        } finally {
            holder.kill();
        }
    }
}
