package io.rafty.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * No cluster here can apply deploy/kubernetes/rafty.yaml or build deploy/Dockerfile, so this checks what
 * must agree between them, the entry point and the node: names, ports, probe paths, labels, volumes, user.
 */
class DeploymentManifestTest {

    private static final Path MANIFEST = Path.of("deploy", "kubernetes", "rafty.yaml");
    private static final Path DOCKERFILE = Path.of("deploy", "Dockerfile");
    /** The health endpoints of the API contract (DESIGN "Operations"): liveness, and readiness to serve. */
    private static final String LIVENESS_PATH = "/livez";
    private static final String READINESS_PATH = "/readyz";

    private static List<JsonNode> documents;
    private static JsonNode statefulSet;
    private static JsonNode container;

    @BeforeAll
    static void parse() throws IOException {
        documents = new ArrayList<>();
        try (var values = new YAMLMapper().readerFor(JsonNode.class).<JsonNode>readValues(MANIFEST.toFile())) {
            while (values.hasNext()) {
                JsonNode document = values.next();
                if (document != null && !document.isNull() && !document.isEmpty()) {
                    documents.add(document);
                }
            }
        }
        statefulSet = only("StatefulSet");
        JsonNode containers = statefulSet.at("/spec/template/spec/containers");
        assertEquals(1, containers.size(), "one container in the pod");
        container = containers.get(0);
    }

    @Test
    void theHeadlessServiceNamesThePeersTheEntrypointBuilds() throws Exception {
        JsonNode headless = service(true);
        String serviceName = headless.at("/metadata/name").asText();
        assertEquals(serviceName, statefulSet.at("/spec/serviceName").asText(), "StatefulSet serviceName");
        assertTrue(headless.at("/spec/publishNotReadyAddresses").asBoolean(),
                "peers must resolve before any pod is ready (readiness needs a leader)");
        Map<String, String> env = literalEnv();
        assertEquals(serviceName, env.get("RAFTY_PEER_SERVICE"));
        int replicas = statefulSet.at("/spec/replicas").asInt();
        assertEquals(Integer.toString(replicas), env.get("RAFTY_REPLICAS"));

        // The pod rafty-2 with the manifest's environment (the namespace comes from the downward API).
        String set = statefulSet.at("/metadata/name").asText();
        Map<String, String> podEnv = new HashMap<>(env);
        podEnv.put("RAFTY_HOSTNAME", set + "-2");
        podEnv.put("RAFTY_NAMESPACE", "prod");
        podEnv.remove("JAVA_OPTS");
        Entrypoint.Run run = Entrypoint.printEnv(podEnv);
        assertEquals(0, run.exitCode(), run.stderr());
        assertEquals("3", run.env().get("KVSTORE_ID"));
        int port = containerPort();
        List<String> expected = new ArrayList<>();
        for (int ordinal = 0; ordinal < replicas; ordinal++) {
            if (ordinal != 2) {
                expected.add((ordinal + 1) + "@http://" + set + "-" + ordinal + "." + serviceName
                        + ".prod.svc.cluster.local:" + port);
            }
        }
        assertEquals(String.join(";", expected), run.env().get("KVSTORE_PEERS"));
    }

    @Test
    void theContainerPortIsKvstorePortAndEveryServiceAndTheImageUseIt() throws IOException {
        int port = containerPort();
        assertEquals(Integer.toString(port), literalEnv().get("KVSTORE_PORT"));
        String portName = container.at("/ports/0/name").asText();
        for (JsonNode service : of("Service")) {
            JsonNode target = service.at("/spec/ports/0/targetPort");
            assertTrue(target.asText().equals(portName) || target.asInt() == port,
                    service.at("/metadata/name") + " targets " + target);
            assertEquals(port, service.at("/spec/ports/0/port").asInt());
        }
        Matcher expose = Pattern.compile("(?m)^EXPOSE\\s+(\\d+)").matcher(Files.readString(DOCKERFILE));
        assertTrue(expose.find(), "the Dockerfile exposes a port");
        assertEquals(port, Integer.parseInt(expose.group(1)));
    }

    @Test
    void probesUseTheDocumentedHealthPathsOnTheNodesPort() {
        assertEquals(READINESS_PATH, container.at("/readinessProbe/httpGet/path").asText());
        assertEquals(LIVENESS_PATH, container.at("/livenessProbe/httpGet/path").asText());
        assertEquals(LIVENESS_PATH, container.at("/startupProbe/httpGet/path").asText());
        String portName = container.at("/ports/0/name").asText();
        for (String probe : List.of("readinessProbe", "livenessProbe", "startupProbe")) {
            assertEquals(portName, container.at("/" + probe + "/httpGet/port").asText(), probe + " port");
        }
    }

    @Test
    void theDisruptionBudgetAndTheServicesSelectTheStatefulSetsPods() {
        JsonNode podLabels = statefulSet.at("/spec/template/metadata/labels");
        JsonNode budget = only("PodDisruptionBudget");
        assertEquals(1, budget.at("/spec/maxUnavailable").asInt());
        assertSubset(budget.at("/spec/selector/matchLabels"), podLabels, "PodDisruptionBudget selector");
        assertSubset(statefulSet.at("/spec/selector/matchLabels"), podLabels, "StatefulSet selector");
        for (JsonNode service : of("Service")) {
            assertSubset(service.at("/spec/selector"), podLabels, service.at("/metadata/name") + " selector");
        }
        assertFalse(service(false).at("/spec/clusterIP").asText().equals("None"), "a client Service with an IP");
    }

    @Test
    void threeVotersStartTogetherEachOnItsOwnClaimedDisk() {
        assertEquals(3, statefulSet.at("/spec/replicas").asInt());
        assertEquals("Parallel", statefulSet.at("/spec/podManagementPolicy").asText());
        String storageDir = literalEnv().get("KVSTORE_STORAGE_DIR");
        assertNotNull(storageDir, "KVSTORE_STORAGE_DIR is set");
        List<String> claims = new ArrayList<>();
        statefulSet.at("/spec/volumeClaimTemplates").forEach(c -> claims.add(c.at("/metadata/name").asText()));
        boolean onClaim = false;
        for (JsonNode mount : container.at("/volumeMounts")) {
            String path = mount.at("/mountPath").asText();
            if (claims.contains(mount.at("/name").asText())
                    && (storageDir.equals(path) || storageDir.startsWith(path + "/"))) {
                onClaim = true;
            }
        }
        assertTrue(onClaim, storageDir + " is not on a volume claim " + claims);
        assertTrue(container.at("/resources/requests/memory").isTextual(), "memory request");
        assertTrue(container.at("/resources/requests/cpu").isTextual(), "cpu request");
        assertTrue(statefulSet.at("/spec/template/spec/terminationGracePeriodSeconds").asInt() > 0);
    }

    @Test
    void theImageBuildsOnJdk17RunsOnJre17AsTheUserThePodExpects() throws IOException {
        String dockerfile = Files.readString(DOCKERFILE);
        List<String> from = lines(dockerfile, "FROM");
        assertEquals(2, from.size(), "a build stage and a run stage: " + from);
        assertTrue(from.get(0).contains(":17-jdk"), from.get(0));
        assertTrue(from.get(1).contains(":17-jre"), from.get(1));
        assertTrue(lines(dockerfile, "RUN").stream().anyMatch(r -> r.contains("./mvnw") && r.contains("package")),
                "the jar is built with the Maven wrapper");

        String user = lines(dockerfile, "USER").get(0).split("\\s+")[1].split(":")[0];
        assertFalse(user.equals("0") || user.equals("root"), "runs as root");
        assertEquals(user, statefulSet.at("/spec/template/spec/securityContext/runAsUser").asText());
        assertTrue(statefulSet.at("/spec/template/spec/securityContext/runAsNonRoot").asBoolean());

        String copied = lines(dockerfile, "COPY").stream().filter(c -> c.contains("deploy/entrypoint.sh"))
                .map(c -> c.substring(c.lastIndexOf(' ') + 1)).findFirst().orElse("(not copied)");
        assertTrue(lines(dockerfile, "ENTRYPOINT").get(0).contains("\"" + copied + "\""),
                "ENTRYPOINT runs the copied script " + copied);
        String volume = lines(dockerfile, "VOLUME").get(0);
        String storageDir = literalEnv().get("KVSTORE_STORAGE_DIR");
        assertTrue(volume.contains("\"" + storageDir.substring(0, storageDir.lastIndexOf('/')) + "\""),
                volume + " holds " + storageDir);
    }

    private static List<String> lines(String dockerfile, String instruction) {
        return dockerfile.lines().map(String::strip).filter(l -> l.startsWith(instruction + " "))
                .collect(Collectors.toList());
    }

    private static int containerPort() {
        return container.at("/ports/0/containerPort").asInt();
    }

    /** The container's env entries that have a literal value. */
    private static Map<String, String> literalEnv() {
        Map<String, String> env = new HashMap<>();
        for (JsonNode entry : container.at("/env")) {
            if (entry.has("value")) {
                env.put(entry.get("name").asText(), entry.get("value").asText());
            }
        }
        return env;
    }

    private static void assertSubset(JsonNode selector, JsonNode labels, String what) {
        assertTrue(selector.isObject() && selector.size() > 0, what + " selects nothing: " + selector);
        Iterator<Map.Entry<String, JsonNode>> fields = selector.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            assertEquals(field.getValue(), labels.get(field.getKey()), what + " " + field.getKey());
        }
    }

    private static JsonNode service(boolean headless) {
        List<JsonNode> matching = of("Service").stream()
                .filter(s -> s.at("/spec/clusterIP").asText().equals("None") == headless)
                .collect(Collectors.toList());
        assertEquals(1, matching.size(), (headless ? "headless" : "client") + " services");
        return matching.get(0);
    }

    private static List<JsonNode> of(String kind) {
        return documents.stream().filter(d -> kind.equals(d.path("kind").asText())).collect(Collectors.toList());
    }

    private static JsonNode only(String kind) {
        List<JsonNode> found = of(kind);
        assertEquals(1, found.size(), kind + " documents in " + MANIFEST);
        return found.get(0);
    }
}
