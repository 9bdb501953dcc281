package io.rafty;

import io.rafty.config.ConfigLoader;
import io.rafty.config.NodeConfig;

/**
 * The composition root: {@code java -jar rafty.jar [config.json]} loads the configuration (file, then
 * {@code KVSTORE_*} environment), opens storage, starts the node, and closes everything in reverse on
 * SIGTERM. Any startup problem is one line on stderr and exit code 2.
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
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
