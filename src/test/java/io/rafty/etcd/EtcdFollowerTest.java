package io.rafty.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Watch and Lease services of a follower in a three-node in-process cluster. */
class EtcdFollowerTest {

    private static final int WAIT_SECONDS = 10;

    @TempDir
    Path dir;

    @Test
    void aFollowerServesWatchesAndRelaysLeaseKeepAlivesToTheLeader() throws Exception {
        try (EtcdNodes cluster = new EtcdNodes(dir, 3)) {
            int leader = cluster.awaitLeader();
            int follower = leader == 1 ? 2 : 1;
            Client client = cluster.client(follower);

            BlockingQueue<WatchEvent> events = new LinkedBlockingQueue<>();
            try (Watch.Watcher watch = EtcdWatchServiceTest.watch(client, "f/", WatchOption.builder().isPrefix(true)
                    .withPrevKV(true), events)) {
                long first = cluster.put(leader, "f/k", "1");
                long second = cluster.put(leader, "f/k", "2");
                WatchEvent one = events.poll(WAIT_SECONDS, TimeUnit.SECONDS);
                assertNotNull(one);
                assertEquals(first, one.getKeyValue().getModRevision());
                WatchEvent two = events.poll(WAIT_SECONDS, TimeUnit.SECONDS);
                assertNotNull(two);
                assertEquals(second, two.getKeyValue().getModRevision());
                assertEquals("1", two.getPrevKV().getValue().toString(StandardCharsets.UTF_8));
            }

            long id = client.getLeaseClient().grant(45).get(WAIT_SECONDS, TimeUnit.SECONDS).getID();
            cluster.put(leader, "f/leased", "x", id);
            assertEquals(45, client.getLeaseClient().keepAliveOnce(id).get(WAIT_SECONDS, TimeUnit.SECONDS).getTTL(),
                    "the follower relayed the keepalive to the leader");
            var ttl = client.getLeaseClient().timeToLive(id, LeaseOption.builder().withAttachedKeys().build())
                    .get(WAIT_SECONDS, TimeUnit.SECONDS);
            assertEquals(45, ttl.getGrantedTTL());
            assertTrue(ttl.getTTL() > 0 && ttl.getTTL() <= 45);
            // The keys are this follower's applied state: wait for it to hold the put.
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(WAIT_SECONDS)).until(() ->
                    cluster.node(follower).stateMachine().leaseKeys(id, 10).size() == 1);
            assertEquals(List.of("f/leased"), client.getLeaseClient().timeToLive(id, LeaseOption.builder()
                    .withAttachedKeys().build()).get(WAIT_SECONDS, TimeUnit.SECONDS).getKeys().stream()
                    .map(key -> key.toString(StandardCharsets.UTF_8)).toList());
        }
    }
}
