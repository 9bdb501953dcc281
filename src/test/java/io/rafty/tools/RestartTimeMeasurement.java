package io.rafty.tools;

import io.rafty.RaftyNode;
import io.rafty.config.NodeConfig;
import io.rafty.config.TestConfigs;
import io.rafty.kv.Command;
import io.rafty.kv.CommandCodec;
import io.rafty.kv.KvStateMachine;
import io.rafty.kv.Precondition;
import io.rafty.node.NodeStatus;
import io.rafty.raft.Entry;
import io.rafty.raft.HardState;
import io.rafty.raft.Membership;
import io.rafty.raft.Role;
import io.rafty.storage.RocksStorage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Measures how long a node holding N keys takes to restart (issue 7). It lays down the storage a
 * single-node cluster has after N writes with snapshots every 10 000 entries — the keys in the kv
 * family, a compacted log of the last entries — through the real storage classes, then times
 * {@code RaftyNode.start} until the node leads and answers a read.
 *
 * <pre>
 * ./mvnw -q -DskipTests test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -cp target/classes:target/test-classes:$(cat target/cp.txt) io.rafty.tools.RestartTimeMeasurement 1000000
 * </pre>
 */
public final class RestartTimeMeasurement {

    private static final int BATCH = 1000;
    private static final long SNAPSHOT_ENTRIES = 10_000;
    private static final long TAIL = 1_000;

    private RestartTimeMeasurement() {
    }

    public static void main(String[] args) throws Exception {
        int keys = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        Path dir = Files.createTempDirectory("rafty-restart");
        long fillStart = System.nanoTime();
        try (RocksStorage storage = RocksStorage.open(dir.resolve("node1"))) {
            KvStateMachine machine = new KvStateMachine(storage.kvStore());
            storage.logStore().saveMembership(Membership.ofVoters(Set.of(1)));
            long index = 0;
            for (int written = 0; written < keys; written += BATCH) {
                List<Entry> batch = new ArrayList<>(BATCH);
                for (int i = written; i < Math.min(keys, written + BATCH); i++) {
                    byte[] value = new byte[256];
                    Command put = new Command.Put(("key-" + i).getBytes(StandardCharsets.UTF_8), value,
                            Precondition.NONE);
                    batch.add(Entry.command(1, ++index, CommandCodec.encode(put)));
                }
                storage.logStore().save(new HardState(1, 1, index), batch);
                machine.apply(batch);
                if (index % SNAPSHOT_ENTRIES == 0) {
                    storage.snapshotStore().syncStateMachine();
                    storage.logStore().compact(index - TAIL);
                    storage.compactLogFiles(index - TAIL);
                }
            }
        }
        System.out.printf("filled %d keys in %.1f s%n", keys, (System.nanoTime() - fillStart) / 1e9);

        NodeConfig config = TestConfigs.node(1, 0, List.of(), dir.resolve("node1"));
        Map<Integer, String> addresses = new ConcurrentHashMap<>();
        long start = System.nanoTime();
        try (RaftyNode node = RaftyNode.start(config, addresses, new io.vertx.core.VertxOptions())) {
            long serving = System.nanoTime();
            while (node.status().role() != Role.LEADER || node.status().appliedIndex() < node.status().commitIndex()) {
                Thread.onSpinWait();
            }
            long leading = System.nanoTime();
            NodeStatus status = node.status();
            System.out.printf("restart with %d keys: storage open + HTTP listening %.0f ms; leader and caught up"
                            + " %.0f ms (log %d..%d, applied %d)%n", keys, (serving - start) / 1e6,
                    (leading - start) / 1e6, status.firstLogIndex(), status.lastLogIndex(), status.appliedIndex());
        }
    }
}
