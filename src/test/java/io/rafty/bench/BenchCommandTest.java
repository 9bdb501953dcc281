package io.rafty.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** The bench command line: good arguments become settings, bad ones exit 2 with one line. */
class BenchCommandTest {

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = BenchMain.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "bench --clients 8",                                                           // --endpoints missing
        "bench --endpoints http://127.0.0.1:3001 --clients 0",
        "bench --endpoints http://127.0.0.1:3001 --clients many",
        "bench --endpoints http://127.0.0.1:3001 --duration soon",
        "bench --endpoints http://127.0.0.1:3001 --duration 0s",
        "bench --endpoints http://127.0.0.1:3001 --workload scan",
        "bench --endpoints http://127.0.0.1:3001 --value-size -1",
        "bench --endpoints http://127.0.0.1:3001 --keys 0",
        "bench --endpoints http://127.0.0.1:3001 --read-percent 101",
        "bench --endpoints 127.0.0.1:3001",
        "bench --endpoints http://127.0.0.1:3001 --cacert ca.pem",
        "bench --endpoints https://127.0.0.1:3001 --cacert /nonexistent/ca.pem",
        "bench --endpoints https://127.0.0.1:2379 --target etcd-grpc",
        "bench --endpoints http://127.0.0.1:3001/v1",
        "bench --endpoints http://127.0.0.1:3001 --key-prefix a?b",
        "bench --endpoints http://127.0.0.1:3001 --frobnicate",
        "bench --endpoints http://127.0.0.1:2379 --target bogus",
        "bench --endpoints http://127.0.0.1:2379 --target",
        "bench --endpoints http://127.0.0.1:3001 --watchers -1",
        "bench --endpoints http://127.0.0.1:3001 --watchers 30001",
        "bench --endpoints http://127.0.0.1:3001 --watchers some",
        "bench --endpoints http://127.0.0.1:2379 --target etcd --watchers 10",
        "bench --endpoints http://127.0.0.1:3001 --workload get --watchers 10",
        "bench --endpoints http://127.0.0.1:3001 --kept-leases -1",
        "bench --endpoints http://127.0.0.1:3001 --kept-leases 1000001",
        "bench --endpoints http://127.0.0.1:3001 --kept-leases 10 --lease-ttl 2s",
        "bench --endpoints http://127.0.0.1:3001 --kept-leases 10 --lease-ttl 1500ms",
        "bench --endpoints http://127.0.0.1:3001 --kept-leases 10 --lease-ttl 2h",
        "bench --endpoints http://127.0.0.1:3001 --workload get --kept-leases 10",
        "bench --endpoints http://127.0.0.1:3001 --workload keepalive --kept-leases 10",
        "bench --endpoints http://127.0.0.1:2379 --target etcd --kept-leases 10",
        "bench --endpoints http://127.0.0.1:3001 --watch-prefix other/",
        "bench --endpoints http://127.0.0.1:3001 --watchers 10 --watch-prefix a?b",
        "bench --endpoints http://127.0.0.1:2379 --target etcd_grpc",
        "bench --endpoints http://127.0.0.1:2379 --target etcdGrpc",
        "bench --endpoints http://127.0.0.1:2379 --target etcd-grpc --watchers 10",
        "bench --endpoints http://127.0.0.1:2379 --target etcd-grpc --workload txn",
        "bench --endpoints http://127.0.0.1:2379 --target etcd-grpc --workload keepalive",
        "bench --endpoints 127.0.0.1:2379 --target etcd-grpc",
        "bench --endpoints http://127.0.0.1:2181 --target zookeeper",
        "bench --endpoints 127.0.0.1 --target zookeeper",
        "bench --endpoints 127.0.0.1:2181/chroot --target zookeeper",
        "bench --endpoints 127.0.0.1:99999 --target zookeeper",
        "bench --endpoints 127.0.0.1:2181 --target zookeeper --workload txn",
        "bench --endpoints 127.0.0.1:2181 --target zookeeper --workload keepalive",
        "bench --endpoints 127.0.0.1:2181 --target zookeeper --watchers 10",
        "bench --endpoints 127.0.0.1:2181 --target zookeeper --cacert ca.pem",
        "bench --endpoints 127.0.0.1:2181 --target zookeeper --key-prefix a//b",
        "bench --endpoints 127.0.0.1:2181 --target zookeeper --key-prefix ./",
        "bench --endpoints 127.0.0.1:2181 --target zoo",
    })
    void badArgumentsExitWithCode2AndOneLine(String line) {
        Run run = run(line.split(" "));
        assertEquals(2, run.code(), run.err());
        assertEquals(1, run.err().lines().count(), run.err());
        assertTrue(run.err().startsWith("rafty bench: "), run.err());
        assertFalse(run.err().contains("\tat "), run.err());
        assertEquals("", run.out());
    }

    @Test
    void goodArgumentsBecomeSettings() {
        BenchCommand command = new BenchCommand();
        new CommandLine(command).parseArgs("--endpoints", "http://127.0.0.1:3001,http://127.0.0.1:3002",
                "--clients", "16", "--duration", "1500ms", "--warmup", "2s", "--workload", "get", "--keys", "500",
                "--value-size", "100", "--event-loops", "1");
        BenchSettings settings = command.validate();
        assertEquals(2, settings.endpoints().size());
        assertEquals(3002, settings.endpoints().get(1).getPort());
        assertEquals(16, settings.clients());
        assertEquals(Duration.ofMillis(1500), settings.duration());
        assertEquals(Duration.ofSeconds(2), settings.warmup());
        assertEquals(BenchCommand.Workload.get, settings.workload());
        assertTrue(settings.preload(), "a get run writes its keys first");
        assertEquals(100, settings.valueBytes());
        assertEquals(1, settings.eventLoops());
        assertEquals(BenchCommand.Target.rafty, settings.target());
    }

    @Test
    void targetEtcdKeepsTheSameWorkloadSettings() {
        BenchCommand command = new BenchCommand();
        new CommandLine(command).parseArgs("--target", "etcd", "--endpoints",
                "http://127.0.0.1:2379,http://127.0.0.1:22379,http://127.0.0.1:32379", "--workload", "get", "--stale");
        BenchSettings settings = command.validate();
        assertEquals(BenchCommand.Target.etcd, settings.target());
        assertEquals(32379, settings.endpoints().get(2).getPort());
        assertTrue(settings.stale());
        assertTrue(settings.preload(), "a get run against etcd writes its keys first, as against Rafty");
        assertEquals("bench/", settings.keyPrefix());
    }

    @Test
    void badTargetNamesTheChoices() {
        Run run = run("bench", "--endpoints", "http://127.0.0.1:2379", "--target", "bogus");
        assertEquals(2, run.code());
        assertTrue(run.err().contains("bogus") && run.err().contains("rafty") && run.err().contains("etcd")
                && run.err().contains("etcd-grpc") && run.err().contains("zookeeper"), run.err());
    }

    @Test
    void targetEtcdGrpcTakesTheSameWorkloadSettings() {
        BenchCommand command = new BenchCommand();
        new CommandLine(command).parseArgs("--target", "etcd-grpc", "--endpoints",
                "http://127.0.0.1:2379,http://127.0.0.1:22379,http://127.0.0.1:32379", "--workload", "mixed",
                "--stale", "--clients", "64");
        BenchSettings settings = command.validate();
        assertEquals(BenchCommand.Target.etcdGrpc, settings.target());
        assertEquals("etcd-grpc", settings.target().toString(), "the output names it as the command line does");
        assertEquals(3, settings.endpoints().size());
        assertTrue(settings.stale());
        assertTrue(settings.preload(), "a mixed run over gRPC writes its keys first, as over HTTP");
        assertEquals(64, settings.clients());
    }

    @Test
    void watchersAndRaftyOnlyWorkloadsRefuseEtcdGrpc() {
        Run watch = run("bench", "--endpoints", "http://127.0.0.1:2379", "--target", "etcd-grpc", "--watchers", "5");
        assertTrue(watch.err().contains("--watchers works with --target rafty only"), watch.err());
        Run txn = run("bench", "--endpoints", "http://127.0.0.1:2379", "--target", "etcd-grpc", "--workload", "txn");
        assertTrue(txn.err().contains("--workload txn works with --target rafty only"), txn.err());
    }

    @Test
    void targetZookeeperTakesHostPortEndpointsAndTheSameWorkloadSettings() {
        BenchCommand command = new BenchCommand();
        new CommandLine(command).parseArgs("--target", "zookeeper", "--endpoints",
                "127.0.0.1:2181,127.0.0.1:2182,localhost:2183", "--workload", "get", "--stale", "--clients", "64");
        BenchSettings settings = command.validate();
        assertEquals(BenchCommand.Target.zookeeper, settings.target());
        assertEquals("zookeeper", settings.target().toString());
        assertEquals(3, settings.endpoints().size());
        assertEquals(2182, settings.endpoints().get(1).getPort());
        assertEquals("localhost", settings.endpoints().get(2).getHost());
        assertTrue(settings.stale(), "--stale is the plain getData, without sync");
        assertTrue(settings.preload());
        assertEquals(null, settings.token(), "no token goes to ZooKeeper");
    }

    @Test
    void zookeeperUsageErrorsSayWhatToDo() {
        Run url = run("bench", "--target", "zookeeper", "--endpoints", "http://127.0.0.1:2181");
        assertTrue(url.err().contains("must look like host:port for --target zookeeper"), url.err());
        Run txn = run("bench", "--target", "zookeeper", "--endpoints", "127.0.0.1:2181", "--workload", "txn");
        assertTrue(txn.err().contains("--workload txn works with --target rafty only; zookeeper runs put, get or mixed"),
                txn.err());
        Run watch = run("bench", "--target", "zookeeper", "--endpoints", "127.0.0.1:2181", "--watchers", "3");
        assertTrue(watch.err().contains("--watchers works with --target rafty only"), watch.err());
        Run prefix = run("bench", "--target", "zookeeper", "--endpoints", "127.0.0.1:2181", "--key-prefix", "a//");
        assertTrue(prefix.err().contains("/rafty-bench/a//0000000000") && prefix.err().contains("ZooKeeper refuses"),
                prefix.err());
    }

    @Test
    void zookeeperKeyPathsAndTheirParents() {
        assertEquals("/rafty-bench/bench/0000000042", ZooKeeperSender.path("bench/", 42));
        assertEquals("/rafty-bench/k0000000007", ZooKeeperSender.path("k", 7));
        assertEquals(java.util.List.of("/rafty-bench", "/rafty-bench/bench"), ZooKeeperSender.parents("bench/"));
        assertEquals(java.util.List.of("/rafty-bench", "/rafty-bench/a", "/rafty-bench/a/b"),
                ZooKeeperSender.parents("a/b/x-"));
        assertEquals(java.util.List.of("/rafty-bench"), ZooKeeperSender.parents(""));
    }

    @Test
    void defaultsMatchTheIssue() {
        BenchCommand command = new BenchCommand();
        new CommandLine(command).parseArgs("--endpoints", "http://127.0.0.1:3001");
        BenchSettings settings = command.validate();
        assertEquals(64, settings.clients());
        assertEquals(Duration.ofSeconds(30), settings.duration());
        assertEquals(BenchCommand.Workload.put, settings.workload());
        assertEquals(256, settings.valueBytes());
        assertFalse(settings.preload(), "a put run needs no preload");
        assertEquals(BenchCommand.Target.rafty, settings.target());
    }

    @Test
    void watchersAreForRaftyOnly() {
        Run run = run("bench", "--endpoints", "http://127.0.0.1:2379", "--target", "etcd", "--watchers", "1000");
        assertEquals(2, run.code());
        assertEquals("rafty bench: --watchers works with --target rafty only (it opens Rafty's SSE watch streams)"
                + " (see --help)", run.err().strip());
    }

    @Test
    void watchersNeedAWorkloadThatWrites() {
        Run run = run("bench", "--endpoints", "http://127.0.0.1:3001", "--workload", "get", "--watchers", "10");
        assertEquals(2, run.code());
        assertTrue(run.err().contains("--watchers needs --workload put or mixed"), run.err());
    }

    @Test
    void negativeWatchersNameTheRange() {
        Run run = run("bench", "--endpoints", "http://127.0.0.1:3001", "--watchers", "-5");
        assertEquals(2, run.code());
        assertTrue(run.err().contains("--watchers must be 0.." + BenchCommand.MAX_WATCHERS + ", was -5"), run.err());
    }

    @Test
    void watchersWithPutOrMixedBecomeSettings() {
        for (String workload : new String[] {"put", "mixed"}) {
            BenchCommand command = new BenchCommand();
            new CommandLine(command).parseArgs("--endpoints", "http://127.0.0.1:3001,http://127.0.0.1:3002",
                    "--workload", workload, "--watchers", "1000");
            BenchSettings settings = command.validate();
            assertEquals(1000, settings.watchers(), workload);
            assertEquals(BenchCommand.Workload.valueOf(workload), settings.workload());
        }
    }

    /** The settings {@code args} validate to. */
    private static BenchSettings settings(String... args) {
        BenchCommand command = new BenchCommand();
        new CommandLine(command).parseArgs(args);
        return command.validate();
    }

    @Test
    void keptLeasesWithPutOrMixedBecomeSettings() {
        for (String workload : new String[] {"put", "mixed"}) {
            BenchSettings settings = settings("--endpoints", "http://127.0.0.1:3001", "--workload", workload,
                    "--kept-leases", "10000", "--lease-ttl", "45s", "--watchers", "1000");
            assertEquals(10000, settings.keptLeases(), workload);
            assertEquals(Duration.ofSeconds(45), settings.leaseTtl(), workload);
            assertTrue(settings.loadedPhase(), workload);
        }
        BenchSettings settings = settings("--endpoints", "http://127.0.0.1:3001");
        assertEquals(0, settings.keptLeases());
        assertEquals(Duration.ofSeconds(30), settings.leaseTtl(), "etcd's clients' usual TTL is the default");
        assertFalse(settings.loadedPhase(), "no watchers and no kept leases: one phase");
    }

    @Test
    void theWatchPrefixIsTheKeyPrefixUnlessGiven() {
        BenchSettings watchingWrites = settings("--endpoints", "http://127.0.0.1:3001", "--watchers", "10");
        assertEquals("bench/", watchingWrites.watchPrefix());
        assertTrue(watchingWrites.watchersSeeWrites());
        BenchSettings watchingElsewhere = settings("--endpoints", "http://127.0.0.1:3001", "--watchers", "10",
                "--watch-prefix", "elsewhere/");
        assertEquals("elsewhere/", watchingElsewhere.watchPrefix());
        assertFalse(watchingElsewhere.watchersSeeWrites());
        assertTrue(settings("--endpoints", "http://127.0.0.1:3001", "--watchers", "10", "--watch-prefix", "ben")
                .watchersSeeWrites(), "bench/... falls under ben");
    }

    @Test
    void keptLeasesNameWhatIsWrong() {
        Run etcd = run("bench", "--endpoints", "http://127.0.0.1:2379", "--target", "etcd", "--kept-leases", "5");
        assertEquals(2, etcd.code());
        assertTrue(etcd.err().contains("--kept-leases works with --target rafty only"), etcd.err());
        Run ttl = run("bench", "--endpoints", "http://127.0.0.1:3001", "--kept-leases", "5", "--lease-ttl", "1500ms");
        assertEquals(2, ttl.code());
        assertTrue(ttl.err().contains("--lease-ttl must be whole seconds, 3..3600, was 1500ms"), ttl.err());
    }

    @Test
    void durationsAcceptUnits() {
        BenchCommand.DurationConverter converter = new BenchCommand.DurationConverter();
        assertEquals(Duration.ofMillis(250), converter.convert("250ms"));
        assertEquals(Duration.ofSeconds(30), converter.convert("30s"));
        assertEquals(Duration.ofMinutes(2), converter.convert("2m"));
        assertEquals(Duration.ofSeconds(5), converter.convert("5"));
    }

    @Test
    void helpExitsZero() {
        Run run = run("bench", "--help");
        assertEquals(0, run.code());
        assertTrue(run.out().contains("--endpoints"), run.out());
        assertTrue(run.out().contains("--target") && run.out().contains("etcd-grpc"), run.out());
        assertTrue(run.out().contains("zookeeper") && run.out().contains("sync+getData"), run.out());
        assertTrue(run.out().contains("--watchers") && run.out().contains("commit-to-watcher"), run.out());
    }
}
