package io.rafty.cli;

import io.rafty.chaos.ChaosEvents;
import io.rafty.chaos.ChaosFeed;
import io.rafty.chaos.ChaosReport;
import io.rafty.chaos.ChaosRun;
import io.rafty.chaos.FaultKind;
import io.rafty.config.ConfigException;
import io.rafty.config.DeliberateBugFlag;
import io.rafty.raft.DeliberateBug;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code rafty chaos}: starts its own local cluster of this jar behind per-link proxies, breaks it with
 * a seeded nemesis while clients work, and judges the history ({@link ChaosRun}). Prints one verdict
 * line; exit 0 on a pass, 1 on a violation, 4 when the run could not be judged, 2 on bad arguments.
 */
@Command(name = "chaos", mixinStandardHelpOptions = true,
        description = {"Start a local cluster of this jar (its own ports and data directory), break it on a seeded "
            + "schedule - kill -9 and restart nodes, SIGSTOP them, cut and slow peer links - while clients put, get, "
            + "compare-and-set and delete; then check the history for linearizability and every acknowledged write "
            + "for durability, and print one verdict line. Touches no other cluster.",
            "", "Exit codes here: 0 passed, 1 a violation (not linearizable, a lost write, a crashed node, a cluster "
            + "that did not recover), 4 not judged (the cluster did not start, the checker ran out of budget), "
            + "2 bad arguments. See docs/CHAOS.md."})
final class ChaosCommand implements Callable<Integer> {

    static final int VIOLATION = 1;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--duration", defaultValue = "60s", converter = DurationConverter.class,
            description = "How long the nemesis breaks things (default ${DEFAULT-VALUE}); checking follows.")
    Duration duration;

    @Option(names = "--faults", defaultValue = "kill,pause,partition,slow",
            description = "Fault families, comma-separated: kill, pause, partition, slow, or all "
                + "(default ${DEFAULT-VALUE}).")
    String faults;

    @Option(names = "--seed", description = "The nemesis's seed, to replay a run (default: random, printed).")
    Long seed;

    @Option(names = "--nodes", defaultValue = "3", description = "Cluster size, 3 or 5 (default ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--dir", description = "Run directory for logs, history and counterexample "
            + "(default data/chaos-SEED; must not exist yet or be empty).")
    Path dir;

    @Option(names = "--jar", description = "The fat jar the nodes run (default: the jar this command runs from).")
    Path jar;

    @Option(names = "--feed-port", defaultValue = "0",
            description = "Port of the dashboard's event feed on 127.0.0.1 (default ${DEFAULT-VALUE}: any free port).")
    int feedPort;

    @Option(names = "--feed-linger", defaultValue = "3s", converter = DurationConverter.class,
            description = "Keep serving the feed this long after the verdict, so an open dashboard shows it "
                + "(default ${DEFAULT-VALUE}).")
    Duration feedLinger;

    @Option(names = "--deliberate-bug", paramLabel = "NAME",
            description = "TEST ONLY: start every node with this DeliberateBug (or several, comma-separated) switched "
                + "on, to see the check fail, e.g. FOLLOWER_READ_FROM_LOCAL_COMMIT. See docs/CHAOS.md.")
    String deliberateBug;

    @Option(names = {"-v", "--verbose"}, description = "Print every fault as it happens.")
    boolean verbose;

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        Set<FaultKind> kinds;
        try {
            kinds = FaultKind.parse(faults);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--faults: " + e.getMessage());
        }
        if (nodes != 3 && nodes != 5) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--nodes must be 3 or 5, was " + nodes);
        }
        if (feedPort < 0 || feedPort > 65_535) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--feed-port must be 0..65535");
        }
        Set<DeliberateBug> bugs = EnumSet.noneOf(DeliberateBug.class);
        if (deliberateBug != null) {
            try {
                for (String name : deliberateBug.split(",")) {
                    bugs.add(DeliberateBugFlag.parse(name));
                }
            } catch (ConfigException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--deliberate-bug: " + e.getMessage());
            }
        }
        long runSeed = seed != null ? seed : ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
        Path runDir = dir != null ? dir : Path.of("data", "chaos-" + runSeed);
        if (Files.exists(runDir) && (!Files.isDirectory(runDir) || !isEmpty(runDir))) {
            throw new CliException(ExitCodes.USAGE, "--dir " + runDir + " exists and is not empty; remove it or pick "
                    + "another (a replay with --seed needs a fresh directory)");
        }
        Path nodeJar = jar != null ? jar : ownJar();
        if (!Files.isRegularFile(nodeJar)) {
            throw new CliException(ExitCodes.USAGE, "no jar at " + nodeJar + " (build it: ./mvnw -q -DskipTests package)");
        }
        String replay = replayCommand(runSeed, kinds);
        long startNanos = System.nanoTime();
        ChaosEvents events = new ChaosEvents(startNanos);
        ChaosRun.Settings settings = ChaosRun.Settings.defaults(nodes, duration, runSeed, kinds, nodeJar, runDir,
                replay, line -> {
                    if (verbose) {
                        out.println(line);
                        out.flush();
                    }
                }).withDeliberateBugs(bugs);
        ChaosReport report;
        try (ChaosFeed feed = ChaosFeed.start(events, feedPort)) {
            out.println("chaos: seed " + runSeed + ", " + nodes + " nodes, " + duration.toSeconds() + " s of "
                    + kinds.stream().map(FaultKind::wire).toList() + (bugs.isEmpty() ? "" : ", DELIBERATE BUG " + bugs)
                    + "; run directory " + runDir.toAbsolutePath());
            out.println("chaos: feed http://127.0.0.1:" + feed.port() + ChaosFeed.PATH);
            out.flush();
            report = new ChaosRun(settings, events, startNanos).run(urls -> {
                out.println("dashboard: " + urls.get(1) + "/?chaos=" + feed.port());
                out.flush();
            });
            out.println(report.line());
            out.println("history: " + report.history());
            if (report.counterexample() != null) {
                out.println("counterexample: " + report.counterexample());
            }
            out.println("report: " + report.report());
            out.flush();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(feedLinger.toMillis()));
        }
        return switch (report.verdict()) {
            case PASS -> ExitCodes.OK;
            case FAIL -> VIOLATION;
            case INCONCLUSIVE -> ExitCodes.SERVER_ERROR;
        };
    }

    private String replayCommand(long runSeed, Set<FaultKind> kinds) {
        return "./run-cluster.sh chaos --duration " + duration.toSeconds() + "s --faults "
                + String.join(",", kinds.stream().map(FaultKind::wire).toList()) + " --seed " + runSeed
                + (nodes == 3 ? "" : " --nodes " + nodes)
                + (deliberateBug == null ? "" : " --deliberate-bug " + deliberateBug.strip());
    }

    private static boolean isEmpty(Path directory) throws IOException {
        try (var entries = Files.list(directory)) {
            return entries.findAny().isEmpty();
        }
    }

    /** The jar this class was loaded from; {@code target/rafty.jar} when run from classes (an IDE, tests). */
    private static Path ownJar() {
        try {
            Path location = Path.of(ChaosCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return Files.isRegularFile(location) ? location : Path.of("target", "rafty.jar");
        } catch (URISyntaxException | SecurityException | NullPointerException e) {
            return Path.of("target", "rafty.jar");
        }
    }
}
