package io.rafty;

import io.rafty.config.NodeConfig;
import io.rafty.raft.Membership;
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
 * member for {@code GET /v1/cluster} (answered by the leader) and starts from that configuration, in
                    + config.join() + "; add it first with POST /v1/cluster/members {id, address}", null);
 * keeps it current. Runs on the main thread before Vert.x starts, so blocking is fine.
 */
final class ClusterJoin {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private ClusterJoin() {
    }

    static Membership discover(NodeConfig config, Map<Integer, String> directory) throws RaftyNode.StartupException {
        JsonObject view;
        try {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(TIMEOUT)
                    .build();
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(config.join() + "/v1/cluster"))
                    .timeout(TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new RaftyNode.StartupException("cannot join through " + config.join() + ": GET /v1/cluster answered "
                        + response.statusCode(), null);
            }
            view = new JsonObject(response.body());
        } catch (RaftyNode.StartupException e) {
            throw e;
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
