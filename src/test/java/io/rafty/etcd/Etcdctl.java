package io.rafty.etcd;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a Debian binary (etcdctl 3.4, etcd 3.4) from PATH as the etcd tests do: bounded, output captured. */
final class Etcdctl {

    static final long COMMAND_TIMEOUT_SECONDS = 30;

    /** What one run printed (stdout and stderr together) and how it exited. */
    record Run(int exitCode, String output) {
    }

    private Etcdctl() {
    }

    /** The binary's path on PATH, or null when it is not installed. */
    static String find(String binary) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            File candidate = new File(dir, binary);
            if (candidate.canExecute()) {
                return candidate.getPath();
            }
        }
        return null;
    }

    /** {@code ETCDCTL_API=3 etcdctl --endpoints=endpoint args...} with {@code stdin}, within the timeout. */
    static Run run(String endpoint, String stdin, List<String> args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(find("etcdctl"), "--endpoints=" + endpoint,
                "--command-timeout=20s"));
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("ETCDCTL_API", "3");
        Process process = builder.start();
        process.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().close();
        assertTrue(process.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS), "etcdctl " + args + " hung");
        return new Run(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }
}
