package io.rafty.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * etcd's own client (jetcd) against the shipped jar as three OS processes: a watch from a past revision
 * survives SIGKILL of the node serving it (the client resumes on another member from the revision after
 * the last one it saw: nothing missed, nothing repeated), and the killed node, restarted on its own disk,
 * serves the same history to a client that reconnects to it.
 */
class EtcdProcessKillIT {

    private static final Duration START = Duration.ofSeconds(30);
    private static final long WAIT_SECONDS = 30;

    @TempDir
    Path dir;
    private JarCluster cluster;

    @BeforeEach
    void createCluster() throws Exception {
        cluster = new JarCluster(dir, 3);
        for (int id = 1; id <= 3; id++) {
            cluster.start(id);
        }
        cluster.awaitLeaderFollowedByAll(List.of(1, 2, 3), START);
    }

    @AfterEach
    void killAll() throws InterruptedException {
        cluster.close();
    }

    @Test
    void aWatchFromARevisionSurvivesSigkillOfItsNodeAndTheNodeServesItAgainAfterRestart() throws Exception {
        List<Long> written = new ArrayList<>();
        try (Client writer = client(1, 2, 3);
             Client watcher = client(1, 2, 3)) {
            for (int i = 0; i < 3; i++) {
                written.add(put(writer, "w/k" + i, "before-" + i));
            }
            BlockingQueue<WatchEvent> events = new LinkedBlockingQueue<>();
            try (Watch.Watcher watch = watch(watcher, written.get(0), events)) {
                List<Long> seen = new ArrayList<>();
                take(events, seen, written.size(), "the history before the kill");

                int serving = servingNode();
                cluster.processes.get(serving).kill();
                List<Integer> survivors = new ArrayList<>(List.of(1, 2, 3));
                survivors.remove(Integer.valueOf(serving));
                cluster.awaitLeaderFollowedByAll(survivors, START);
                try (Client survivorsOnly = client(survivors.get(0), survivors.get(1))) {
                    for (int i = 0; i < 5; i++) {
                        written.add(put(survivorsOnly, "w/k" + i, "after-" + i));
                    }
                }
                take(events, seen, written.size(), "the writes made after node " + serving + " was killed");
                assertEquals(written, seen, "every revision once, in order, across the kill");
                assertNull(events.poll(500, TimeUnit.MILLISECONDS), "nothing repeated after the resume");

                cluster.start(serving);
                cluster.awaitLeaderFollowedByAll(List.of(1, 2, 3), START);
                try (Client reconnected = client(serving)) {
                    List<KeyValue> latest = reconnected.getKVClient().get(bytes("w/k4")).get(WAIT_SECONDS,
                            TimeUnit.SECONDS).getKvs();
                    assertEquals("after-4", latest.get(0).getValue().toString(StandardCharsets.UTF_8),
                            "a linearizable read on the restarted node sees the writes it missed");
                    List<KeyValue> old = reconnected.getKVClient().get(bytes("w/k0"), GetOption.builder()
                            .withRevision(written.get(0)).build()).get(WAIT_SECONDS, TimeUnit.SECONDS).getKvs();
                    assertEquals("before-0", old.get(0).getValue().toString(StandardCharsets.UTF_8),
                            "the restarted node still has the history from before its crash");
                    BlockingQueue<WatchEvent> replay = new LinkedBlockingQueue<>();
                    try (Watch.Watcher again = watch(reconnected, written.get(0), replay)) {
                        List<Long> replayed = new ArrayList<>();
                        take(replay, replayed, written.size(), "the replay on the restarted node");
                        assertEquals(written, replayed, "the restarted node replays the same revisions");
                    }
                }
            }
        }
    }

    /** The node whose status counts the watch: the one jetcd's stream went to. */
    private int servingNode() {
        AtomicInteger serving = new AtomicInteger();
        cluster.awaitWithLogs(Duration.ofSeconds(WAIT_SECONDS), () -> {
            for (int id = 1; id <= 3; id++) {
                JsonObject status = cluster.status(id);
                if (status != null && status.getLong("watchers", 0L) > 0) {
                    serving.set(id);
                    return true;
                }
            }
            return false;
        });
        return serving.get();
    }

    private Client client(int... ids) {
        String[] endpoints = new String[ids.length];
        for (int i = 0; i < ids.length; i++) {
            endpoints[i] = cluster.etcdEndpoint(ids[i]);
        }
        return Client.builder().endpoints(endpoints).build();
    }

    private static long put(Client client, String key, String value) throws Exception {
        return client.getKVClient().put(bytes(key), bytes(value)).get(WAIT_SECONDS, TimeUnit.SECONDS)
                .getHeader().getRevision();
    }

    private static Watch.Watcher watch(Client client, long fromRevision, BlockingQueue<WatchEvent> events)
            throws InterruptedException {
        CountDownLatch created = new CountDownLatch(1);
        Watch.Watcher watcher = client.getWatchClient().watch(bytes("w/"), WatchOption.builder().isPrefix(true)
                .withRevision(fromRevision).withCreateNotify(true).build(), Watch.listener(response -> {
                    if (response.isCreatedNotify()) {
                        created.countDown();
                    }
                    events.addAll(response.getEvents());
                }));
        assertTrue(created.await(WAIT_SECONDS, TimeUnit.SECONDS), "the watch was created in time");
        return watcher;
    }

    /** Takes events until {@code seen} holds {@code count} revisions. */
    private static void take(BlockingQueue<WatchEvent> events, List<Long> seen, int count, String what)
            throws InterruptedException {
        while (seen.size() < count) {
            WatchEvent event = events.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertNotNull(event, what + ": seen " + seen);
            seen.add(event.getKeyValue().getModRevision());
        }
    }

    private static ByteSequence bytes(String text) {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }
}
