package io.rafty.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.config.ConfigLoader;
import io.rafty.config.NodeConfig;
import io.rafty.config.Peer;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** deploy/entrypoint.sh: a StatefulSet pod's name becomes a node id and its peers' stable names. */
class EntrypointScriptTest {

    @Test
    void podOrdinalBecomesIdPlusOneAndTheOtherInitialMembersItsPeers() throws Exception {
        Entrypoint.Run run = Entrypoint.printEnv(Map.of("RAFTY_HOSTNAME", "rafty-2"));

        assertEquals(0, run.exitCode(), run.stderr());
        assertEquals("3", run.env().get("KVSTORE_ID"));
        assertEquals("1@http://rafty-0.rafty-peers:3001;2@http://rafty-1.rafty-peers:3001",
                run.env().get("KVSTORE_PEERS"));
        assertEquals("rafty-2.rafty-peers", run.env().get("KVSTORE_HOST"), "binds to the name its peers use");
        assertEquals("3001", run.env().get("KVSTORE_PORT"));
        assertEquals("/var/lib/rafty/data", run.env().get("KVSTORE_STORAGE_DIR"));
        assertFalse(run.env().containsKey("KVSTORE_JOIN"));
    }

    @Test
    void aNamespaceMakesPeerNamesFullyQualifiedAndASetNameMayHoldDashes() throws Exception {
        Entrypoint.Run run = Entrypoint.printEnv(Map.of("RAFTY_HOSTNAME", "kv-store-0", "RAFTY_NAMESPACE", "prod",
                "RAFTY_PEER_SERVICE", "kv-peers", "RAFTY_REPLICAS", "5", "KVSTORE_PORT", "4100"));

        assertEquals(0, run.exitCode(), run.stderr());
        assertEquals("1", run.env().get("KVSTORE_ID"));
        List<String> expected = List.of(2, 3, 4, 5).stream()
                .map(id -> id + "@http://kv-store-" + (id - 1) + ".kv-peers.prod.svc.cluster.local:4100")
                .collect(Collectors.toList());
        assertEquals(String.join(";", expected), run.env().get("KVSTORE_PEERS"));
    }

    @Test
    void explicitlySetKvstoreVariablesWin() throws Exception {
        Entrypoint.Run run = Entrypoint.printEnv(Map.of("RAFTY_HOSTNAME", "rafty-1", "KVSTORE_ID", "7",
                "KVSTORE_PEERS", "", "KVSTORE_HOST", "0.0.0.0", "KVSTORE_STORAGE_DIR", "/data/x"));

        assertEquals(0, run.exitCode(), run.stderr());
        assertEquals("7", run.env().get("KVSTORE_ID"));
        assertEquals("", run.env().get("KVSTORE_PEERS"), "an explicitly empty peer list is a single-node cluster");
        assertEquals("0.0.0.0", run.env().get("KVSTORE_HOST"));
        assertEquals("/data/x", run.env().get("KVSTORE_STORAGE_DIR"));
    }

    @Test
    void anOrdinalPastTheInitialMembersJoinsThroughTheFirstInsteadOfListingPeers() throws Exception {
        Entrypoint.Run run = Entrypoint.printEnv(Map.of("RAFTY_HOSTNAME", "rafty-3"));

        assertEquals(0, run.exitCode(), run.stderr());
        assertEquals("4", run.env().get("KVSTORE_ID"));
        assertEquals("http://rafty-0.rafty-peers:3001", run.env().get("KVSTORE_JOIN"));
        assertFalse(run.env().containsKey("KVSTORE_PEERS"), "a joining node must not list peers: " + run.env());
    }

    @Test
    void withTlsThePeersAndTheJoinAddressAreHttps() throws Exception {
        Entrypoint.Run member = Entrypoint.printEnv(Map.of("RAFTY_HOSTNAME", "rafty-0",
                "KVSTORE_PEER_TLS_CA", "/etc/rafty/tls/peer-ca.pem"));
        assertEquals(0, member.exitCode(), member.stderr());
        assertEquals("2@https://rafty-1.rafty-peers:3001;3@https://rafty-2.rafty-peers:3001",
                member.env().get("KVSTORE_PEERS"));
        Entrypoint.Run joining = Entrypoint.printEnv(Map.of("RAFTY_HOSTNAME", "rafty-3",
                "KVSTORE_TLS_CERT", "/etc/rafty/tls/node.pem"));
        assertEquals(0, joining.exitCode(), joining.stderr());
        assertEquals("https://rafty-0.rafty-peers:3001", joining.env().get("KVSTORE_JOIN"));
    }

    @Test
    void aHostnameWithoutAnOrdinalNeedsAnExplicitId() throws Exception {
        Entrypoint.Run refused = Entrypoint.printEnv(Map.of("RAFTY_HOSTNAME", "rafty"));
        assertEquals(2, refused.exitCode());
        assertTrue(refused.stderr().contains("set KVSTORE_ID"), refused.stderr());

        Entrypoint.Run plainDocker = Entrypoint.printEnv(Map.of("RAFTY_HOSTNAME", "3f2a9c0b1d2e", "KVSTORE_ID", "1",
                "KVSTORE_PEERS", ""));
        assertEquals(0, plainDocker.exitCode(), plainDocker.stderr());
        assertEquals("0.0.0.0", plainDocker.env().get("KVSTORE_HOST"), "outside a StatefulSet it binds everywhere");
    }

    @Test
    void aBadReplicaCountIsRefused() throws Exception {
        Entrypoint.Run run = Entrypoint.printEnv(Map.of("RAFTY_HOSTNAME", "rafty-0", "RAFTY_REPLICAS", "three"));
        assertEquals(2, run.exitCode());
        assertTrue(run.stderr().contains("RAFTY_REPLICAS"), run.stderr());
    }

    @Test
    void whatItExportsIsAConfigurationTheNodeAccepts() throws Exception {
        Entrypoint.Run run = Entrypoint.printEnv(Map.of("RAFTY_HOSTNAME", "rafty-1", "RAFTY_NAMESPACE", "default"));
        assertEquals(0, run.exitCode(), run.stderr());

        // The node's own loader: unknown KVSTORE_* names, malformed peers or its own id among them fail here.
        NodeConfig config = ConfigLoader.load(new String[0], run.env());
        assertEquals(2, config.id());
        assertEquals(Map.of(1, "rafty-0.rafty-peers.default.svc.cluster.local",
                        3, "rafty-2.rafty-peers.default.svc.cluster.local"),
                config.peers().stream().collect(Collectors.toMap(Peer::id, Peer::host)));
        assertTrue(config.peers().stream().allMatch(p -> p.port() == config.port()));
    }
}
