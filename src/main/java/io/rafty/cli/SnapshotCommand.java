package io.rafty.cli;

import io.rafty.config.ConfigException;
import io.rafty.config.Peer;
import io.rafty.storage.BackupFormat;
import io.rafty.storage.Restore;
import io.rafty.storage.StorageException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code rafty snapshot save FILE} downloads a backup ({@code GET /v1/snapshot}) from the first endpoint
 * that streams one whole; {@code rafty snapshot restore FILE --data-dir DIR --id N} builds a new
 * cluster's first node from it ({@link Restore}). Exit codes: 0 done, 2 bad arguments or a bad file (one
 * line on stderr, never a stack trace), 3 no endpoint could stream a backup.
 */
@Command(name = "snapshot", mixinStandardHelpOptions = true,
        description = "Back up a cluster's state machine, or restore a new cluster from a backup.",
        subcommands = {SnapshotCommand.SaveCommand.class, SnapshotCommand.RestoreCommand.class})
public final class SnapshotCommand implements Callable<Integer> {

    public static final int EXIT_BAD_INPUT = 2;
    public static final int EXIT_NO_ENDPOINT = 3;
    static final String ENDPOINTS_ENV = "RAFTY_ENDPOINTS";
    static final String DEFAULT_ENDPOINTS = "http://127.0.0.1:3001,http://127.0.0.1:3002,http://127.0.0.1:3003";
    /** How long to wait for a node to accept the connection, and for the first byte of its answer. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);
    static final Duration FIRST_BYTE_TIMEOUT = Duration.ofSeconds(30);
    /** Progress lines on stderr at most this often. */
    static final long PROGRESS_INTERVAL_NANOS = Duration.ofSeconds(1).toNanos();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Whether {@code io.rafty.Main} should hand {@code args} to {@link #run}. */
    public static boolean handles(String[] args) {
        return args.length > 0 && "snapshot".equals(args[0]);
    }

    /** Runs {@code snapshot ...} ({@code args[0]} is "snapshot"); returns the exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine commandLine = new CommandLine(new SnapshotCommand())
                .setOut(out)
                .setErr(err)
                .setParameterExceptionHandler((e, ignored) -> {
                    String message = e.getMessage() == null ? "bad arguments" : e.getMessage().replace('\n', ' ');
                    e.getCommandLine().getErr().println("rafty " + e.getCommandLine().getCommandSpec().qualifiedName() + ": "
                            + message
                            + " (see --help)");
                    return EXIT_BAD_INPUT;
                })
                .setExecutionExceptionHandler((e, cl, ignored) -> {
                    cl.getErr().println("rafty " + cl.getCommandSpec().qualifiedName() + ": " + e);
                    return EXIT_BAD_INPUT;
                });
        int code = commandLine.execute(Arrays.copyOfRange(args, 1, args.length));
        out.flush();
        err.flush();
        return code;
    }

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("rafty snapshot: name a subcommand, save or restore (see --help)");
        return EXIT_BAD_INPUT;
    }

    @Command(name = "save", mixinStandardHelpOptions = true,
            description = "Download a consistent backup into FILE (written to FILE.part, verified, then renamed).")
    static final class SaveCommand implements Callable<Integer> {

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE", description = "where to write the backup")
        Path file;

        @Option(names = "--endpoints", split = ",", paramLabel = "URL",
                description = "nodes to try in order (default: $" + ENDPOINTS_ENV + ", else " + DEFAULT_ENDPOINTS + ")")
        List<String> endpoints;

        @Override
        public Integer call() {
            PrintWriter err = spec.commandLine().getErr();
            List<URI> uris;
            try {
                uris = endpoints(endpoints, System.getenv(ENDPOINTS_ENV));
            } catch (IllegalArgumentException e) {
                err.println("rafty snapshot save: " + e.getMessage());
                return EXIT_BAD_INPUT;
            }
            Path part = file.resolveSibling(file.getFileName() + ".part");
            if (Files.isDirectory(file)) {
                err.println("rafty snapshot save: " + file + " is a directory");
                return EXIT_BAD_INPUT;
            }
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(CONNECT_TIMEOUT).build();
            List<String> failures = new ArrayList<>();
            for (URI endpoint : uris) {
                try {
                    BackupFormat.Summary summary = download(http, endpoint, part, err);
                    Files.move(part, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                    err.println("rafty snapshot save: " + file + ": revision " + summary.header().revision() + ", "
                            + summary.records() + " records, " + summary.bytes() + " bytes, crc32c "
                            + Long.toHexString(summary.crc32c()) + " (from " + endpoint + ")");
                    err.flush();
                    return 0;
                } catch (IOException | BackupFormat.CorruptBackupException | EndpointRefused e) {
                    failures.add(endpoint + ": " + reason(e));
                    err.println("rafty snapshot save: " + endpoint + ": " + reason(e) + "; trying the next endpoint");
                    deleteQuietly(part);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    deleteQuietly(part);
                    err.println("rafty snapshot save: interrupted");
                    return EXIT_NO_ENDPOINT;
                }
            }
            err.println("rafty snapshot save: no endpoint streamed a backup (" + String.join("; ", failures) + ")");
            return EXIT_NO_ENDPOINT;
        }

        private static BackupFormat.Summary download(HttpClient http, URI endpoint, Path part, PrintWriter err)
                throws IOException, InterruptedException, EndpointRefused {
            HttpRequest request = HttpRequest.newBuilder(endpoint.resolve("/v1/snapshot"))
                    .timeout(FIRST_BYTE_TIMEOUT).GET().build();
            HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream body = response.body()) {
                if (response.statusCode() != 200) {
                    String text = new String(body.readNBytes(1024), java.nio.charset.StandardCharsets.UTF_8);
                    throw new EndpointRefused(response.statusCode() + " " + text.strip());
                }
                String revision = response.headers().firstValue("x-rafty-revision").orElse("?");
                err.println("rafty snapshot save: " + endpoint + ": streaming revision " + revision);
                err.flush();
                long bytes = 0;
                long lastReport = System.nanoTime();
                byte[] buffer = new byte[1 << 16];
                try (OutputStream out = Files.newOutputStream(part)) {
                    for (int n; (n = body.read(buffer)) >= 0; ) {
                        out.write(buffer, 0, n);
                        bytes += n;
                        long now = System.nanoTime();
                        if (now - lastReport >= PROGRESS_INTERVAL_NANOS) {
                            lastReport = now;
                            err.println("rafty snapshot save: " + bytes + " bytes");
                            err.flush();
                        }
                    }
                }
                err.println("rafty snapshot save: " + bytes + " bytes received, verifying");
                err.flush();
            }
            return BackupFormat.verify(part);
        }
    }

    @Command(name = "restore", mixinStandardHelpOptions = true,
            description = "Build the storage directory of the first node of a NEW cluster from a backup.")
    static final class RestoreCommand implements Callable<Integer> {

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE", description = "the backup to restore")
        Path file;

        @Option(names = "--data-dir", required = true, paramLabel = "DIR",
                description = "the new node's storage directory (must not exist, or be empty)")
        Path dataDir;

        @Option(names = "--id", required = true, paramLabel = "N", description = "the new node's id")
        int id;

        @Option(names = "--peers", paramLabel = "ID@URL;...",
                description = "the other members, e.g. \"2@http://10.0.0.2:3002;3@http://10.0.0.3:3003\": "
                        + "they join as learners (start them empty with KVSTORE_JOIN) and are promoted once caught up")
        String peers = "";

        @Override
        public Integer call() {
            PrintWriter err = spec.commandLine().getErr();
            try {
                Map<Integer, String> members = new LinkedHashMap<>();
                for (Peer peer : Peer.parseList(peers, "--peers")) {
                    members.put(peer.id(), peer.url());
                }
                Restore.Result result = Restore.restore(file, dataDir, id, members);
                BackupFormat.Summary backup = result.backup();
                err.println("rafty snapshot restore: " + dataDir + ": node " + id + " at revision "
                        + backup.header().revision() + " (" + backup.records() + " records), storage id "
                        + Long.toHexString(result.storageId()) + ", voters " + result.membership().voters()
                        + ", learners " + result.membership().learners());
                err.println("rafty snapshot restore: start it with KVSTORE_ID=" + id + " KVSTORE_STORAGE_DIR=" + dataDir
                        + (members.isEmpty() ? "" : "; start each peer on empty storage with KVSTORE_JOIN=<its URL>"));
                return 0;
            } catch (ConfigException | Restore.RefusedException
                     | BackupFormat.CorruptBackupException e) {
                err.println("rafty snapshot restore: " + e.getMessage());
                return EXIT_BAD_INPUT;
            } catch (StorageException e) {
                err.println("rafty snapshot restore: " + e.getMessage());
                return EXIT_BAD_INPUT;
            } finally {
                err.flush();
            }
        }
    }

    /** {@code --endpoints}, else the environment's list, else the local three nodes of conf/. */
    static List<URI> endpoints(List<String> option, String env) {
        List<String> raw = option != null && !option.isEmpty() ? option
                : env != null && !env.isBlank() ? List.of(env.split(",")) : List.of(DEFAULT_ENDPOINTS.split(","));
        List<URI> uris = new ArrayList<>();
        for (String text : raw) {
            String trimmed = text.strip();
            if (trimmed.isEmpty()) {
                continue;
            }
            URI uri;
            try {
                uri = URI.create(trimmed);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("endpoint " + trimmed + " is not a URL");
            }
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new IllegalArgumentException("endpoint " + trimmed + " is not an http(s)://host:port URL");
            }
            uris.add(uri);
        }
        if (uris.isEmpty()) {
            throw new IllegalArgumentException("no endpoints given");
        }
        return uris;
    }

    private static String reason(Exception e) {
        if (e instanceof java.net.ConnectException || e.getMessage() == null) {
            return "cannot connect (" + e.getClass().getSimpleName() + ")";
        }
        return e.getMessage();
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // A leftover .part file is harmless; the next save overwrites it.
        }
    }

    /** The endpoint answered, but not with a backup (503 while it has no leader, say). */
    static final class EndpointRefused extends Exception {

        private static final long serialVersionUID = 1L;

        EndpointRefused(String message) {
            super(message);
        }
    }
}
