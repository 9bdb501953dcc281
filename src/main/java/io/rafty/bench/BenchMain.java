package io.rafty.bench;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Set;
import picocli.CommandLine;

/**
 * Entry point of the jar's benchmarking subcommands, dispatched by {@code io.rafty.Main} before any
 * node configuration is read:
 *
 * <ul>
 *   <li>{@code bench} — the load generator ({@link BenchCommand});</li>
 *   <li>{@code bench-server} — a trivial Vert.x HTTP server, the HTTP ceiling (hidden);</li>
 *   <li>{@code bench-rocksdb} — synced batched RocksDB writes, the storage ceiling (hidden).</li>
 * </ul>
 *
 * Any bad argument is one line on stderr, {@code rafty bench: <problem>}, and exit code 2.
 */
public final class BenchMain {

    public static final Set<String> COMMANDS = Set.of("bench", "bench-server", "bench-rocksdb");

    private BenchMain() {
    }

    public static boolean handles(String[] args) {
        return args.length > 0 && COMMANDS.contains(args[0]);
    }

    /** Runs the subcommand named by {@code args[0]}; returns the exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        Object command = switch (args[0]) {
            case "bench" -> new BenchCommand();
            case "bench-server" -> new TrivialServerCommand();
            case "bench-rocksdb" -> new RocksCeilingCommand();
            default -> throw new IllegalArgumentException("not a bench command: " + args[0]);
        };
        CommandLine commandLine = new CommandLine(command)
                .setOut(out)
                .setErr(err)
                .setParameterExceptionHandler((e, ignoredArgs) -> {
                    String message = e.getMessage() == null ? "bad arguments" : e.getMessage().replace('\n', ' ');
                    e.getCommandLine().getErr().println("rafty " + args[0] + ": " + message
                            + " (see --help)");
                    e.getCommandLine().getErr().flush();
                    return 2;
                });
        int code = commandLine.execute(Arrays.copyOfRange(args, 1, args.length));
        out.flush();
        err.flush();
        return code;
    }
}
