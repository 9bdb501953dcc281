package io.rafty.cli;

import io.rafty.bench.BenchMain;
import java.io.PrintWriter;
import java.util.LinkedHashSet;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code rafty}: the command-line client of a Rafty cluster, in the same jar as the node.
 * {@code java -jar rafty.jar <command> ...} runs it when the first argument names one of its commands
 * ({@link #handles}); anything else starts a node. Every failure is one line on stderr and an exit code
 * from {@link ExitCodes}, never a stack trace.
 */
@Command(name = "rafty", mixinStandardHelpOptions = true, version = "rafty 0.1", scope = CommandLine.ScopeType.INHERIT,
        description = "Command-line client of a Rafty cluster.",
        footer = {"", "Every command takes --endpoints URL[,URL...] (else $RAFTY_ENDPOINTS, else the local cluster of run-cluster.sh,"
            + " http://127.0.0.1:3001-3003), -o table|json, --timeout and -v. See: rafty help COMMAND."},
        // The commands of the CLI, in the order --help lists them. A new command is added here, and only here.
        subcommands = {
            PutCommand.class,
            GetCommand.class,
            DelCommand.class,
            LsCommand.class,
            WatchCommand.class,
            TxnCommand.class,
            LeaseCommand.class,
            ClusterCommand.class,
            SnapshotCommand.class,
            ChaosCommand.class,
            BenchDelegate.class,
            CommandLine.HelpCommand.class,
        })
public final class RaftyCli implements Runnable {

    /** Root options that also mean "the CLI", not a config file path. */
    private static final Set<String> ROOT_OPTIONS = Set.of("-h", "--help", "-V", "--version");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    /** The names of the root's subcommands, read from the annotation (no picocli model is built for a node start). */
    public static Set<String> commandNames() {
        Set<String> names = new LinkedHashSet<>();
        for (Class<?> sub : RaftyCli.class.getAnnotation(Command.class).subcommands()) {
            Command command = sub.getAnnotation(Command.class);
            names.add(command.name());
            names.addAll(Set.of(command.aliases()));
        }
        return names;
    }

    /** True when {@code args} are a CLI command line rather than a node's (no arguments, or a config file). */
    public static boolean handles(String[] args) {
        return args.length > 0 && (commandNames().contains(args[0]) || ROOT_OPTIONS.contains(args[0]));
    }

    /** Runs the CLI; returns the exit code. {@code bench ...} goes to {@link BenchMain} as it always has. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        if (BenchMain.handles(args)) {
            return BenchMain.run(args, out, err);
        }
        int code = commandLine(out, err).execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** The configured command line: one-line errors, exit codes in every command's help. */
    static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine commandLine = new CommandLine(new RaftyCli())
                .setOut(out)
                .setErr(err)
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setParameterExceptionHandler((e, ignored) -> {
                    String message = e.getMessage() == null ? "bad arguments" : e.getMessage().replace('\n', ' ');
                    CommandLine failed = e.getCommandLine();
                    failed.getErr().println(failed.getCommandSpec().qualifiedName() + ": " + message
                            + " (see --help)");
                    failed.getErr().flush();
                    return ExitCodes.USAGE;
                })
                .setExecutionExceptionHandler((e, failed, ignored) -> {
                    if (e instanceof CliException cli) {
                        failed.getErr().println(failed.getCommandSpec().qualifiedName() + ": " + cli.getMessage());
                        failed.getErr().flush();
                        return cli.exitCode();
                    }
                    if (e instanceof CommandLine.ParameterException parameter) {
                        throw parameter;
                    }
                    failed.getErr().println(failed.getCommandSpec().qualifiedName() + ": unexpected error: " + e);
                    failed.getErr().flush();
                    return ExitCodes.SERVER_ERROR;
                });
        applyExitCodeHelp(commandLine);
        return commandLine;
    }

    private static void applyExitCodeHelp(CommandLine commandLine) {
        commandLine.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n")
                .exitCodeList(ExitCodes.describe());
        for (CommandLine sub : commandLine.getSubcommands().values()) {
            applyExitCodeHelp(sub);
        }
    }
}
