package io.rafty.etcd;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.api.ClusterGrpc;
import io.etcd.jetcd.api.MemberAddRequest;
import io.etcd.jetcd.api.MemberAddResponse;
import io.etcd.jetcd.api.MemberListRequest;
import io.etcd.jetcd.api.MemberPromoteRequest;
import io.etcd.jetcd.api.MemberRemoveRequest;
import io.etcd.jetcd.api.MemberUpdateRequest;
import io.etcd.jetcd.cluster.Member;
import io.etcd.jetcd.cluster.MemberListResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.rafty.RaftyNode;
import io.rafty.node.NodeStatus;
import io.rafty.raft.PeerProgress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * etcd's MemberAdd / MemberRemove / MemberPromote against real in-process nodes: jetcd's Cluster client for
 * a real join (a learner added over gRPC, started with KVSTORE_JOIN, promoted, listed as a voter, removed),
 * raw stubs for etcd's exact errors, through a follower (relayed to the leader) and the leader itself.
 */
class EtcdMembershipTest {

    private static final long WAIT_SECONDS = 30;

    @TempDir
    Path root;
    private EtcdCluster cluster;
    private final List<AutoCloseable> clients = new ArrayList<>();
    private final List<ManagedChannel> channels = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable client : clients) {
            client.close();
        }
        for (ManagedChannel channel : channels) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private Client client(int id) {
        Client client = Client.builder().endpoints(cluster.endpoint(id)).build();
        clients.add(client);
        return client;
    }

    private ClusterGrpc.ClusterBlockingStub raw(int id) {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", cluster.nodes.get(id).etcdPort())
                .usePlaintext().build();
        channels.add(channel);
        return ClusterGrpc.newBlockingStub(channel).withDeadlineAfter(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    private static int follower(int leader) {
        return leader == 1 ? 2 : 1;
    }

    /** Waits until every running node's configuration satisfies {@code condition}. */
    private void awaitEveryNode(Predicate<NodeStatus> condition) {
        await().atMost(Duration.ofSeconds(WAIT_SECONDS)).pollInterval(Duration.ofMillis(20))
                .until(() -> cluster.nodes.values().stream().allMatch(node -> condition.test(node.status())));
    }

    private static void assertStatus(Status.Code code, String message, Runnable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        assertEquals(message, e.getStatus().getDescription());
    }

    @Test
    void aLearnerAddedOverGrpcJoinsIsPromotedToVoterAndIsRemoved() throws Exception {
        cluster = new EtcdCluster(root, 3);
        int leader = cluster.awaitLeader();
        cluster.awaitStarted();
        int via = follower(leader);
        io.etcd.jetcd.Cluster members = client(via).getClusterClient();
        int port = EtcdCluster.freePort();
        String peer = "http://127.0.0.1:" + port;

        io.etcd.jetcd.cluster.MemberAddResponse added = members.addMember(List.of(URI.create(peer)), true)
                .get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertEquals(4, added.getMember().getId(), "the next free id");
        assertTrue(added.getMember().isLearner());
        assertEquals(List.of(URI.create(peer)), added.getMember().getPeerURIs());
        assertEquals(via, added.getHeader().getMemberId());
        assertEquals(List.of(1L, 2L, 3L, 4L), added.getMembers().stream().map(Member::getId).toList());
        Member listedNew = added.getMembers().get(3);
        assertTrue(listedNew.isLearner());
        assertEquals("", listedNew.getName(), "not started yet: etcdctl prints it as unstarted");
        awaitEveryNode(s -> s.membership().isLearner(4));

        cluster.startJoining(4, port, cluster.nodes.get(leader).url());
        // Promotable once the leader has heard from it (bound it) and its log has caught up: what the server checks.
        RaftyNode leaderNode = cluster.nodes.get(leader);
        await().atMost(Duration.ofSeconds(WAIT_SECONDS)).pollInterval(Duration.ofMillis(20)).until(() -> {
            if (leaderNode.status().membership().storageOf(4) == 0) {
                return false;
            }
            long last = leaderNode.status().lastLogIndex();
            List<PeerProgress> progress = leaderNode.raft().progress().toCompletionStage().toCompletableFuture()
                    .get(WAIT_SECONDS, TimeUnit.SECONDS);
            return progress.stream().anyMatch(p -> p.id() == 4 && p.replicating() && p.matchIndex() > 0
                    && last - p.matchIndex() <= 100);
        });
        io.etcd.jetcd.cluster.MemberPromoteResponse promoted = members.promoteMember(4).get(WAIT_SECONDS, TimeUnit.SECONDS);
        Member four = promoted.getMembers().stream().filter(m -> m.getId() == 4).findFirst().orElseThrow();
        assertFalse(four.isLearner());
        awaitEveryNode(s -> s.membership().isVoter(4) && s.membership().storageOf(4) != 0);

        MemberListResponse listed = members.listMember().get(WAIT_SECONDS, TimeUnit.SECONDS);
        Member voter = listed.getMembers().stream().filter(m -> m.getId() == 4).findFirst().orElseThrow();
        assertFalse(voter.isLearner());
        assertEquals("node4", voter.getName());
        assertEquals(List.of(URI.create(peer)), voter.getPeerURIs());
        // The new member serves etcd clients too, and sees itself as a voter.
        MemberListResponse fromNew = client(4).getClusterClient().listMember().get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertEquals(4, fromNew.getHeader().getMemberId());
        assertEquals(List.of(1L, 2L, 3L, 4L), fromNew.getMembers().stream().map(Member::getId).toList());

        io.etcd.jetcd.cluster.MemberRemoveResponse removed = members.removeMember(4).get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertEquals(List.of(1L, 2L, 3L), removed.getMembers().stream().map(Member::getId).toList());
        cluster.stop(4);
        awaitEveryNode(s -> !s.membership().contains(4) && s.membership().voters().size() == 3);
        assertEquals(List.of(1L, 2L, 3L), members.listMember().get(WAIT_SECONDS, TimeUnit.SECONDS).getMembers().stream()
                .map(Member::getId).toList());
    }

    @Test
    void etcdsErrorsFromTheLeaderAndThroughAFollower() throws Exception {
        cluster = new EtcdCluster(root, 3);
        int leader = cluster.awaitLeader();
        cluster.awaitStarted();
        for (int via : List.of(leader, follower(leader))) {
            ClusterGrpc.ClusterBlockingStub stub = raw(via);
            assertStatus(Status.Code.NOT_FOUND, "etcdserver: member not found",
                    () -> stub.memberRemove(MemberRemoveRequest.newBuilder().setID(99).build()));
            assertStatus(Status.Code.NOT_FOUND, "etcdserver: member not found",
                    () -> stub.memberRemove(MemberRemoveRequest.newBuilder().setID(-1L).build()));
            assertStatus(Status.Code.NOT_FOUND, "etcdserver: member not found",
                    () -> stub.memberPromote(MemberPromoteRequest.newBuilder().setID(99).build()));
            assertStatus(Status.Code.FAILED_PRECONDITION, "etcdserver: can only promote a learner member",
                    () -> stub.memberPromote(MemberPromoteRequest.newBuilder().setID(leader).build()));
            String taken = stub.memberList(MemberListRequest.getDefaultInstance()).getMembers(0).getPeerURLs(0);
            assertStatus(Status.Code.FAILED_PRECONDITION, "etcdserver: Peer URLs already exists",
                    () -> stub.memberAdd(MemberAddRequest.newBuilder().addPeerURLs(taken).setIsLearner(true).build()));
            for (String bad : List.of("not a url", "http://127.0.0.1", "ftp://127.0.0.1:2380", "http://127.0.0.1:2380/p",
                    "http://127.0.0.1:2380?x=1")) {
                assertStatus(Status.Code.INVALID_ARGUMENT, "etcdserver: given member URLs are invalid",
                        () -> stub.memberAdd(MemberAddRequest.newBuilder().addPeerURLs(bad).build()));
            }
            assertStatus(Status.Code.INVALID_ARGUMENT, "etcdserver: given member URLs are invalid",
                    () -> stub.memberAdd(MemberAddRequest.getDefaultInstance()));
            StatusRuntimeException two = assertThrows(StatusRuntimeException.class, () -> stub.memberAdd(
                    MemberAddRequest.newBuilder().addPeerURLs("http://127.0.0.1:1").addPeerURLs("http://127.0.0.1:2")
                            .build()));
            assertEquals(Status.Code.INVALID_ARGUMENT, two.getStatus().getCode());
            assertTrue(two.getStatus().getDescription().startsWith("rafty: "), two.getStatus().toString());
            assertEquals(Status.Code.UNIMPLEMENTED, assertThrows(StatusRuntimeException.class, () -> stub.memberUpdate(
                    MemberUpdateRequest.newBuilder().setID(1).addPeerURLs("http://127.0.0.1:1").build()))
                    .getStatus().getCode());

            // A learner nobody started is not in sync with the leader: its promotion is refused, it can be removed.
            String nowhere = "http://127.0.0.1:" + EtcdCluster.freePort();
            MemberAddResponse learner = stub.memberAdd(MemberAddRequest.newBuilder().addPeerURLs(nowhere)
                    .setIsLearner(true).build());
            long id = learner.getMember().getID();
            assertTrue(learner.getMember().getIsLearner());
            assertEquals(via, learner.getHeader().getMemberId());
            assertTrue(learner.getMembersList().stream().anyMatch(m -> m.getID() == id && m.getIsLearner()));
            assertStatus(Status.Code.FAILED_PRECONDITION, "etcdserver: Peer URLs already exists",
                    () -> stub.memberAdd(MemberAddRequest.newBuilder().addPeerURLs(nowhere).build()));
            awaitEveryNode(s -> s.membership().isLearner((int) id));
            assertStatus(Status.Code.FAILED_PRECONDITION,
                    "etcdserver: can only promote a learner member which is in sync with leader",
                    () -> stub.memberPromote(MemberPromoteRequest.newBuilder().setID(id).build()));
            assertEquals(3, stub.memberRemove(MemberRemoveRequest.newBuilder().setID(id).build()).getMembersCount());
            awaitEveryNode(s -> !s.membership().contains((int) id));
        }
        // Ids are not handed out twice: the two learners above had 4 and 5.
        MemberAddResponse next = raw(leader).memberAdd(MemberAddRequest.newBuilder()
                .addPeerURLs("http://127.0.0.1:" + EtcdCluster.freePort()).build());
        assertEquals(6, next.getMember().getID());
        assertTrue(next.getMember().getIsLearner(), "a voter is added as a learner the leader promotes once caught up");
        awaitEveryNode(s -> s.membership().autoPromote().contains(6));
    }

    @Test
    void theLastVoterCannotBeRemoved() throws Exception {
        cluster = new EtcdCluster(root, 1);
        cluster.awaitLeader();
        assertStatus(Status.Code.FAILED_PRECONDITION,
                "etcdserver: re-configuration failed due to not enough started members",
                () -> raw(1).memberRemove(MemberRemoveRequest.newBuilder().setID(1).build()));
        assertTrue(cluster.nodes.get(1).status().membership().isVoter(1));
    }
}
