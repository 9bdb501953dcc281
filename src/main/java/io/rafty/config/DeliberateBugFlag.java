package io.rafty.config;

import io.rafty.raft.DeliberateBug;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The test-only way to start a real node with a {@link DeliberateBug} switched on, so that
 * {@code rafty chaos --deliberate-bug NAME} can prove on real processes that its check catches a broken
 * node. Two environment variables, both required:
 *
 * <pre>
 *   RAFTY_DELIBERATE_BUG=FOLLOWER_READ_FROM_LOCAL_COMMIT      (one name, or several separated by commas)
 *   RAFTY_TEST_ONLY_ALLOW_DELIBERATE_BUG=true                 (the node refuses the first without this)
 * </pre>
 *
 * <p>Deliberately not {@code KVSTORE_*} settings: those are the configuration contract, every one also
 * settable in the JSON file, and a switch that makes a node lie must not sit among them. A node started
 * with a bug logs a loud warning at startup, so its log says what it is. Only
 * bugs the RocksDB-backed node honours are accepted (the in-memory store's are refused).
 */
public final class DeliberateBugFlag {

    public static final String BUG_ENV = "RAFTY_DELIBERATE_BUG";
    public static final String ALLOW_ENV = "RAFTY_TEST_ONLY_ALLOW_DELIBERATE_BUG";

    /** Honoured only by {@code InMemoryKvStore}, which a real node does not use. */
    private static final Set<DeliberateBug> IN_MEMORY_STORE_ONLY = EnumSet.of(
            DeliberateBug.PURGE_THROUGH_COMPACT_REVISION, DeliberateBug.DEDUP_NOT_IN_SNAPSHOT);

    private DeliberateBugFlag() {
    }

    /** The bugs a real node can be started with. */
    public static Set<DeliberateBug> supported() {
        Set<DeliberateBug> bugs = EnumSet.allOf(DeliberateBug.class);
        bugs.removeAll(IN_MEMORY_STORE_ONLY);
        return bugs;
    }

    /**
     * The bugs {@code env} switches on (usually none).
     *
     * @throws ConfigException when a bug is named without {@link #ALLOW_ENV}{@code =true}, or a name is
     *                         unknown or not honoured by a real node
     */
    public static Set<DeliberateBug> fromEnvironment(Map<String, String> env) {
        String names = env.getOrDefault(BUG_ENV, "").strip();
        if (names.isEmpty()) {
            return Set.of();
        }
        if (!"true".equalsIgnoreCase(env.getOrDefault(ALLOW_ENV, "").strip())) {
            throw new ConfigException(BUG_ENV + " is set but " + ALLOW_ENV + "=true is not: refusing to start a "
                    + "node with a deliberate bug (a test-only switch; unset " + BUG_ENV + ")");
        }
        Set<DeliberateBug> bugs = EnumSet.noneOf(DeliberateBug.class);
        for (String part : names.split(",")) {
            bugs.add(parse(part));
        }
        return bugs;
    }

    /** One bug's name, case-insensitive; refuses names a real node does not honour. */
    public static DeliberateBug parse(String name) {
        String upper = name.strip().toUpperCase(Locale.ROOT).replace('-', '_');
        DeliberateBug bug;
        try {
            bug = DeliberateBug.valueOf(upper);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(BUG_ENV + ": unknown deliberate bug \"" + name.strip() + "\"; known: "
                    + supported());
        }
        if (IN_MEMORY_STORE_ONLY.contains(bug)) {
            throw new ConfigException(BUG_ENV + ": " + bug + " is honoured only by the in-memory store, not by a "
                    + "RocksDB node; known: " + supported());
        }
        return bug;
    }
}
