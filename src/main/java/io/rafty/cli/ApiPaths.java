package io.rafty.cli;

import java.nio.charset.StandardCharsets;

/**
 * Builds request paths and queries: a key goes into the path byte for byte, percent-encoded except for
 * letters, digits, {@code - _ ~} and {@code /} (the server decodes the rest of the path, so a key may
 * hold {@code /}; dots are encoded so that a key such as {@code a/../b} is never read as a dot segment);
 * query values are percent-encoded but for letters, digits and {@code - _ . ~}.
 */
public final class ApiPaths {

    private ApiPaths() {
    }

    /** {@code /v1/kv/<key>} with the key encoded. */
    public static String kv(String key) {
        return "/v1/kv/" + encode(key, true);
    }

    /** {@code /v1/watch/<key>} with the key encoded. */
    public static String watch(String key) {
        return "/v1/watch/" + encode(key, true);
    }

    /** A query value, every reserved byte encoded. */
    public static String query(String value) {
        return encode(value, false);
    }

    static String encode(String text, boolean keepSlash) {
        StringBuilder out = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            boolean unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_' || c == '~' || (keepSlash ? c == '/' : c == '.');
            if (unreserved) {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }
}
