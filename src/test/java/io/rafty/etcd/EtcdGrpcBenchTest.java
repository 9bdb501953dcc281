package io.rafty.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.kv.GetResponse;
import io.rafty.bench.BenchMain;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bench tool's etcd-grpc target against real in-process nodes' etcd ports: a short mixed run of
 * KV.Put and linearizable KV.Range succeeds over all three nodes and its writes are there to read
 * back, and a write the nodes refuse is counted by its gRPC status and message.
 */
class EtcdGrpcBenchTest {

    private static final Pattern RESULT = Pattern.compile("RESULT workload=(\\w+) clients=\\d+ ops_per_s=(\\d+) .* errors=(\\d+)");

    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {
    }

    private static Run bench(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = BenchMain.run(args, new PrintWriter(out), new PrintWriter(err));
        System.out.print(out);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void aShortMixedRunOverGrpcSucceedsOnEveryNodeAndItsWritesAreStored() throws Exception {
        try (EtcdCluster cluster = new EtcdCluster(dir, 3)) {
            cluster.awaitLeader();
            String endpoints = cluster.endpoint(1) + "," + cluster.endpoint(2) + "," + cluster.endpoint(3);
            Run run = bench("bench", "--target", "etcd-grpc", "--endpoints", endpoints, "--workload", "mixed",
                    "--clients", "6", "--duration", "1500ms", "--warmup", "500ms", "--keys", "30", "--value-size", "100",
                    "--event-loops", "1", "--timeout", "5s");
            assertEquals(0, run.code(), run.out() + run.err());
            assertTrue(run.out().contains("target=etcd-grpc"), run.out());
            assertTrue(run.out().contains("reads=linearizable"), run.out());
            assertTrue(run.out().contains("preload: 30 keys in") && run.out().contains(", 0 failed"), run.out());
            Matcher result = RESULT.matcher(run.out());
            assertTrue(result.find(), run.out());
            assertEquals("mixed", result.group(1));
            assertTrue(Long.parseLong(result.group(2)) > 0, "some calls succeeded: " + result.group());
            assertEquals("0", result.group(3), "no call failed: " + run.out());

            // The preload's puts went through KV.Put: every key holds a 100-byte value, on any node.
            try (Client client = Client.builder().endpoints(cluster.endpoint(3)).build()) {
                for (String key : new String[] {"bench/0000000000", "bench/0000000029"}) {
                    GetResponse got = client.getKVClient().get(ByteSequence.from(key, StandardCharsets.US_ASCII))
                            .get(10, TimeUnit.SECONDS);
                    assertEquals(1, got.getKvs().size(), key);
                    assertEquals(100, got.getKvs().get(0).getValue().size(), key);
                }
            }
        }
    }

    @Test
    void aRefusedWriteIsCountedByItsStatusAndMessage() throws Exception {
        // EtcdCluster's nodes take values of up to 128 KiB; a 200 000-byte value is refused by the service.
        try (EtcdCluster cluster = new EtcdCluster(dir, 3)) {
            cluster.awaitLeader();
            Run run = bench("bench", "--target", "etcd-grpc", "--endpoints", cluster.endpoint(1), "--workload", "put",
                    "--clients", "1", "--duration", "500ms", "--value-size", "200000", "--event-loops", "1");
            assertEquals(1, run.code(), "no call succeeded: " + run.out());
            assertTrue(run.out().contains("INVALID_ARGUMENT: etcdserver: request is too large (put)"), run.out());
        }
    }
}
