package io.rafty.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code rafty cluster status|members|add|remove|promote|transfer}: every endpoint's status, and the
 * membership admin routes ({@code /v1/cluster/members…}, {@code /v1/cluster/leader}), answered by the leader.
 */
@Command(name = "cluster", description = "Cluster status and membership.",
        subcommands = {ClusterCommand.Status.class, ClusterCommand.Members.class, ClusterCommand.Add.class,
            ClusterCommand.Remove.class, ClusterCommand.Promote.class, ClusterCommand.Transfer.class})
final class ClusterCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                "a cluster command is required: status, members, add, remove, promote or transfer");
    }

    @Command(name = "status", description = "Ask every endpoint for its /v1/status; exit 3 when none answers.")
    static final class Status implements Callable<Integer> {
        @Mixin
        Endpoints endpoints;

        @Mixin
        Output output;

        @Override
        public Integer call() {
            RaftyHttp http = endpoints.client();
            JsonArray all = new JsonArray();
            List<List<String>> rows = new ArrayList<>();
            int answered = 0;
            for (URI endpoint : http.endpoints()) {
                try {
                    RaftyHttp.Response response = http.getFrom(endpoint, "/v1/status");
                    if (!response.ok()) {
                        String problem = "HTTP " + response.status() + (response.errorCode() == null ? ""
                                : " " + response.errorCode());
                        all.add(new JsonObject().put("endpoint", endpoint.toString()).put("error", problem));
                        rows.add(List.of(endpoint.toString(), "-", problem, "-", "-", "-", "-", "-", "-"));
                        continue;
                    }
                    JsonObject s = response.json();
                    answered++;
                    all.add(new JsonObject().put("endpoint", endpoint.toString()).put("status", s));
                    rows.add(List.of(endpoint.toString(), Output.cell(s.getValue("id")), Output.cell(s.getValue("role")),
                            Output.cell(s.getValue("term")), Output.cell(s.getValue("leaderId")),
                            Output.cell(s.getValue("commitIndex")), Output.cell(s.getValue("appliedIndex")),
                            Output.cell(s.getValue("revision")), Boolean.TRUE.equals(s.getValue("healthy"))
                                    ? (Boolean.TRUE.equals(s.getValue("rebuilding")) ? "rebuilding" : "yes") : "FENCED"));
                } catch (IOException e) {
                    all.add(new JsonObject().put("endpoint", endpoint.toString()).put("error", RaftyHttp.reason(e)));
                    rows.add(List.of(endpoint.toString(), "-", "down: " + RaftyHttp.reason(e), "-", "-", "-", "-", "-",
                            "-"));
                }
            }
            if (output.json()) {
                output.json(new JsonObject().put("endpoints", all));
            } else {
                output.table(List.of("ENDPOINT", "ID", "ROLE", "TERM", "LEADER", "COMMIT", "APPLIED", "REVISION",
                        "HEALTHY"), rows);
            }
            return answered == 0 ? ExitCodes.UNAVAILABLE : ExitCodes.OK;
        }
    }

    @Command(name = "members", description = "The leader's view of the members (GET /v1/cluster).")
    static final class Members implements Callable<Integer> {
        @Mixin
        Endpoints endpoints;

        @Mixin
        Output output;

        @Override
        public Integer call() {
            JsonObject body = endpoints.client().get("/v1/cluster").okJson();
            if (output.json()) {
                output.json(body);
                return ExitCodes.OK;
            }
            JsonArray members = body.getJsonArray("members", new JsonArray());
            List<List<String>> rows = new ArrayList<>();
            for (int i = 0; i < members.size(); i++) {
                JsonObject m = members.getJsonObject(i);
                rows.add(List.of(Output.cell(m.getValue("id")), Output.cell(m.getValue("address")),
                        Output.cell(m.getValue("role")), Output.cell(m.getValue("voter")),
                        Output.cell(m.getValue("matchIndex")), Output.cell(m.getValue("lag")),
                        Boolean.TRUE.equals(m.getValue("rebuilding")) ? "yes" : "no"));
            }
            output.line("leader " + Output.cell(body.getValue("leaderId")) + ", term " + Output.cell(body.getValue("term")));
            output.table(List.of("ID", "ADDRESS", "ROLE", "VOTER", "MATCH", "LAG", "REBUILDING"), rows);
            return ExitCodes.OK;
        }
    }

    @Command(name = "add", description = "Add a member (a learner, promoted by the leader once caught up unless --learner).")
    static final class Add implements Callable<Integer> {
        @Mixin
        Endpoints endpoints;

        @Mixin
        Output output;

        @Parameters(index = "0", paramLabel = "ID")
        int id;

        @Parameters(index = "1", paramLabel = "URL", description = "The new member's base URL, e.g. http://127.0.0.1:3004")
        String url;

        @Option(names = "--learner", description = "Keep it a learner (no vote) until `cluster promote`")
        boolean learner;

        @Override
        public Integer call() {
            JsonObject request = new JsonObject().put("id", id).put("address", url).put("learner", learner);
            return printMembership(output, endpoints.client().send("POST", "/v1/cluster/members",
                    request.encode().getBytes(StandardCharsets.UTF_8)).okJson());
        }
    }

    @Command(name = "remove", description = "Remove a member (voter or learner).")
    static final class Remove implements Callable<Integer> {
        @Mixin
        Endpoints endpoints;

        @Mixin
        Output output;

        @Parameters(index = "0", paramLabel = "ID")
        int id;

        @Override
        public Integer call() {
            return printMembership(output, endpoints.client().send("DELETE", "/v1/cluster/members/" + id,
                    null).okJson());
        }
    }

    @Command(name = "promote", description = "Make a caught-up learner a voter (409 learner_not_ready if it lags).")
    static final class Promote implements Callable<Integer> {
        @Mixin
        Endpoints endpoints;

        @Mixin
        Output output;

        @Parameters(index = "0", paramLabel = "ID")
        int id;

        @Override
        public Integer call() {
            return printMembership(output, endpoints.client().send("POST",
                    "/v1/cluster/members/" + id + "/promote", null).okJson());
        }
    }

    @Command(name = "transfer", description = "Hand leadership to member ID (POST /v1/cluster/leader).")
    static final class Transfer implements Callable<Integer> {
        @Mixin
        Endpoints endpoints;

        @Mixin
        Output output;

        @Parameters(index = "0", paramLabel = "ID")
        int id;

        @Override
        public Integer call() {
            JsonObject body = endpoints.client().send("POST", "/v1/cluster/leader",
                    new JsonObject().put("id", id).encode().getBytes(StandardCharsets.UTF_8)).okJson();
            if (output.json()) {
                output.json(body);
            } else {
                output.line("node " + body.getValue("leaderId") + " is the leader");
            }
            return ExitCodes.OK;
        }
    }

    /** Prints the configuration an admin change answers with: its members, voters and learners. */
    static int printMembership(Output output, JsonObject body) {
        if (output.json()) {
            output.json(body);
            return ExitCodes.OK;
        }
        JsonArray members = body.getJsonArray("members", new JsonArray());
        List<List<String>> rows = new ArrayList<>();
        for (int i = 0; i < members.size(); i++) {
            JsonObject m = members.getJsonObject(i);
            boolean voter = Boolean.TRUE.equals(m.getValue("voter"));
            rows.add(List.of(Output.cell(m.getValue("id")), Output.cell(m.getValue("address")),
                    voter ? "voter" : Boolean.TRUE.equals(m.getValue("autoPromote")) ? "learner (auto-promote)" : "learner"));
        }
        output.table(List.of("ID", "ADDRESS", "MEMBER"), rows);
        return ExitCodes.OK;
    }
}
