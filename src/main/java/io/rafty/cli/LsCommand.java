package io.rafty.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code rafty ls [PREFIX]}: the keys under a prefix, in key order, with their metadata. Pages through
 * {@code GET /v1/kv?prefix=&after=} at the first page's revision, so a long listing is one consistent view.
 */
@Command(name = "ls", description = "List keys under a prefix (all keys without one), in key order.")
final class LsCommand implements Callable<Integer> {

    /** Keys per request when no smaller --limit asks for fewer: the server's default page. */
    static final int PAGE_KEYS = 100;

    @Mixin
    Endpoints endpoints;

    @Mixin
    Output output;

    @Parameters(index = "0", arity = "0..1", paramLabel = "PREFIX", defaultValue = "")
    String prefix;

    @Option(names = "--rev", paramLabel = "R", description = "List as of revision R")
    Long revision;

    @Option(names = "--limit", paramLabel = "N", description = "At most N keys (default: all)")
    Integer limit;

    @Option(names = {"--stale", "--serializable"}, description = "Read the answering node's state at once")
    boolean stale;

    @Override
    public Integer call() {
        if (limit != null && limit < 1) {
            throw CliException.usage("--limit must be at least 1");
        }
        JsonObject listing = listAll(endpoints.client(), prefix, revision, limit, stale);
        if (output.json()) {
            output.json(listing);
            return ExitCodes.OK;
        }
        List<List<String>> rows = new ArrayList<>();
        JsonArray items = listing.getJsonArray("items");
        for (int i = 0; i < items.size(); i++) {
            JsonObject item = items.getJsonObject(i);
            long lease = item.getLong("lease", 0L);
            rows.add(List.of(item.getString("key"), Output.cell(item.getValue("revision")),
                    Output.cell(item.getValue("version")), lease == 0 ? "-" : Long.toString(lease),
                    Output.valueText(item)));
        }
        output.table(List.of("KEY", "REVISION", "VERSION", "LEASE", "VALUE"), rows);
        if (listing.getBoolean("more")) {
            output.progress("more keys follow; raise --limit to see them");
        }
        return ExitCodes.OK;
    }

    /**
     * Every key under {@code prefix} (at most {@code limit}), as {@code {"items":[…],"more":bool,"revision":R}}:
     * the server's page shape, for all pages, read at one revision.
     */
    static JsonObject listAll(RaftyHttp http, String prefix, Long revision, Integer limit, boolean stale) {
        JsonArray items = new JsonArray();
        Long at = revision;
        String after = null;
        boolean more;
        do {
            int want = limit == null ? PAGE_KEYS : Math.min(PAGE_KEYS, limit - items.size());
            StringBuilder path = new StringBuilder("/v1/kv?prefix=").append(ApiPaths.query(prefix));
            if (want < PAGE_KEYS) {
                path.append("&limit=").append(want);
            }
            if (after != null) {
                path.append("&after=").append(ApiPaths.query(after));
            }
            if (at != null) {
                path.append("&revision=").append(at);
            }
            if (stale) {
                path.append("&consistency=stale");
            }
            RaftyHttp.Response response = http.get(path.toString());
            if (!response.ok()) {
                throw CliException.fromResponse(response);
            }
            JsonObject page = response.json();
            JsonArray found = page.getJsonArray("items");
            items.addAll(found);
            at = page.getLong("revision");
            more = page.getBoolean("more", false) && !found.isEmpty();
            if (!found.isEmpty()) {
                after = found.getJsonObject(found.size() - 1).getString("key");
            }
        } while (more && (limit == null || items.size() < limit));
        return new JsonObject().put("items", items).put("more", more).put("revision", at);
    }
}
