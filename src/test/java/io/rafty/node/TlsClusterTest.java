package io.rafty.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.kv.GetResponse;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.rafty.config.ClusterSecret;
import io.rafty.config.NodeConfig;
import io.rafty.config.Peer;
import io.rafty.config.TestConfigs;
import io.rafty.raft.PeerIdentity;
import io.rafty.raft.message.Heartbeat;
import io.rafty.raft.message.RequestVote;
import io.rafty.security.PeerAuth;
import io.rafty.security.TestPki;
import io.rafty.transport.MessageCodec;
import io.rafty.transport.PeerClient;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.logging.Level;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three real nodes with TLS on the client port and the etcd port (client certificates required, from a client
 * CA), mutual TLS between peers (certificates from a separate peer CA, {@code https://} peers, host names
 * verified) and a cluster secret on top. Clients only get in over TLS with a certificate of the client CA; the
 * peer routes only with a certificate of the peer CA (and the MAC); the cluster replicates, forwards and lets a
 * node join over it all.
 */
class TlsClusterTest {

    private static final ClusterSecret SECRET = ClusterSecret.of("secret-of-the-tls-test-cluster-0123456789");
    private static final Duration BUDGET = Duration.ofSeconds(20);

    @TempDir
    static Path dir;

    private static TestPki clientCa;
    private static TestPki peerCa;
    private static TestPki.Leaf nodeCert;
    private static TestPki.Leaf peerCert;
    private static TestPki.Leaf client;
    private static TestPki.Leaf wrongClient;
    private static HttpClient https;
    private static TestCluster cluster;

    @BeforeAll
    static void start() throws Exception {
        clientCa = TestPki.ca(dir.resolve("pki"), "clients");
        peerCa = TestPki.ca(dir.resolve("pki"), "peers");
        nodeCert = peerCa.issue("node");
        peerCert = peerCa.issue("peer");
        client = clientCa.issue("client");
        wrongClient = TestPki.ca(dir.resolve("pki"), "wrong").issue("client");
        https = client(client.context(peerCa.certificate()));
        cluster = new TestCluster(dir.resolve("cluster"), 3, new VertxOptions(), secured(etcdPorts()));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Every node with TLS everywhere, its peers as https://, and the cluster secret. */
    static UnaryOperator<NodeConfig> secured(UnaryOperator<NodeConfig> more) {
        return c -> {
            Map<String, Object> tls = new HashMap<>();
            tls.put("tlsCert", nodeCert.certFile());
            tls.put("tlsKey", nodeCert.keyFile());
            tls.put("tlsCa", clientCa.caFile());
            tls.put("tlsClientAuth", true);
            tls.put("peerTlsCert", peerCert.certFile());
            tls.put("peerTlsKey", peerCert.keyFile());
            tls.put("peerTlsCa", peerCa.caFile());
            tls.put("clusterSecret", SECRET);
            tls.put("peers", c.peers().stream().map(p -> new Peer(p.id(), p.url().replace("http://", "https://")))
                    .toList());
            tls.put("electionTimeoutTicksMin", 20);
            tls.put("electionTimeoutTicksMax", 40);
            return more.apply(TestConfigs.with(c, tls));
        };
    }

    private static UnaryOperator<NodeConfig> etcdPorts() {
        return c -> {
            try {
                return TestConfigs.with(c, Map.of("etcdPort", TestCluster.freePort()));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        };
    }

    private static HttpClient client(SSLContext context) {
        HttpClient.Builder builder = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5));
        return (context == null ? builder : builder.sslContext(context)).build();
    }

    private static HttpResponse<String> send(HttpClient http, HttpRequest.Builder request) throws Exception {
        return http.send(request.timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private static HttpResponse<String> get(int node, String path) throws Exception {
        return send(https, HttpRequest.newBuilder(URI.create(cluster.url(node) + path)).GET());
    }

    private static HttpResponse<String> put(int node, String key, String value) throws Exception {
        return send(https, HttpRequest.newBuilder(URI.create(cluster.url(node) + "/v1/kv/" + key))
                .PUT(HttpRequest.BodyPublishers.ofString(value)));
    }

    /** Writes {@code key} through {@code node}; a 503 (an election on a loaded machine: not applied) is retried. */
    private static void write(int node, String key, String value) {
        await().atMost(BUDGET).until(() -> put(node, key, value).statusCode() == 200);
    }

    /** A linearizable read of {@code key} on every node returns {@code value}. */
    private static void assertEverywhere(String key, String value) throws Exception {
        for (int node : cluster.nodes.keySet()) {
            await().atMost(BUDGET).until(() -> get(node, "/v1/kv/" + key).statusCode() != 503);
            HttpResponse<String> read = get(node, "/v1/kv/" + key);
            assertEquals(200, read.statusCode(), "node " + node + ": " + read.body());
            assertEquals(value, new JsonObject(read.body()).getString("value"), "node " + node);
        }
    }

    @Test
    void aWriteOnTheLeaderOrAFollowerIsReadOnEveryNodeOverHttps() throws Exception {
        int leader = cluster.awaitLeader(BUDGET);
        assertTrue(cluster.url(leader).startsWith("https://127.0.0.1:"), cluster.url(leader));
        write(leader, "tls/leader", "from-the-leader");
        assertEverywhere("tls/leader", "from-the-leader");
        // Through a follower: forwarded to the leader over the peer channel (mutual TLS).
        write(cluster.anyFollower(leader), "tls/follower", "from-a-follower");
        assertEverywhere("tls/follower", "from-a-follower");
    }

    @Test
    void theCliTalksHttpsWithItsCaAndClientCertificate() throws Exception {
        int leader = cluster.awaitLeader(BUDGET);
        write(leader, "tls/cli", "read-by-the-cli");
        String endpoints = cluster.url(cluster.anyFollower(leader)) + "," + cluster.url(leader);
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        int code = io.rafty.cli.RaftyCli.run(new String[] {"get", "tls/cli", "--endpoints", endpoints,
            "--cacert", peerCa.caFile().toString(), "--cert", client.certFile().toString(),
            "--key", client.keyFile().toString()}, new java.io.PrintWriter(out), new java.io.PrintWriter(err));
        assertEquals(0, code, err.toString());
        assertTrue(out.toString().contains("read-by-the-cli"), out.toString());
        // Without the client certificate the nodes refuse the CLI.
        java.io.StringWriter refusedErr = new java.io.StringWriter();
        int refused = io.rafty.cli.RaftyCli.run(new String[] {"get", "tls/cli", "--endpoints", endpoints,
            "--cacert", peerCa.caFile().toString()}, new java.io.PrintWriter(new java.io.StringWriter()),
                new java.io.PrintWriter(refusedErr));
        assertTrue(refused != 0, "refused without a client certificate");
        java.io.StringWriter badErr = new java.io.StringWriter();
        int bad = io.rafty.cli.RaftyCli.run(new String[] {"get", "tls/cli", "--endpoints", endpoints,
            "--cacert", dir.resolve("missing.pem").toString()}, new java.io.PrintWriter(new java.io.StringWriter()),
                new java.io.PrintWriter(badErr));
        assertEquals(2, bad, badErr.toString());
        assertTrue(badErr.toString().contains("--cacert file " + dir.resolve("missing.pem") + " not found"),
                badErr.toString());
    }

    @Test
    void theBenchLoadsTheTlsClusterWithItsCaAndClientCertificate() throws Exception {
        int leader = cluster.awaitLeader(BUDGET);
        String endpoints = cluster.url(leader) + "," + cluster.url(cluster.anyFollower(leader));
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        int code = io.rafty.bench.BenchMain.run(new String[] {"bench", "--endpoints", endpoints, "--workload", "mixed",
            "--clients", "4", "--duration", "1500ms", "--keys", "20", "--key-prefix", "tls-bench/", "--event-loops", "1",
            "--timeout", "5s", "--cacert", peerCa.caFile().toString(), "--cert", client.certFile().toString(),
            "--key", client.keyFile().toString()}, new java.io.PrintWriter(out), new java.io.PrintWriter(err));
        assertEquals(0, code, out + "" + err);
        assertTrue(out.toString().contains("preload: 20 keys in") && out.toString().contains(", 0 failed"), out.toString());
        java.util.regex.Matcher result = java.util.regex.Pattern.compile(
                "RESULT workload=mixed clients=\\d+ ops_per_s=(\\d+) .* errors=(\\d+)").matcher(out.toString());
        assertTrue(result.find(), out.toString());
        assertTrue(Long.parseLong(result.group(1)) > 0, result.group());
        assertEquals("0", result.group(2), out.toString());
        assertEquals(200, get(leader, "/v1/kv/tls-bench/0000000019").statusCode(), "the preload went over TLS");
        // Without the client certificate, a usage problem is caught before any load: a key without its certificate.
        java.io.StringWriter badErr = new java.io.StringWriter();
        int bad = io.rafty.bench.BenchMain.run(new String[] {"bench", "--endpoints", endpoints, "--duration", "1s",
            "--cacert", peerCa.caFile().toString(), "--key", client.keyFile().toString()},
                new java.io.PrintWriter(new java.io.StringWriter()), new java.io.PrintWriter(badErr));
        assertEquals(2, bad, badErr.toString());
        assertTrue(badErr.toString().contains("a client certificate needs both --cert and --key"), badErr.toString());
    }

    @Test
    void plaintextToTheTlsPortsFails() throws Exception {
        int node = cluster.awaitLeader(BUDGET);
        String plain = cluster.url(node).replace("https://", "http://");
        HttpClient http = client(null);
        assertThrows(IOException.class, () -> send(http, HttpRequest.newBuilder(URI.create(plain + "/v1/status")).GET()));
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", cluster.nodes.get(node).etcdPort())
                .usePlaintext().build();
        try {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> KVGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(10, TimeUnit.SECONDS).put(PutRequest.newBuilder()
                            .setKey(com.google.protobuf.ByteString.copyFromUtf8("plain"))
                            .setValue(com.google.protobuf.ByteString.copyFromUtf8("text")).build()));
            assertEquals(io.grpc.Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
        } finally {
            channel.shutdownNow();
        }
        assertEquals(404, get(node, "/v1/kv/plain").statusCode(), "nothing was written in plaintext");
    }

    @Test
    void onlyAClientCertificateOfTheClientCaGetsIn() throws Exception {
        int node = cluster.awaitLeader(BUDGET);
        URI status = URI.create(cluster.url(node) + "/v1/status");
        HttpClient noCertificate = client(TestPki.context(null, peerCa.certificate()));
        assertThrows(IOException.class, () -> send(noCertificate, HttpRequest.newBuilder(status).GET()));
        HttpClient wrongCa = client(wrongClient.context(peerCa.certificate()));
        assertThrows(IOException.class, () -> send(wrongCa, HttpRequest.newBuilder(status).GET()));
        // A client that does not trust the node's CA refuses the node in turn.
        HttpClient distrusting = client(client.context(clientCa.certificate()));
        assertThrows(IOException.class, () -> send(distrusting, HttpRequest.newBuilder(status).GET()));
        HttpResponse<String> good = send(https, HttpRequest.newBuilder(status).GET());
        assertEquals(200, good.statusCode(), good.body());
        assertEquals(node, new JsonObject(good.body()).getInteger("id"));
    }

    @Test
    void aPeerRequestWithoutAPeerCertificateIsRefusedAndChangesNothing() throws Exception {
        int leader = cluster.awaitLeader(BUDGET);
        int follower = cluster.anyFollower(leader);
        await().atMost(BUDGET).until(() -> cluster.nodes.get(follower).status().clusterId() != 0);
        NodeStatus before = cluster.nodes.get(follower).status();
        long higher = before.term() + 10;
        // The leader's id, this cluster's id, a much higher term: believed, the heartbeat would move the follower's
        // term (PeerAuthIntegrationTest shows it does, correctly signed).
        byte[] forged = MessageCodec.encode(new PeerIdentity(before.clusterId(), 77), List.of(
                new Heartbeat(leader, follower, higher, 1_000_000, 0),
                new RequestVote(leader, follower, higher, 1_000_000, higher, false)));
        PeerAuth signer = new PeerAuth(SECRET, new PeerAuth.Limits(30_000, 1000), 99, System::currentTimeMillis,
                ThreadLocalRandom.current().nextLong());
        URI messages = URI.create(cluster.url(follower) + PeerClient.PATH);
        try (LogCapture log = new LogCapture("io.rafty.api.PeerAuthHandler", Level.WARNING)) {
            // A client certificate (the port accepts it) and even the cluster secret's MAC: not a peer certificate.
            HttpRequest.Builder request = HttpRequest.newBuilder(messages).header("content-type", PeerClient.CONTENT_TYPE)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(forged));
            signer.sign("POST", PeerClient.PATH, follower, Map.of(), forged).forEach(request::header);
            HttpResponse<String> refused = send(https, request);
            assertEquals(401, refused.statusCode(), refused.body());
            JsonObject body = new JsonObject(refused.body());
            assertEquals("unauthenticated", body.getString("error"));
            assertTrue(body.getString("message").contains("is not signed by the peer CA"), body.encode());
            // No certificate, or one of another CA: the handshake itself fails.
            for (SSLContext context : List.of(TestPki.context(null, peerCa.certificate()),
                    wrongClient.context(peerCa.certificate()))) {
                assertThrows(IOException.class, () -> send(client(context), HttpRequest.newBuilder(messages)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(forged))));
            }
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() -> {
                NodeStatus s = cluster.nodes.get(follower).status();
                return s.term() < higher && s.lastLogIndex() >= before.lastLogIndex();
            });
            assertEquals(1, log.messages().size(), "one rate-limited line: " + log.messages());
            assertTrue(log.messages().get(0).contains("is not signed by the peer CA"), log.messages().get(0));
        }

        // With the peer certificate, the same gate lets a request through to the MAC check, which still applies...
        HttpClient asPeer = client(peerCert.context(peerCa.certificate()));
        byte[] harmless = MessageCodec.encode(new PeerIdentity(before.clusterId(), 77), List.of());
        HttpResponse<String> unsigned = send(asPeer, HttpRequest.newBuilder(messages)
                .header("content-type", PeerClient.CONTENT_TYPE).POST(HttpRequest.BodyPublishers.ofByteArray(harmless)));
        assertEquals(401, unsigned.statusCode(), unsigned.body());
        assertTrue(new JsonObject(unsigned.body()).getString("message").contains("cluster secret"), unsigned.body());
        // ...and signed, it is taken: the refusals above were the certificate's doing.
        HttpRequest.Builder signed = HttpRequest.newBuilder(messages).header("content-type", PeerClient.CONTENT_TYPE)
                .POST(HttpRequest.BodyPublishers.ofByteArray(harmless));
        signer.sign("POST", PeerClient.PATH, follower, Map.of(), harmless).forEach(signed::header);
        assertEquals(204, send(asPeer, signed).statusCode());
    }

    @Test
    void jetcdWorksOverTlsWithTheCaAndAClientCertificate() throws Exception {
        int leader = cluster.awaitLeader(BUDGET);
        int follower = cluster.anyFollower(leader);
        String endpoint = "https://127.0.0.1:" + cluster.nodes.get(follower).etcdPort();
        try (Client etcd = Client.builder().endpoints(endpoint).sslContext(ssl -> ssl
                .trustManager(peerCa.caFile().toFile())
                .keyManager(client.certFile().toFile(), client.keyFile().toFile())).build()) {
            ByteSequence key = ByteSequence.from("tls/etcd", StandardCharsets.UTF_8);
            etcd.getKVClient().put(key, ByteSequence.from("over-grpc-tls", StandardCharsets.UTF_8))
                    .get(15, TimeUnit.SECONDS);
            GetResponse got = etcd.getKVClient().get(key).get(10, TimeUnit.SECONDS);
            assertEquals("over-grpc-tls", got.getKvs().get(0).getValue().toString(StandardCharsets.UTF_8));
            // A lease's TimeToLive on a follower is relayed to the leader's client port: over peer TLS.
            long lease = etcd.getLeaseClient().grant(60).get(15, TimeUnit.SECONDS).getID();
            io.etcd.jetcd.lease.LeaseTimeToLiveResponse ttl = etcd.getLeaseClient()
                    .timeToLive(lease, io.etcd.jetcd.options.LeaseOption.DEFAULT).get(15, TimeUnit.SECONDS);
            assertEquals(60, ttl.getGrantedTTL());
            assertTrue(ttl.getTTL() > 0 && ttl.getTTL() <= 60, "remaining " + ttl.getTTL());
            // MemberList names the TLS addresses: https:// peer URLs for every member, and the answering member's own
            // etcd URL (the one member whose client URL it knows) as https:// too.
            List<io.etcd.jetcd.cluster.Member> members = etcd.getClusterClient().listMember().get(10, TimeUnit.SECONDS)
                    .getMembers();
            assertEquals(3, members.size());
            for (io.etcd.jetcd.cluster.Member member : members) {
                assertEquals(1, member.getPeerURIs().size(), member.toString());
                assertEquals("https", member.getPeerURIs().get(0).getScheme(), member.toString());
                assertTrue(member.getClientURIs().stream().allMatch(u -> u.getScheme().equals("https")),
                        member.toString());
            }
            assertEquals(List.of(URI.create(endpoint)), members.stream().filter(m -> m.getId() == follower).findFirst()
                    .orElseThrow().getClientURIs());
        }
        assertEverywhere("tls/etcd", "over-grpc-tls");
        // Without a client certificate the etcd port refuses the client (jetcd would keep retrying: plain gRPC).
        ManagedChannel anonymous = NettyChannelBuilder.forAddress("127.0.0.1", cluster.nodes.get(follower).etcdPort())
                .sslContext(GrpcSslContexts.forClient().trustManager(peerCa.caFile().toFile()).build()).build();
        try {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> KVGrpc.newBlockingStub(anonymous)
                    .withDeadlineAfter(10, TimeUnit.SECONDS).range(RangeRequest.newBuilder()
                            .setKey(com.google.protobuf.ByteString.copyFromUtf8("tls/etcd")).build()));
            assertEquals(io.grpc.Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
        } finally {
            anonymous.shutdownNow();
        }
        // The same channel with the client certificate is served: the refusal above was the missing certificate's.
        ManagedChannel identified = NettyChannelBuilder.forAddress("127.0.0.1", cluster.nodes.get(follower).etcdPort())
                .sslContext(GrpcSslContexts.forClient().trustManager(peerCa.caFile().toFile())
                        .keyManager(client.certFile().toFile(), client.keyFile().toFile()).build()).build();
        try {
            assertEquals(1, KVGrpc.newBlockingStub(identified).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .range(RangeRequest.newBuilder().setKey(com.google.protobuf.ByteString.copyFromUtf8("tls/etcd"))
                            .build()).getCount());
        } finally {
            identified.shutdownNow();
        }
    }

    @Test
    void peerTlsAloneServesClientsWithoutCertificatesAndRefusesThemThePeerRoutes() throws Exception {
        // No client TLS, no secret: the port serves the peer certificate and asks for, but does not need, one back.
        UnaryOperator<NodeConfig> peerTlsOnly = c -> {
            Map<String, Object> tls = new HashMap<>();
            tls.put("peerTlsCert", peerCert.certFile());
            tls.put("peerTlsKey", peerCert.keyFile());
            tls.put("peerTlsCa", peerCa.caFile());
            tls.put("peers", c.peers().stream().map(p -> new Peer(p.id(), p.url().replace("http://", "https://")))
                    .toList());
            return TestConfigs.with(c, tls);
        };
        try (TestCluster peersOnly = new TestCluster(dir.resolve("peers-only"), 3, new VertxOptions(), peerTlsOnly)) {
            int leader = peersOnly.awaitLeader(BUDGET);
            HttpClient anonymous = client(TestPki.context(null, peerCa.certificate()));
            URI key = URI.create(peersOnly.url(peersOnly.anyFollower(leader)) + "/v1/kv/tls/anonymous");
            await().atMost(BUDGET).until(() -> send(anonymous, HttpRequest.newBuilder(key)
                    .PUT(HttpRequest.BodyPublishers.ofString("no-client-certificate"))).statusCode() == 200);
            HttpResponse<String> read = send(anonymous, HttpRequest.newBuilder(key).GET());
            assertEquals("no-client-certificate", new JsonObject(read.body()).getString("value"), read.body());

            int follower = peersOnly.anyFollower(leader);
            await().atMost(BUDGET).until(() -> peersOnly.nodes.get(follower).status().clusterId() != 0);
            NodeStatus before = peersOnly.nodes.get(follower).status();
            long higher = before.term() + 10;
            byte[] forged = MessageCodec.encode(new PeerIdentity(before.clusterId(), 77),
                    List.of(new Heartbeat(leader, follower, higher, 1_000_000, 0)));
            URI messages = URI.create(peersOnly.url(follower) + PeerClient.PATH);
            HttpResponse<String> refused = send(anonymous, HttpRequest.newBuilder(messages)
                    .header("content-type", PeerClient.CONTENT_TYPE).POST(HttpRequest.BodyPublishers.ofByteArray(forged)));
            assertEquals(401, refused.statusCode(), refused.body());
            assertTrue(new JsonObject(refused.body()).getString("message")
                    .contains("no client certificate on the TLS connection"), refused.body());
            assertEquals("rafty-peer-mtls", refused.headers().firstValue("www-authenticate").orElse(""));
            HttpResponse<String> discovery = send(anonymous, HttpRequest.newBuilder(
                    URI.create(peersOnly.url(follower) + "/raft/cluster")).GET());
            assertEquals(401, discovery.statusCode(), discovery.body());
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5))
                    .until(() -> peersOnly.nodes.get(follower).status().term() < higher);
            // The peer certificate is let through (no secret here, so nothing else is asked): the same forgery moves
            // the term, which shows the refusal above was the missing certificate's.
            HttpResponse<String> asPeer = send(client(peerCert.context(peerCa.certificate())),
                    HttpRequest.newBuilder(messages).header("content-type", PeerClient.CONTENT_TYPE)
                            .POST(HttpRequest.BodyPublishers.ofByteArray(forged)));
            assertEquals(204, asPeer.statusCode(), asPeer.body());
            await().atMost(BUDGET).until(() -> peersOnly.nodes.get(follower).status().term() >= higher);
        }
    }

    @Test
    void aNodeOfAnotherPeerCaCannotJoin() throws Exception {
        int leader = cluster.awaitLeader(BUDGET);
        long commitBefore = cluster.nodes.get(leader).status().commitIndex();
        TestPki strangers = TestPki.ca(dir.resolve("strangers"), "strangers");
        TestPki.Leaf stranger = strangers.issue("stranger");
        NodeConfig config = TestConfigs.with(TestConfigs.node(9, 0, List.of(), dir.resolve("stranger-node")), Map.of(
                "peerTlsCert", stranger.certFile(), "peerTlsKey", stranger.keyFile(), "peerTlsCa", strangers.caFile(),
                "join", cluster.url(leader)));
        // Its CA does not vouch for the members' certificate: discovery fails in the handshake, before it starts.
        io.rafty.RaftyNode.StartupException e = assertThrows(io.rafty.RaftyNode.StartupException.class,
                () -> io.rafty.RaftyNode.start(config, new java.util.concurrent.ConcurrentHashMap<>(), new VertxOptions()));
        assertTrue(e.getMessage().startsWith("cannot join through " + cluster.url(leader) + ": the TLS handshake failed"),
                e.getMessage());
        assertEquals(3, cluster.nodes.get(leader).status().membership().voters().size());
        assertTrue(cluster.nodes.get(leader).status().commitIndex() >= commitBefore);
    }

    @Test
    void peersVerifyTheHostNameInEachOthersCertificate() throws Exception {
        // Certificates of the right CA, but naming another host than the 127.0.0.1 the peers dial: every peer
        // connection fails its host name check, so no vote ever arrives and no leader is elected.
        TestPki.Leaf misnamed = peerCa.issueFor("misnamed", "elsewhere.invalid");
        UnaryOperator<NodeConfig> misnamedPeers = c -> TestConfigs.with(c, Map.of("peerTlsCert", misnamed.certFile(),
                "peerTlsKey", misnamed.keyFile(), "peerTlsCa", peerCa.caFile(),
                "peers", c.peers().stream().map(p -> new Peer(p.id(), p.url().replace("http://", "https://"))).toList()));
        try (TestCluster unverified = new TestCluster(dir.resolve("misnamed"), 3, new VertxOptions(), misnamedPeers)) {
            // Elections elsewhere in this class finish within a few seconds; here, twelve election timeouts pass.
            await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(10)).until(() -> unverified.nodes.values()
                    .stream().noneMatch(n -> n.status().role() == io.rafty.raft.Role.LEADER));
            // The certificate chains to the CA (a handshake that does not check names succeeds); the name is the
            // one thing wrong with it (the same handshake checking it, as the peers do, fails).
            int port = unverified.nodes.get(1).port();
            SSLContext trusting = TestPki.context(null, peerCa.certificate());
            try (javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket) trusting.getSocketFactory()
                    .createSocket("127.0.0.1", port)) {
                socket.startHandshake();
                assertEquals("CN=misnamed", ((java.security.cert.X509Certificate) socket.getSession()
                        .getPeerCertificates()[0]).getSubjectX500Principal().getName());
            }
            try (javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket) trusting.getSocketFactory()
                    .createSocket("127.0.0.1", port)) {
                javax.net.ssl.SSLParameters parameters = socket.getSSLParameters();
                parameters.setEndpointIdentificationAlgorithm("HTTPS");
                socket.setSSLParameters(parameters);
                assertThrows(javax.net.ssl.SSLHandshakeException.class, socket::startHandshake);
            }
        }
    }

    @Test
    void aNodeJoinsOverPeerTlsAndIsRebuiltBySnapshot() throws Exception {
        // A cluster of its own: membership changes here must not disturb the other tests' cluster.
        try (TestCluster joining = new TestCluster(dir.resolve("joining"), 3, new VertxOptions(),
                secured(c -> TestConfigs.snapshots(c, 50, 64L << 20, 5)))) {
            int leader = joining.awaitLeader(BUDGET);
            int follower = joining.anyFollower(leader);
            for (int i = 0; i < 60; i++) {
                String key = "/v1/kv/join/" + i;
                URI uri = URI.create(joining.url(follower) + key);
                await().atMost(BUDGET).until(() -> send(https, HttpRequest.newBuilder(uri)
                        .PUT(HttpRequest.BodyPublishers.ofString("v"))).statusCode() == 200);
            }
            int port = TestCluster.freePort();
            HttpResponse<String> added = send(https, HttpRequest.newBuilder(
                    URI.create(joining.url(follower) + "/v1/cluster/members")).header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("id", 4)
                            .put("address", "https://127.0.0.1:" + port).encode())));
            assertEquals(200, added.statusCode(), added.body());
            // Discovery (GET /raft/cluster over peer TLS, relayed by the follower), then a snapshot over peer TLS.
            joining.startJoining(4, port, joining.url(follower));
            await().atMost(Duration.ofSeconds(40)).until(() -> {
                NodeStatus s = joining.nodes.get(joining.awaitLeader(BUDGET)).status();
                return s.membership().isVoter(4) && joining.nodes.get(4).status().appliedIndex() >= s.commitIndex();
            });
            assertTrue(joining.nodes.get(4).status().snapshotIndex() > 0, "rebuilt from a snapshot");
            HttpResponse<String> page = send(https, HttpRequest.newBuilder(URI.create(joining.url(4)
                    + "/v1/kv?prefix=join/&limit=1000")).GET());
            assertEquals(200, page.statusCode(), page.body());
            assertEquals(60, new JsonObject(page.body()).getJsonArray("items").size());
        }
    }
}
