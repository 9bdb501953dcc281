package io.rafty.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * The secret every node of a cluster shares and every peer request proves (the HMAC key of
 * {@code io.rafty.security.PeerAuth}). It is never printed: {@link #toString} is redacted, and no error
 * message about it quotes it, so a configuration dump or a startup error cannot leak it.
 *
 * <p>Given as text ({@code KVSTORE_CLUSTER_SECRET}) or as a file holding the text
 * ({@code KVSTORE_CLUSTER_SECRET_FILE}); surrounding whitespace, such as the newline {@code echo} leaves, is
 * not part of it. The key is the text's UTF-8 bytes: at least {@link #MIN_BYTES}, at most {@link #MAX_BYTES}.
 */
public final class ClusterSecret {

    /** 128 bits: a shorter secret is a password, not a key. {@code run-cluster.sh} makes 64 hex digits (256 bits). */
    public static final int MIN_BYTES = 16;
    /** A secret file larger than this is the wrong file (a certificate, a log, {@code /dev/zero}). */
    public static final int MAX_BYTES = 4096;

    private final byte[] key;

    private ClusterSecret(byte[] key) {
        this.key = key;
    }

    /**
     * The secret given as text.
     *
     * @throws ConfigException naming {@code clusterSecret} (never the value) when it is too short or too long
     */
    public static ClusterSecret of(String text) {
        return checked(text.strip().getBytes(StandardCharsets.UTF_8), "clusterSecret", "clusterSecret");
    }

    /**
     * The secret held by {@code file}.
     *
     * @throws ConfigException naming {@code clusterSecretFile} when the file is missing, unreadable, empty, too
     *                         short or too long
     */
    public static ClusterSecret read(Path file) {
        String name = "cluster secret file " + file;
        byte[] raw;
        try (InputStream in = Files.newInputStream(file)) {
            // One byte more than the limit tells "too long" apart from "exactly the limit" without reading it all.
            raw = in.readNBytes(MAX_BYTES + 64);
        } catch (NoSuchFileException e) {
            throw new ConfigException("clusterSecretFile", name + " not found");
        } catch (AccessDeniedException e) {
            throw new ConfigException("clusterSecretFile", name + " is not readable (permission denied)");
        } catch (IOException e) {
            throw new ConfigException("clusterSecretFile", name + " cannot be read: " + e.getMessage());
        }
        byte[] key = new String(raw, StandardCharsets.UTF_8).strip().getBytes(StandardCharsets.UTF_8);
        Arrays.fill(raw, (byte) 0);
        return checked(key, "clusterSecretFile", name);
    }

    private static ClusterSecret checked(byte[] key, String setting, String name) {
        if (key.length == 0) {
            throw new ConfigException(setting, name + " is empty; expected at least " + MIN_BYTES
                    + " characters (e.g. 64 hex digits from: od -An -tx1 -N32 /dev/urandom | tr -d ' \\n')");
        }
        if (key.length < MIN_BYTES) {
            throw new ConfigException(setting, name + " is " + key.length + " bytes; a cluster secret needs at least "
                    + MIN_BYTES);
        }
        if (key.length > MAX_BYTES) {
            throw new ConfigException(setting, name + " is longer than " + MAX_BYTES
                    + " bytes; a cluster secret is one line of text");
        }
        return new ClusterSecret(key);
    }

    /** The key bytes, a copy. */
    public byte[] key() {
        return key.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ClusterSecret secret && MessageDigest.isEqual(key, secret.key);
    }

    @Override
    public int hashCode() {
        // Equal secrets must hash alike; the length says next to nothing about the key.
        return key.length;
    }

    @Override
    public String toString() {
        return "ClusterSecret[redacted]";
    }
}
