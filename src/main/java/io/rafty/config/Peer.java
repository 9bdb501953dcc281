package io.rafty.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Another member of the cluster and the base URL of its HTTP server (client API and peer RPC).
 *
 * @param id  the peer's node id (positive)
 * @param url {@code http://host:port} or {@code https://host:port}; normalised to exactly that shape
 *            (lower-case scheme, explicit port, no trailing slash)
 */
public record Peer(int id, String url) {

    static final String EXPECTED = "expected id@http://host:port, entries separated by ';'";

    /** Host names Java's URI parser rejects but DNS and container runtimes accept (underscores). */
    private static final Pattern LENIENT_HOST = Pattern.compile("[A-Za-z0-9._-]+");

    public Peer {
        if (id <= 0) {
            throw new ConfigException("peers", "peer id must be positive, was " + id);
        }
        if (url == null) {
            throw new ConfigException("peers", "peer " + id + " has no url");
        }
        url = normalise(url);
    }

    /** The host part, without IPv6 brackets. */
    public String host() {
        String host = parse(url).host;
        return host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    }

    public int port() {
        return parse(url).port;
    }

    /** Whether the peer is reached over TLS. */
    public boolean https() {
        return url.startsWith("https:");
    }

    /**
     * Parses {@code "2@http://localhost:3002;3@http://localhost:3003"}. A blank string is an empty list
     * (a single-node cluster). Whitespace around entries is ignored; empty entries are not.
     *
     * @param source what to call the text in an error, e.g. {@code KVSTORE_PEERS}
     */
    public static List<Peer> parseList(String text, String source) {
        List<Peer> peers = new ArrayList<>();
        if (text.isBlank()) {
            return peers;
        }
        for (String raw : text.split(";", -1)) {
            String entry = raw.strip();
            if (entry.isEmpty()) {
                throw invalid(source, text, "empty entry");
            }
            int at = entry.indexOf('@');
            if (at < 0) {
                throw invalid(source, text, "entry " + quote(entry) + " has no '@'");
            }
            String idText = entry.substring(0, at).strip();
            int id;
            try {
                id = Integer.parseInt(idText);
            } catch (NumberFormatException e) {
                throw invalid(source, text, "peer id " + quote(idText) + " is not a number");
            }
            if (id <= 0) {
                throw invalid(source, text, "peer id " + id + " is not positive");
            }
            String url = entry.substring(at + 1).strip();
            try {
                peers.add(new Peer(id, url));
            } catch (ConfigException e) {
                throw invalid(source, text, e.getMessage());
            }
        }
        return peers;
    }

    private static ConfigException invalid(String source, String text, String reason) {
        // A comma is the most common wrong separator; say so rather than leave the reader to spot it.
        String hint = text.contains(",") ? " (use ';' between peers, not ',')" : "";
        return new ConfigException("peers", "invalid " + source + " " + quote(text) + ": " + reason + hint + "; "
                + EXPECTED);
    }

    private static String normalise(String url) {
        HostPort hostPort = parse(url);
        return hostPort.scheme + "://" + hostPort.host + ":" + hostPort.port;
    }

    private record HostPort(String scheme, String host, int port) {
    }

    private static HostPort parse(String url) {
        String problem = "url " + quote(url);
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new ConfigException("peers", problem + " is not a valid URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new ConfigException("peers", problem + " must start with http:// or https://");
        }
        if (uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null
                || !(uri.getRawPath() == null || uri.getRawPath().isEmpty() || uri.getRawPath().equals("/"))) {
            throw new ConfigException("peers", problem + " must be just scheme://host:port");
        }
        String host = uri.getHost();
        int port = uri.getPort();
        if (host == null && uri.getRawAuthority() != null) {
            // java.net.URI treats "node_1:3001" as a registry authority; accept such DNS names anyway.
            String authority = uri.getRawAuthority();
            int colon = authority.lastIndexOf(':');
            if (colon > 0 && LENIENT_HOST.matcher(authority.substring(0, colon)).matches()) {
                host = authority.substring(0, colon);
                try {
                    port = Integer.parseInt(authority.substring(colon + 1));
                } catch (NumberFormatException e) {
                    port = -1;
                }
            }
        }
        if (host == null || host.isEmpty()) {
            throw new ConfigException("peers", problem + " has no host");
        }
        if (port < 1 || port > 65535) {
            throw new ConfigException("peers", problem + " needs an explicit port between 1 and 65535");
        }
        return new HostPort(scheme, host, port);
    }

    /** Quotes user input for an error message, escaping what would break the one-line rule. */
    static String quote(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
