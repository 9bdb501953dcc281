package io.rafty;

import io.rafty.api.ApiVerticle;
import io.rafty.config.NodeConfig;
import io.rafty.raft.Membership;
import io.rafty.security.NodeTls;
import io.rafty.security.PeerAuth;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.Set;
import java.util.TreeSet;

/**
 * How a new node with empty storage learns the cluster it joins ({@code KVSTORE_JOIN}): it asks any
 * member for {@code GET /raft/cluster} (the view of {@code GET /v1/cluster}, answered by the leader, but a
 * peer route: behind the cluster secret when there is one) and starts from that configuration, in which
 * it must already be a member; from then on the replicated log keeps it current. Runs on the main thread
 * before Vert.x starts, so blocking is fine.
 */
final class ClusterJoin {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private ClusterJoin() {
    }

    /**
     * @param auth signs the discovery request with the cluster secret (null: none); it is a peer route, so a
     *             cluster with a secret refuses a node without the same one here, before it starts
     */
    static Membership discover(NodeConfig config, Map<Integer, String> directory, PeerAuth auth)
            throws RaftyNode.StartupException {
        return discover(config, directory, auth, NodeTls.NONE);
    }

    /** The member's own reason for a 401 (its JSON "message"), so a certificate problem is told apart. */
    private static String refusal(String body) {
        try {
            String message = new JsonObject(body).getString("message");
            return message == null ? "" : " (" + message + ")";
        } catch (RuntimeException e) {
            return "";
        }
    }

    /**
     * As the other {@code discover}; with peer TLS the member is asked over TLS, presenting this node's peer
     * certificate and verifying the member's (host name included) against the peer CA.
     */
    static Membership discover(NodeConfig config, Map<Integer, String> directory, PeerAuth auth, NodeTls tls)
            throws RaftyNode.StartupException {
        JsonObject view;
        try {
            HttpClient.Builder builder = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(TIMEOUT);
            if (tls.peerTls()) {
                builder.sslContext(tls.peerSslContext());
            }
            HttpClient http = builder.build();
            URI uri = URI.create(config.join() + ApiVerticle.PEER_CLUSTER_PATH);
            HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(TIMEOUT).GET();
            if (auth != null) {
                // Any member may answer (a follower relays it to the leader), so it is signed for no node in particular.
                auth.sign("GET", uri.getRawPath(), PeerAuth.ANY_NODE, Map.of(), new byte[0]).forEach(request::header);
            }
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 401) {
                throw new RaftyNode.StartupException("cannot join through " + config.join() + ": the cluster refused "
                        + "this node's peer credentials (401); " + (auth == null
                        ? "it has a cluster secret and this node none (set KVSTORE_CLUSTER_SECRET_FILE)"
                        : "is the cluster secret the same as the members'?") + refusal(response.body()), null);
            }
            if (response.statusCode() != 200) {
                throw new RaftyNode.StartupException("cannot join through " + config.join() + ": GET "
                        + ApiVerticle.PEER_CLUSTER_PATH + " answered " + response.statusCode(), null);
            }
            view = new JsonObject(response.body());
        } catch (RaftyNode.StartupException e) {
            throw e;
        } catch (javax.net.ssl.SSLException e) {
            throw new RaftyNode.StartupException("cannot join through " + config.join() + ": the TLS handshake failed "
                    + "(is the member's certificate signed by this node's peerTlsCa and does it name that host; does the "
                    + "member's peer CA sign this node's peerTlsCert?): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RaftyNode.StartupException("interrupted while joining through " + config.join(), e);
        } catch (Exception e) {
            throw new RaftyNode.StartupException("cannot join through " + config.join() + ": " + e.getMessage(), e);
        }
        TreeSet<Integer> voters = new TreeSet<>();
        TreeSet<Integer> learners = new TreeSet<>();
        Map<Integer, String> addresses = new TreeMap<>();
        JsonArray members = view.getJsonArray("members", new JsonArray());
        for (int i = 0; i < members.size(); i++) {
            JsonObject member = members.getJsonObject(i);
            int id = member.getInteger("id");
            (member.getBoolean("voter", false) ? voters : learners).add(id);
            String address = member.getString("address", "");
            if (!address.isEmpty()) {
                addresses.put(id, address);
            }
        }
        if (!voters.contains(config.id()) && !learners.contains(config.id())) {
            throw new RaftyNode.StartupException("node " + config.id() + " is not a member of the cluster at "
                    + config.join() + "; add it first with POST /v1/cluster/members", null);
        }
        addresses.forEach((id, address) -> {
            if (id != config.id()) {
                directory.putIfAbsent(id, address);
            }
        });
        return new Membership(voters, learners, Set.of(), addresses);
    }
}
