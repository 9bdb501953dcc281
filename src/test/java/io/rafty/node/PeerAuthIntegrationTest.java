package io.rafty.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.RaftyNode;
import io.rafty.config.ClusterSecret;
import io.rafty.config.NodeConfig;
import io.rafty.config.Peer;
import io.rafty.config.TestConfigs;
import io.rafty.raft.Entry;
import io.rafty.raft.Membership;
import io.rafty.raft.PeerIdentity;
import io.rafty.raft.message.AppendEntries;
import io.rafty.raft.message.Heartbeat;
import io.rafty.raft.message.RequestVote;
import io.rafty.security.PeerAuth;
import io.rafty.storage.ImageRecord;
import io.rafty.storage.SnapshotStaging;
import io.rafty.transport.MessageCodec;
import io.rafty.transport.PeerClient;
import io.rafty.transport.SnapshotSender;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.UnaryOperator;
import java.util.logging.Level;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three real nodes sharing a cluster secret: they elect, replicate, serve linearizable reads on followers and
 * rebuild a joining node by snapshot, every peer request signed; and whatever comes without the secret — a
 * forged AppendEntries or vote, a forged snapshot chunk, a node with another secret — is answered 401 and
 * changes nothing. Each refusal is paired with the same request correctly signed, which does get through, so
 * the 401s are the secret's doing and not a malformed forgery's.
 */
class PeerAuthIntegrationTest {

    private static final ClusterSecret SECRET = ClusterSecret.of("secret-of-the-test-cluster-0123456789");
    private static final ClusterSecret OTHER = ClusterSecret.of("another-cluster's-secret-9876543210");
    private static final int KEYS = 20;

    @TempDir
    Path dir;

    private static UnaryOperator<NodeConfig> secured(UnaryOperator<NodeConfig> more) {
        // Longer election timeouts than the default, so a loaded machine does not add elections of its own.
        return c -> more.apply(TestConfigs.with(c, Map.of("clusterSecret", SECRET, "electionTimeoutTicksMin", 20,
                "electionTimeoutTicksMax", 40)));
    }

    private TestCluster cluster(UnaryOperator<NodeConfig> more) throws Exception {
        return new TestCluster(dir, 3, new VertxOptions(), secured(more));
    }

    /** A signer holding {@code secret}, as a forger who has it (or a different one) would. */
    private static PeerAuth signer(ClusterSecret secret) {
        return new PeerAuth(secret, new PeerAuth.Limits(30_000, 1000), 99, System::currentTimeMillis,
                ThreadLocalRandom.current().nextLong());
    }

    private static HttpResponse<String> postMessages(TestCluster cluster, int node, byte[] body, Map<String, String> auth)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(cluster.url(node) + PeerClient.PATH))
                .header("content-type", PeerClient.CONTENT_TYPE)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        auth.forEach(request::header);
        return cluster.send(request);
    }

    private static void assertUnauthenticated(HttpResponse<String> response) {
        assertEquals(401, response.statusCode(), response.body());
        JsonObject body = new JsonObject(response.body());
        assertEquals("unauthenticated", body.getString("error"));
        assertTrue(body.getString("message").startsWith("peer request refused: "), body.encode());
    }

    private static void writeKeys(TestCluster cluster, int node) throws Exception {
        for (int i = 0; i < KEYS; i++) {
            String key = "auth/" + i;
            // 503 is "not applied": an election on a loaded machine; the same PUT again is harmless.
            await().atMost(Duration.ofSeconds(15)).until(() -> cluster.put(node, key, "v" + key).statusCode() == 200);
        }
    }

    /** Every node holds every key (a linearizable read, so it is served through a ReadIndex round). */
    private static void assertKeysEverywhere(TestCluster cluster) throws Exception {
        for (int node : cluster.nodes.keySet()) {
            for (int i = 0; i < KEYS; i++) {
                String path = "/v1/kv/auth/" + i;
                await().atMost(Duration.ofSeconds(15)).until(() -> cluster.get(node, path).statusCode() != 503);
                HttpResponse<String> get = cluster.get(node, path);
                assertEquals(200, get.statusCode(), "node " + node + " " + get.body());
                assertEquals("vauth/" + i, new JsonObject(get.body()).getString("value"));
            }
        }
    }

    /** For a second, {@code node}'s term stays below {@code forgedTerm} and it keeps its log. */
    private static void assertUnmoved(TestCluster cluster, int node, NodeStatus before, long forgedTerm) {
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() -> {
            NodeStatus s = cluster.nodes.get(node).status();
            return s.term() < forgedTerm && s.lastLogIndex() >= before.lastLogIndex() && !s.fenced()
                    && s.snapshotIndex() == before.snapshotIndex();
        });
    }

    @Test
    void aClusterSharingASecretElectsReplicatesAndRebuildsAJoiningNodeBySnapshot() throws Exception {
        try (TestCluster cluster = cluster(c -> TestConfigs.snapshots(c, 50, 64L << 20, 5))) {
            int leader = cluster.awaitLeader(Duration.ofSeconds(15));
            int follower = cluster.anyFollower(leader);
            writeKeys(cluster, leader);
            // Written through a follower: forwarded to the leader over the (signed) peer channel.
            SnapshotIntegrationTest.writeKeys(cluster, follower, "bulk/", 200);
            assertKeysEverywhere(cluster);

            // Node 4 joins through a follower: discovery is a signed GET /raft/cluster that the follower relays,
            // signed again, to the leader; the log is compacted, so node 4 is rebuilt by signed snapshot chunks.
            int port = TestCluster.freePort();
            HttpResponse<String> added = cluster.postWhileUnavailable(follower, "/v1/cluster/members",
                    new JsonObject().put("id", 4).put("address", "http://127.0.0.1:" + port).encode(),
                    Duration.ofSeconds(15));
            assertEquals(200, added.statusCode(), added.body());
            cluster.startJoining(4, port, cluster.url(follower));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                NodeStatus s = cluster.nodes.get(cluster.awaitLeader(Duration.ofSeconds(15))).status();
                return s.membership().isVoter(4) && cluster.nodes.get(4).status().appliedIndex() >= s.commitIndex();
            });
            NodeStatus joined = cluster.nodes.get(4).status();
            assertTrue(joined.snapshotIndex() > 0, "node 4 was rebuilt from a snapshot: " + joined);
            assertKeysEverywhere(cluster);
            JsonObject page = new JsonObject(cluster.get(4, "/v1/kv?prefix=bulk/&limit=1000&consistency=stale").body());
            assertEquals(200, page.getJsonArray("items").size());
        }
    }

    @Test
    void forgedAppendEntriesAndVotesWithoutTheSecretGet401AndChangeNothing() throws Exception {
        try (TestCluster cluster = cluster(UnaryOperator.identity());
             LogCapture log = new LogCapture("io.rafty.api.PeerAuthHandler", Level.WARNING)) {
            int leader = cluster.awaitLeader(Duration.ofSeconds(15));
            writeKeys(cluster, leader);
            int follower = cluster.anyFollower(leader);
            int other = cluster.nodes.keySet().stream().filter(id -> id != follower && id != leader).findFirst()
                    .orElseThrow();
            await().atMost(Duration.ofSeconds(10)).until(() -> cluster.nodes.get(follower).status().clusterId() != 0);
            NodeStatus before = cluster.nodes.get(follower).status();
            long higher = before.term() + 10;
            long firstRefusalMs = System.currentTimeMillis();
            // The leader's id, this cluster's id, a much higher term: each message would move the follower.
            byte[] forged = MessageCodec.encode(new PeerIdentity(before.clusterId(), 77), List.of(
                    new Heartbeat(leader, follower, higher, 1_000_000, 0),
                    new RequestVote(other, follower, higher, 1_000_000, higher, false),
                    new AppendEntries(leader, follower, higher, before.lastLogIndex(), before.term(),
                            List.of(Entry.command(higher, before.lastLogIndex() + 1, new byte[] {1})), 1_000_000)));

            assertUnauthenticated(postMessages(cluster, follower, forged, Map.of()));
            assertUnauthenticated(postMessages(cluster, follower, forged,
                    signer(OTHER).sign("POST", PeerClient.PATH, follower, Map.of(), forged)));
            // The right secret, but signed for another node: not replayable elsewhere.
            assertUnauthenticated(postMessages(cluster, follower, forged,
                    signer(SECRET).sign("POST", PeerClient.PATH, other, Map.of(), forged)));
            // The right secret over a different body: the MAC covers the body.
            byte[] harmless = MessageCodec.encode(new PeerIdentity(before.clusterId(), 77), List.of());
            assertUnauthenticated(postMessages(cluster, follower, forged,
                    signer(SECRET).sign("POST", PeerClient.PATH, follower, Map.of(), harmless)));
            // An unknown peer path is refused before it is found missing.
            HttpResponse<String> unknown = cluster.send(HttpRequest.newBuilder(
                    URI.create(cluster.url(follower) + "/raft/anything")).GET());
            assertUnauthenticated(unknown);

            assertUnmoved(cluster, follower, before, higher);
            assertKeysEverywhere(cluster);
            assertFalse(log.messages().isEmpty(), "the refusals were logged");
            long lines = 1 + (System.currentTimeMillis() - firstRefusalMs) / 10_000;
            assertTrue(log.messages().size() <= lines, "six refusals, at most a line per 10 s: " + log.messages());
            for (String line : log.messages()) {
                assertFalse(line.contains(new String(SECRET.key())), line);
            }

            // The same forgery signed with the cluster's secret is believed: the 401s above were the secret's doing.
            Map<String, String> genuine = signer(SECRET).sign("POST", PeerClient.PATH, follower, Map.of(), forged);
            assertEquals(204, postMessages(cluster, follower, forged, genuine).statusCode());
            await().atMost(Duration.ofSeconds(5)).until(() -> cluster.nodes.get(follower).status().term() >= higher);
            // And the very same request again is a replay.
            assertUnauthenticated(postMessages(cluster, follower, forged, genuine));
        }
    }

    /** One chunk to {@code /raft/snapshot} as SnapshotSender posts it, with {@code auth} headers. */
    private static HttpResponse<String> snapshotChunk(TestCluster cluster, int node, int from, long term, long clusterId,
                                                      long offset, byte[] chunk, PeerAuth auth) throws Exception {
        CRC32 crc = new CRC32();
        crc.update(chunk);
        String target = SnapshotSender.PATH + "?from=" + from + "&term=" + term + "&index=1000000&snapshotTerm=" + term
                + "&offset=" + offset + "&clusterId=" + clusterId + "&storageId=77&last=true&totalBytes="
                + (offset + chunk.length) + "&crc32=" + crc.getValue();
        String membership = Base64.getEncoder().encodeToString(Membership.ofVoters(Set.of(1, 2, 3)).encode());
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(cluster.url(node) + target))
                .header(SnapshotSender.MEMBERSHIP_HEADER, membership)
                .POST(HttpRequest.BodyPublishers.ofByteArray(chunk));
        if (auth != null) {
            auth.sign("POST", target, node, Map.of(SnapshotSender.MEMBERSHIP_HEADER, membership), chunk)
                    .forEach(request::header);
        }
        return cluster.send(request);
    }

    @Test
    void aForgedSnapshotChunkWithoutTheSecretGets401AndChangesNothing() throws Exception {
        try (TestCluster cluster = cluster(UnaryOperator.identity())) {
            int leader = cluster.awaitLeader(Duration.ofSeconds(15));
            writeKeys(cluster, leader);
            int follower = cluster.anyFollower(leader);
            await().atMost(Duration.ofSeconds(10)).until(() -> cluster.nodes.get(follower).status().clusterId() != 0);
            NodeStatus before = cluster.nodes.get(follower).status();
            long higher = before.term() + 10;
            // A complete snapshot holding one key, from the leader's id in a higher term: it would replace every key.
            byte[] image = SnapshotStaging.encode(new ImageRecord.Current(
                    new io.rafty.kv.KvEntry(new byte[] {'x'}, new byte[] {'y'}, 1, 1, 1)));

            assertUnauthenticated(snapshotChunk(cluster, follower, leader, higher, before.clusterId(), 0, image, null));
            assertUnauthenticated(snapshotChunk(cluster, follower, leader, higher, before.clusterId(), 0, image,
                    signer(OTHER)));

            assertUnmoved(cluster, follower, before, higher);
            assertKeysEverywhere(cluster);
            assertEquals(404, cluster.get(follower, "/v1/kv/x?consistency=stale").statusCode());
            // Signed with the secret, a chunk reaches the staging (which refuses this offset for a new transfer):
            // the gate, not the format, stopped the forgeries.
            HttpResponse<String> genuine = snapshotChunk(cluster, follower, leader, higher, before.clusterId(), 7, image,
                    signer(SECRET));
            assertEquals(409, genuine.statusCode(), genuine.body());
            assertEquals("offset_mismatch", new JsonObject(genuine.body()).getString("error"));
        }
    }

    @Test
    void aNodeWithAnotherSecretCannotJoinOrDisrupt() throws Exception {
        try (TestCluster cluster = cluster(UnaryOperator.identity())) {
            int leader = cluster.awaitLeader(Duration.ofSeconds(15));
            writeKeys(cluster, leader);
            int port = TestCluster.freePort();
            HttpResponse<String> added = cluster.postWhileUnavailable(leader, "/v1/cluster/members",
                    new JsonObject().put("id", 4).put("address", "http://127.0.0.1:" + port).encode(),
                    Duration.ofSeconds(15));
            assertEquals(200, added.statusCode(), added.body());

            // Join discovery refuses it before it starts, with a secret of its own or none.
            for (ClusterSecret secret : new ClusterSecret[] {OTHER, null}) {
                Map<String, Object> settings = new HashMap<>(Map.of("peers", List.of(), "join", cluster.url(leader),
                        "storageDir", dir.resolve("joiner")));
                settings.put("clusterSecret", secret);
                NodeConfig joiner = TestConfigs.with(NodeConfig.defaults(4, port, List.of()), settings);
                RaftyNode.StartupException refused = assertThrows(RaftyNode.StartupException.class,
                        () -> RaftyNode.start(joiner, new java.util.concurrent.ConcurrentHashMap<>(cluster.addresses),
                                new VertxOptions()));
                assertTrue(refused.getMessage().contains("401"), refused.getMessage());
            }

            // Started as a member with the other secret: it campaigns in ever higher terms, without pre-vote, and
            // answers the leader's appends with those terms — each would depose the leader if it were believed.
            List<Peer> peers = new ArrayList<>();
            for (int id : cluster.nodes.keySet()) {
                peers.add(new Peer(id, cluster.url(id)));
            }
            NodeConfig rogueConfig = TestConfigs.with(NodeConfig.defaults(4, port, peers), Map.of("clusterSecret", OTHER,
                    "preVote", false, "storageDir", dir.resolve("rogue")));
            Map<Integer, String> rogueAddresses = new java.util.concurrent.ConcurrentHashMap<>(cluster.addresses);
            long clusterTerm = cluster.nodes.get(leader).status().term();
            try (RaftyNode rogue = RaftyNode.start(rogueConfig, rogueAddresses, new VertxOptions())) {
                rogueAddresses.put(4, rogue.url());
                await().atMost(Duration.ofSeconds(30)).until(() -> rogue.status().term() > clusterTerm + 3);
                long rogueTerm = rogue.status().term();
                for (int id : cluster.nodes.keySet()) {
                    NodeStatus s = cluster.nodes.get(id).status();
                    assertTrue(s.term() < rogueTerm, "node " + id + " never took the rogue's term: " + s);
                }
                assertEquals(leader, cluster.awaitLeader(Duration.ofSeconds(15)));
                JsonArray members = new JsonObject(cluster.get(leader, "/v1/cluster").body()).getJsonArray("members");
                for (int i = 0; i < members.size(); i++) {
                    JsonObject member = members.getJsonObject(i);
                    if (member.getInteger("id") == 4) {
                        assertFalse(member.getBoolean("voter"), "never promoted: " + member);
                        assertEquals(0L, member.getLong("matchIndex"), "never replicated to: " + member);
                    }
                }
                assertKeysEverywhere(cluster);
            }
        }
    }
}
