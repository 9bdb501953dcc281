package io.rafty.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exit codes and one-line messages of {@code rafty snapshot}: 2 for bad input, 3 when no endpoint answers. */
class SnapshotCommandTest {

    @TempDir
    Path dir;

    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return RaftyCli.run(args, new PrintWriter(new StringWriter()), new PrintWriter(err));
    }

    private void assertOneLineWithoutStackTrace() {
        String text = err.toString().strip();
        assertFalse(text.contains("\tat "), text);
        assertFalse(text.contains("Exception:"), text);
        assertTrue(text.startsWith("rafty snapshot"), text);
    }

    @Test
    void restoringAMissingFileIsBadInput() {
        assertEquals(2, run("snapshot", "restore", dir.resolve("none").toString(), "--data-dir",
                dir.resolve("d").toString(), "--id", "1"));
        assertOneLineWithoutStackTrace();
        assertTrue(err.toString().contains("no such file"), err.toString());
    }

    @Test
    void restoringAGarbageFileIsBadInputAndBuildsNothing() throws IOException {
        Path garbage = Files.writeString(dir.resolve("garbage"), "not a backup at all");
        assertEquals(2, run("snapshot", "restore", garbage.toString(), "--data-dir", dir.resolve("d").toString(),
                "--id", "1"));
        assertOneLineWithoutStackTrace();
        assertFalse(Files.exists(dir.resolve("d")));
    }

    @Test
    void badArgumentsAreBadInput() {
        assertEquals(2, run("snapshot", "restore", "f", "--data-dir", "d", "--id", "one"));
        assertOneLineWithoutStackTrace();
        assertEquals(2, run("snapshot", "restore", "f", "--id", "1"));
        assertEquals(2, run("snapshot", "restore", "f", "--data-dir", dir.resolve("d").toString(), "--id", "1",
                "--peers", "2@nonsense"));
        assertEquals(2, run("snapshot", "save", "f", "--endpoints", "ftp://host"));
        assertEquals(2, run("snapshot"));
        assertEquals(2, run("snapshot", "frobnicate"));
    }

    @Test
    void saveWithNoReachableEndpointExitsThreeAndLeavesNoFile() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        Path file = dir.resolve("b.snapshot");
        assertEquals(3, run("snapshot", "save", file.toString(), "--endpoints",
                "http://127.0.0.1:" + closedPort + ",http://127.0.0.1:" + closedPort));
        assertTrue(err.toString().contains("no endpoint streamed a backup"), err.toString());
        assertFalse(Files.exists(file));
        assertFalse(Files.exists(dir.resolve("b.snapshot.part")));
    }
}
