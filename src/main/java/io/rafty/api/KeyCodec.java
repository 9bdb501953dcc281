package io.rafty.api;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Strict percent-decoding of keys from the raw request path, and text/base64 rendering of bytes. */
final class KeyCodec {

    private KeyCodec() {
    }

    /**
     * Decodes {@code raw} (the undecoded rest of the path) to key bytes. Rejects malformed escapes
     * rather than guessing: {@code %zz} or a lone {@code %} is a 400, not a different key.
     */
    static byte[] decodePath(String raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
        byte[] utf8 = raw.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < utf8.length; i++) {
            byte b = utf8[i];
            if (b == '%') {
                if (i + 2 >= utf8.length) {
                    throw ApiException.badRequest("invalid percent-encoding in key: truncated escape");
                }
                int high = Character.digit(utf8[i + 1], 16);
                int low = Character.digit(utf8[i + 2], 16);
                if (high < 0 || low < 0) {
                    throw ApiException.badRequest("invalid percent-encoding in key: %" + (char) utf8[i + 1]
                            + (char) utf8[i + 2]);
                }
                out.write((high << 4) | low);
                i += 2;
            } else {
                out.write(b);
            }
        }
        return out.toByteArray();
    }

    /** The bytes as a string when they are valid UTF-8, else null. */
    static String utf8OrNull(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    static String base64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }

    /** A key for display in JSON; keys that are not UTF-8 are shown with replacement characters. */
    static String display(byte[] key) {
        return new String(key, StandardCharsets.UTF_8);
    }
}
