package io.rafty.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/** Runs {@code deploy/entrypoint.sh --print-env} with exactly the given environment (plus PATH). */
final class Entrypoint {

    static final Path SCRIPT = Path.of("deploy", "entrypoint.sh");

    /** What one run printed and how it ended. */
    record Run(int exitCode, Map<String, String> env, String stderr) {
    }

    private Entrypoint() {
    }

    static Run printEnv(Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder("sh", SCRIPT.toString(), "--print-env");
        String path = builder.environment().getOrDefault("PATH", "/usr/bin:/bin");
        builder.environment().clear();
        builder.environment().put("PATH", path);
        builder.environment().putAll(env);
        Process process = builder.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("entrypoint.sh --print-env did not finish in 10 s");
        }
        Map<String, String> printed = new TreeMap<>();
        for (String line : out.split("\n")) {
            int equals = line.indexOf('=');
            if (equals > 0) {
                printed.put(line.substring(0, equals), line.substring(equals + 1));
            }
        }
        return new Run(process.exitValue(), printed, err);
    }
}
