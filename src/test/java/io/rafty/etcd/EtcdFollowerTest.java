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

    /**
     * etcd's clients resume a broken watch on another endpoint from the revision after the last one they
     * saw. The node serving the watch stops; the stream resumes on the other follower with nothing missed or
     * repeated, and sees the writes made meanwhile.
     */
    @Test
    void aWatchResumesOnAnotherNodeWhenItsNodeStops() throws Exception {
        try (EtcdNodes cluster = new EtcdNodes(dir, 3)) {
            int leader = cluster.awaitLeader();
            List<Integer> followers = new java.util.ArrayList<>(List.of(1, 2, 3));
            followers.remove(Integer.valueOf(leader));
            List<Long> written = new java.util.ArrayList<>();
            for (int i = 0; i < 3; i++) {
                written.add(cluster.put(leader, "r/k" + i, "before-" + i));
            }
            try (Client client = Client.builder().endpoints(
                    "http://127.0.0.1:" + cluster.nodes.get(followers.get(0)).etcdPort(),
                    "http://127.0.0.1:" + cluster.nodes.get(followers.get(1)).etcdPort()).build()) {
                BlockingQueue<WatchEvent> events = new LinkedBlockingQueue<>();
                try (Watch.Watcher watch = EtcdWatchServiceTest.watch(client, "r/", WatchOption.builder()
                        .isPrefix(true).withRevision(written.get(0)), events)) {
                    List<Long> seen = new java.util.ArrayList<>();
                    while (seen.size() < 3) {
                        WatchEvent event = events.poll(WAIT_SECONDS, TimeUnit.SECONDS);
                        assertNotNull(event, "history replayed before the stop; seen " + seen);
                        seen.add(event.getKeyValue().getModRevision());
                    }
                    int[] serving = new int[1];
                    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(WAIT_SECONDS)).until(() -> {
                        for (int id : followers) {
                            if (cluster.node(id).status().watchers() > 0) {
                                serving[0] = id;
                                return true;
                            }
                        }
                        return false;
                    });
                    cluster.nodes.remove(serving[0]).close();
                    for (int i = 0; i < 5; i++) {
                        written.add(cluster.put(leader, "r/k" + i, "after-" + i));
                    }
                    while (seen.size() < written.size()) {
                        WatchEvent event = events.poll(30, TimeUnit.SECONDS);
                        assertNotNull(event, "the watch resumed elsewhere; seen " + seen + " of " + written);
                        seen.add(event.getKeyValue().getModRevision());
                    }
                    assertEquals(written, seen, "every revision once, in order, across the stop");
                    WatchEvent extra = events.poll(500, TimeUnit.MILLISECONDS);
                    assertEquals(null, extra, "nothing repeated after the resume");
                }
            }
        }
    }
}
