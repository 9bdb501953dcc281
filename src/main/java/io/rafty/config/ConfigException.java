package io.rafty.config;

/**
 * A configuration the node cannot run with. The message is one line that names the setting and, where
 * known, where the bad value came from; the composition root prints it and exits with status 2.
 */
public final class ConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** The camelCase setting the problem is about, or null when it is about no single setting (a file). */
    private final String key;

    public ConfigException(String message) {
        this(null, message);
    }

    public ConfigException(String key, String message) {
        // One line, always: the operator reads it in a terminal or a single log line.
        super(message.replace("\r", "\\r").replace("\n", "\\n"));
        this.key = key;
    }

    /** The setting this problem is about, or null. */
    String key() {
        return key;
    }
}
