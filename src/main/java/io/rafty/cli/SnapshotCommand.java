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
 * line on stderr, never a stack trace), 3 no endpoint could stream a backup ({@link ExitCodes}).
 */
@Command(name = "snapshot", mixinStandardHelpOptions = true,
        description = "Back up a cluster's state machine, or restore a new cluster from a backup.",
        subcommands = {SnapshotCommand.SaveCommand.class, SnapshotCommand.RestoreCommand.class})
public final class SnapshotCommand implements Callable<Integer> {

    /** How long to wait for a node to accept the connection, and for the first byte of its answer. */
    static final Duration FIRST_BYTE_TIMEOUT = Duration.ofSeconds(30);
    /** Progress lines on stderr at most this often. */
    static final long PROGRESS_INTERVAL_NANOS = Duration.ofSeconds(1).toNanos();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a subcommand, save or restore");
    }

    @Command(name = "save", mixinStandardHelpOptions = true,
            description = "Download a consistent backup into FILE (written to FILE.part, verified, then renamed).")
    static final class SaveCommand implements Callable<Integer> {

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE", description = "where to write the backup")
        Path file;

        @CommandLine.Mixin
        Endpoints endpoints;

        @Override
        public Integer call() {
            PrintWriter err = spec.commandLine().getErr();
            List<URI> uris = endpoints.list();
            Path part = file.resolveSibling(file.getFileName() + ".part");
            if (Files.isDirectory(file)) {
                throw CliException.usage(file + " is a directory");
            }
            HttpClient.Builder builder = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(endpoints.connectTimeout());
            javax.net.ssl.SSLContext tls = endpoints.tls();
            HttpClient http = (tls == null ? builder : builder.sslContext(tls)).build();
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
                    throw new CliException(ExitCodes.UNAVAILABLE, "interrupted");
                }
            }
            throw new CliException(ExitCodes.UNAVAILABLE, "no endpoint streamed a backup (" + String.join("; ", failures)
                    + ")");
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
            } catch (ConfigException | Restore.RefusedException | BackupFormat.CorruptBackupException
                     | StorageException e) {
                throw CliException.usage(e.getMessage());
            } finally {
                err.flush();
            }
        }
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
