package io.rafty.e2e;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/** Runs {@code target/rafty.jar} as an OS process with a given environment, output to a file. */
final class JarProcess {

    static final Path JAR = Path.of(System.getProperty("rafty.jar", "target/rafty.jar"));
    private static final int FIRST_PORT = 20_000;
    private static final int LAST_PORT = 32_000;
    private static final Set<Integer> HANDED_OUT = new HashSet<>();

    final Process process;
    final Path output;

    private JarProcess(Process process, Path output) {
        this.process = process;
        this.output = output;
    }

    static JarProcess start(Path workDir, String name, Map<String, String> env, String... args) throws IOException {
        return start(List.of(), workDir, name, env, args);
    }

    /**
     * As {@link #start(Path, String, Map, String...)}, with {@code launcher} before the java command, e.g.
     * {@code ip netns exec NS}. The launcher must exec java in place (not fork), so that this process's pid
     * is java's and {@link #kill()} kills the node, not a wrapper.
     */
    static JarProcess start(List<String> launcher, Path workDir, String name, Map<String, String> env, String... args)
            throws IOException {
        List<String> command = new ArrayList<>(launcher);
        command.addAll(List.of(javaBinary(), "-Xmx256m", "--enable-native-access=ALL-UNNAMED",
                "-jar", JAR.toAbsolutePath().toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile());
        builder.environment().keySet().removeIf(k -> k.startsWith("KVSTORE_"));
        builder.environment().putAll(env);
        Path output = workDir.resolve(name + ".log");
        builder.redirectErrorStream(true).redirectOutput(output.toFile());
        return new JarProcess(builder.start(), output);
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Waits for the process to exit within {@code budget}; returns its exit code. */
    int awaitExit(Duration budget) throws InterruptedException {
        if (!process.waitFor(budget.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("process did not exit within " + budget);
        }
        return process.exitValue();
    }

    String output() throws IOException {
        return Files.readString(output);
    }

    /** SIGKILL: no shutdown hook, no flush — the crash Raft must survive. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /**
     * A port no other node of this test run was given, and that nothing holds now. Chosen below the
     * kernel's ephemeral range (32768 and up on Linux), so that no outgoing connection — a peer's dial
     * to a node that is not listening yet, say — can take it between this call and the node's bind.
     */
    static synchronized int freePort() throws IOException {
        for (int attempt = 0; attempt < 1000; attempt++) {
            int port = FIRST_PORT + ThreadLocalRandom.current().nextInt(LAST_PORT - FIRST_PORT);
            if (!HANDED_OUT.add(port)) {
                continue;
            }
            try (ServerSocket socket = new ServerSocket()) {
                socket.bind(new InetSocketAddress("127.0.0.1", port));
                return port;
            } catch (IOException taken) {
                // Someone else's port: try another.
            }
        }
        throw new IOException("no free port in " + FIRST_PORT + ".." + LAST_PORT + " after 1000 attempts");
    }
}
