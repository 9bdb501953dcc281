package io.rafty.chaos;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One Rafty node as an OS process running the fat jar, with the three things a fault run does to a
 * process: SIGKILL, SIGSTOP and SIGCONT. Output is appended to one log file across
 * restarts, so a failing run keeps the whole story of each node.
 */
final class NodeProcess {

    /** Small heaps and a quick start: three nodes, the clients and the checker share a laptop. */
    private static final List<String> JVM_OPTIONS = List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "--enable-native-access=ALL-UNNAMED");
    private static final long SIGNAL_TIMEOUT_S = 5;
    private static final long KILL_TIMEOUT_S = 10;

    final int id;
    private final Path jar;
    private final Path workDir;
    private final Map<String, String> env;
    private final Path log;
    private Process process;
    private boolean paused;
    /** True between a SIGKILL from the nemesis and the next start: a dead node without it crashed by itself. */
    private boolean killedByTest;

    NodeProcess(int id, Path jar, Path workDir, Map<String, String> env) {
        this.id = id;
        this.jar = jar;
        this.workDir = workDir;
        this.env = Map.copyOf(env);
        this.log = workDir.resolve("node" + id + ".log");
    }

    Path log() {
        return log;
    }

    synchronized void start() throws IOException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("node " + id + " is already running");
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(JVM_OPTIONS);
        command.add("-jar");
        command.add(jar.toAbsolutePath().toString());
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile());
        builder.environment().keySet().removeIf(k -> k.startsWith("KVSTORE_"));
        builder.environment().putAll(env);
        builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        process = builder.start();
        paused = false;
        killedByTest = false;
    }

    synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** The process has ended although nothing killed it. */
    synchronized boolean crashed() {
        return process != null && !process.isAlive() && !killedByTest;
    }

    synchronized boolean isPaused() {
        return paused;
    }

    /** The exit code if the process ended by itself or by a kill; -1 while it runs. */
    synchronized int exitCode() {
        return process == null || process.isAlive() ? -1 : process.exitValue();
    }

    /** SIGKILL: no shutdown hook, no flush — the crash Raft must survive. Works on a stopped process too. */
    synchronized void kill() throws InterruptedException {
        if (process == null) {
            return;
        }
        killedByTest = true;
        process.destroyForcibly();
        if (!process.waitFor(KILL_TIMEOUT_S, TimeUnit.SECONDS)) {
            throw new IllegalStateException("node " + id + " survived SIGKILL for " + KILL_TIMEOUT_S + " s");
        }
        paused = false;
    }

    /** SIGSTOP: the process freezes mid-instruction; its sockets stay open and the kernel keeps accepting. */
    synchronized void pause() throws IOException, InterruptedException {
        if (isRunning() && !paused) {
            signal("STOP");
            paused = true;
        }
    }

    synchronized void resume() throws IOException, InterruptedException {
        if (isRunning() && paused) {
            signal("CONT");
        }
        paused = false;
    }

    private void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid()))
                .redirectErrorStream(true).start();
        if (!kill.waitFor(SIGNAL_TIMEOUT_S, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IOException("kill -" + name + " " + process.pid() + " failed");
        }
    }
}
