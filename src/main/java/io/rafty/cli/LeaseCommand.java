package io.rafty.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rafty lease grant|keepalive|revoke|ttl|list}: the lease routes of DESIGN §4. */
@Command(name = "lease", description = "Grant, keep alive, inspect and revoke leases.",
        subcommands = {LeaseCommand.Grant.class, LeaseCommand.KeepAlive.class, LeaseCommand.Revoke.class,
            LeaseCommand.Ttl.class, LeaseCommand.ListLeases.class})
final class LeaseCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                "a lease command is required: grant, keepalive, revoke, ttl or list");
    }

    @Command(name = "grant", description = "Grant a lease of TTL seconds; prints its id.")
    static final class Grant implements Callable<Integer> {
        @Mixin
        Endpoints endpoints;

        @Mixin
        Output output;

        @Parameters(index = "0", paramLabel = "TTL", description = "Seconds (the server raises it to its minimum)")
        long ttl;

        @Option(names = "--id", paramLabel = "ID", description = "Ask for this lease id (409 lease_exists if taken)")
        Long id;

        @Override
        public Integer call() {
            if (ttl < 1) {
                throw CliException.usage("TTL must be at least 1 second");
            }
            JsonObject request = new JsonObject().put("ttl", ttl);
            if (id != null) {
                request.put("id", id);
            }
            JsonObject body = endpoints.client().send("POST", "/v1/leases",
                    request.encode().getBytes(StandardCharsets.UTF_8)).okJson();
            if (output.json()) {
                output.json(body);
                return ExitCodes.OK;
            }
            output.line("lease " + body.getValue("id") + " granted with TTL " + body.getValue("ttl") + "s");
            if (body.containsKey("requestedTtl")) {
                output.progress("the TTL was raised from " + body.getValue("requestedTtl") + "s to the minimum, "
                        + body.getValue("minTtl") + "s");
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "keepalive", description = "Keep a lease alive until Ctrl-C or --timeout (or once, with --once).")
    static final class KeepAlive implements Callable<Integer> {
        /** The shortest pause between keepalives, whatever the TTL. */
        static final Duration MIN_INTERVAL = Duration.ofMillis(500);

        @Mixin
        Endpoints endpoints;

        @Mixin
        Output output;

        @Parameters(index = "0", paramLabel = "ID")
        long id;

        @Option(names = "--once", description = "Send one keepalive and exit")
        boolean once;

        @Override
        public Integer call() throws InterruptedException {
            RaftyHttp http = endpoints.client();
            Duration timeout = endpoints.runTimeout();
            long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
            while (true) {
                JsonObject body = http.send("POST", "/v1/leases/" + id + "/keepalive", null).okJson();
                if (output.json()) {
                    output.json(body);
                } else {
                    output.line("lease " + id + " kept alive, TTL " + body.getValue("ttl") + "s");
                }
                if (once) {
                    return ExitCodes.OK;
                }
                // A third of the TTL, as etcd's clients do: two keepalives may be lost before the lease is at risk.
                long intervalMs = Math.max(MIN_INTERVAL.toMillis(), body.getLong("ttl", 1L) * 1000 / 3);
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    return ExitCodes.OK;
                }
                // One millisecond past the truncated remainder, so the check below finds the deadline passed.
                Thread.sleep(Math.min(intervalMs, left + 1));
                if (System.nanoTime() >= deadline) {
                    return ExitCodes.OK;
                }
            }
        }
    }

    @Command(name = "revoke", description = "Revoke a lease, deleting its keys in one revision.")
    static final class Revoke implements Callable<Integer> {
        @Mixin
        Endpoints endpoints;

        @Mixin
        Output output;

        @Parameters(index = "0", paramLabel = "ID")
        long id;

        @Override
        public Integer call() {
            JsonObject body = endpoints.client().send("DELETE", "/v1/leases/" + id, null).okJson();
            if (output.json()) {
                output.json(body);
            } else {
                output.line("lease " + id + " revoked, " + body.getValue("deleted") + " keys deleted (revision "
                        + body.getValue("revision") + ")");
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "ttl", description = "Show a lease's TTL and remaining time (and, with --keys, its keys).")
    static final class Ttl implements Callable<Integer> {
        @Mixin
        Endpoints endpoints;

        @Mixin
        Output output;

        @Parameters(index = "0", paramLabel = "ID")
        long id;

        @Option(names = "--keys", description = "List the keys attached to it")
        boolean keys;

        @Override
        public Integer call() {
            JsonObject body = endpoints.client().get("/v1/leases/" + id).okJson();
            if (output.json()) {
                output.json(body);
                return ExitCodes.OK;
            }
            output.line("lease " + id + ": TTL " + body.getValue("ttl") + "s, remaining " + body.getValue("remaining") + "s");
            if (keys) {
                JsonArray names = body.getJsonArray("keys", new JsonArray());
                for (int i = 0; i < names.size(); i++) {
                    output.line("  " + names.getString(i));
                }
                if (body.getBoolean("moreKeys", false)) {
                    output.progress("more keys are attached than the server lists");
                }
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "list", description = "List every lease.")
    static final class ListLeases implements Callable<Integer> {
        @Mixin
        Endpoints endpoints;

        @Mixin
        Output output;

        @Override
        public Integer call() {
            JsonObject body = endpoints.client().get("/v1/leases").okJson();
            if (output.json()) {
                output.json(body);
                return ExitCodes.OK;
            }
            JsonArray leases = body.getJsonArray("leases", new JsonArray());
            List<List<String>> rows = new ArrayList<>();
            for (int i = 0; i < leases.size(); i++) {
                JsonObject lease = leases.getJsonObject(i);
                rows.add(List.of(Output.cell(lease.getValue("id")), Output.cell(lease.getValue("ttl"))));
            }
            output.table(List.of("ID", "TTL"), rows);
            return ExitCodes.OK;
        }
    }
}
