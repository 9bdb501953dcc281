package io.rafty.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The password the user {@code root} gets when auth is first enabled ({@code KVSTORE_AUTH_ROOT_PASSWORD_FILE},
 * preferred, or {@code KVSTORE_AUTH_ROOT_PASSWORD}). Never printed: {@link #toString} is redacted and no error
 * quotes it. Surrounding whitespace (the newline {@code echo} leaves) is not part of it.
 */
public final class RootPassword {

    /** As {@code io.rafty.security.Passwords}: at least 8 characters, at most bcrypt's 72 bytes. */
    public static final int MIN_CHARS = 8;
    public static final int MAX_BYTES = 72;

    private final String text;

    private RootPassword(String text) {
        this.text = text;
    }

    public static RootPassword of(String text) {
        return checked(text.strip(), "authRootPassword", "authRootPassword");
    }

    public static RootPassword read(Path file) {
        String name = "root password file " + file;
        byte[] raw;
        try (InputStream in = Files.newInputStream(file)) {
            raw = in.readNBytes(4096);
        } catch (NoSuchFileException e) {
            throw new ConfigException("authRootPasswordFile", name + " not found");
        } catch (AccessDeniedException e) {
            throw new ConfigException("authRootPasswordFile", name + " is not readable (permission denied)");
        } catch (IOException e) {
            throw new ConfigException("authRootPasswordFile", name + " cannot be read: " + e.getMessage());
        }
        return checked(new String(raw, StandardCharsets.UTF_8).strip(), "authRootPasswordFile", name);
    }

    private static RootPassword checked(String text, String setting, String name) {
        if (text.isEmpty()) {
            throw new ConfigException(setting, name + " is empty; the root password needs at least " + MIN_CHARS
                    + " characters");
        }
        if (text.codePointCount(0, text.length()) < MIN_CHARS) {
            throw new ConfigException(setting, name + " is too short; the root password needs at least " + MIN_CHARS
                    + " characters");
        }
        if (text.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            throw new ConfigException(setting, name + " is longer than " + MAX_BYTES
                    + " bytes, more than bcrypt reads; one line of text is expected");
        }
        return new RootPassword(text);
    }

    /** The password itself: only for hashing it. */
    public String reveal() {
        return text;
    }

    @Override
    public String toString() {
        return "RootPassword[redacted]";
    }
}
