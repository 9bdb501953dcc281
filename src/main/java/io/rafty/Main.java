package io.rafty;

import io.rafty.bench.BenchMain;
import io.rafty.cli.RaftyCli;
import io.rafty.config.ConfigLoader;
import io.rafty.config.NodeConfig;

/**
 * The composition root: {@code java -jar rafty.jar [config.json]} loads the configuration (file, then
 * {@code KVSTORE_*} environment), opens storage, starts the node, and closes everything in reverse on
 * SIGTERM. Any startup problem is one line on stderr and exit code 2.
 *
 * <p>{@code java -jar rafty.jar bench ...} (and the hidden ceilings {@code bench-server},
 * {@code bench-rocksdb}) run the load generator instead; they are dispatched before any node
 * configuration is read, so no {@code KVSTORE_*} variable or config file is needed or consulted.
 * So does the client, {@code java -jar rafty.jar put|get|del|ls|watch|txn|lease|cluster|snapshot ...}
 * ({@link RaftyCli#handles}: the first argument names one of its commands).
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        if (BenchMain.handles(args)) {
            int code = BenchMain.run(args, new java.io.PrintWriter(System.out, true),
                    new java.io.PrintWriter(System.err, true));
            System.exit(code);
            return;
        }
        if (RaftyCli.handles(args)) {
            System.exit(RaftyCli.run(args, new java.io.PrintWriter(System.out, true),
                    new java.io.PrintWriter(System.err, true)));
            return;
        }
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format",
                    "%1$tF %1$tT.%1$tL %4$s %3$s: %5$s%6$s%n");
        }
        NodeConfig config = ConfigLoader.loadOrExit(args, System.getenv());
        RaftyNode node;
        try {
            node = RaftyNode.start(config);
        } catch (RaftyNode.StartupException e) {
            System.err.println("rafty: node " + config.id() + ": " + e.getMessage());
            System.exit(2);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(node::close, "rafty-shutdown"));
        System.out.println("rafty: node " + config.id() + " serving on " + node.url() + " (storage "
                + config.storageDir() + ")");
    }
}
