package io.rafty.e2e;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs {@code target/rafty.jar} as an OS process with a given environment, output to a file. */
final class JarProcess {

    static final Path JAR = Path.of(System.getProperty("rafty.jar", "target/rafty.jar"));

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

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }
}
