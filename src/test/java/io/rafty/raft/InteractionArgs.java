package io.rafty.raft;

import io.rafty.raft.InteractionHarness.ScriptError;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One command line of a scenario, split into the command name, positional arguments and
 * {@code key=value} arguments. A token in double quotes is always positional (so a command text may
 * hold spaces or an '='); inside quotes {@code \"} and {@code \\} escape. Every argument must be read
 * by the command's handler: {@link #checkAllUsed()} turns a misspelt or superfluous argument into a
 * failure instead of letting it be ignored.
 */
final class InteractionArgs {

    private final String command;
    private final List<String> positional;
    private final Map<String, String> named;
    private final Set<Integer> usedPositional = new TreeSet<>();
    private final Set<String> usedNamed = new TreeSet<>();

    private InteractionArgs(String command, List<String> positional, Map<String, String> named) {
        this.command = command;
        this.positional = positional;
        this.named = named;
    }

    static InteractionArgs parse(String line) {
        List<String> positional = new ArrayList<>();
        Map<String, String> named = new LinkedHashMap<>();
        String command = null;
        int i = 0;
        while (i < line.length()) {
            char c = line.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
                continue;
            }
            StringBuilder token = new StringBuilder();
            boolean quoted = c == '"';
            if (quoted) {
                i++;
                while (i < line.length() && line.charAt(i) != '"') {
                    if (line.charAt(i) == '\\' && i + 1 < line.length()) {
                        i++;
                    }
                    token.append(line.charAt(i++));
                }
                if (i >= line.length()) {
                    throw new ScriptError("unterminated quote in: " + line);
                }
                i++;
            } else {
                while (i < line.length() && !Character.isWhitespace(line.charAt(i))) {
                    token.append(line.charAt(i++));
                }
            }
            String text = token.toString();
            int eq = text.indexOf('=');
            if (command == null) {
                if (quoted) {
                    throw new ScriptError("a command name cannot be quoted: " + line);
                }
                command = text;
            } else if (!quoted && eq > 0) {
                String key = text.substring(0, eq);
                if (named.put(key, text.substring(eq + 1)) != null) {
                    throw new ScriptError("argument '" + key + "' given twice in: " + line);
                }
            } else {
                positional.add(text);
            }
        }
        if (command == null) {
            throw new ScriptError("empty command line");
        }
        return new InteractionArgs(command, positional, named);
    }

    String command() {
        return command;
    }

    boolean has(int index) {
        return index < positional.size();
    }

    String at(int index, String what) {
        if (!has(index)) {
            throw new ScriptError(command + ": missing argument " + (index + 1) + " (" + what + ")");
        }
        usedPositional.add(index);
        return positional.get(index);
    }

    /** Every positional argument from {@code from} on; at least one. */
    List<String> rest(int from, String what) {
        List<String> out = new ArrayList<>();
        out.add(at(from, what));
        for (int i = from + 1; has(i); i++) {
            out.add(at(i, what));
        }
        return out;
    }

    int id(int index) {
        return intAt(index, "node id");
    }

    int intAt(int index, String what) {
        return (int) number(at(index, what), what, Integer.MIN_VALUE, Integer.MAX_VALUE);
    }

    long longAt(int index, String what) {
        return number(at(index, what), what, Long.MIN_VALUE, Long.MAX_VALUE);
    }

    private String named(String key) {
        usedNamed.add(key);
        return named.get(key);
    }

    int intNamed(String key, int otherwise) {
        String value = named(key);
        return value == null ? otherwise : (int) number(value, key, Integer.MIN_VALUE, Integer.MAX_VALUE);
    }

    long longNamed(String key) {
        String value = named(key);
        if (value == null) {
            throw new ScriptError(command + ": missing argument " + key + "=...");
        }
        return number(value, key, Long.MIN_VALUE, Long.MAX_VALUE);
    }

    long longNamed(String key, long otherwise) {
        String value = named(key);
        return value == null ? otherwise : number(value, key, Long.MIN_VALUE, Long.MAX_VALUE);
    }

    boolean bool(String key, boolean otherwise) {
        String value = named(key);
        if (value == null) {
            return otherwise;
        }
        switch (value.toLowerCase(Locale.ROOT)) {
            case "true":
                return true;
            case "false":
                return false;
            default:
                throw new ScriptError(command + ": " + key + " must be true or false, was '" + value + "'");
        }
    }

    /** {@code key=lo..hi} (or a single number for both ends). */
    int[] range(String key, int lo, int hi) {
        String value = named(key);
        if (value == null) {
            return new int[] {lo, hi};
        }
        int dots = value.indexOf("..");
        if (dots < 0) {
            int both = (int) number(value, key, 1, Integer.MAX_VALUE);
            return new int[] {both, both};
        }
        return new int[] {(int) number(value.substring(0, dots), key, 1, Integer.MAX_VALUE),
                (int) number(value.substring(dots + 2), key, 1, Integer.MAX_VALUE)};
    }

    /** Comma-separated values; empty when the argument is absent or empty. */
    List<String> list(String key) {
        String value = named(key);
        List<String> out = new ArrayList<>();
        if (value != null && !value.isEmpty()) {
            for (String part : value.split(",", -1)) {
                if (part.isEmpty()) {
                    throw new ScriptError(command + ": empty element in " + key + "=" + value);
                }
                out.add(part);
            }
        }
        return out;
    }

    /** Comma-separated node ids, or {@code otherwise} (which may be null) when the argument is absent. */
    Set<Integer> ids(String key, Set<Integer> otherwise) {
        if (!named.containsKey(key)) {
            usedNamed.add(key);
            return otherwise;
        }
        Set<Integer> out = new TreeSet<>();
        for (String part : list(key)) {
            out.add((int) number(part, key, 1, Integer.MAX_VALUE));
        }
        return out;
    }

    Set<Integer> requiredIds(String key) {
        Set<Integer> ids = ids(key, null);
        if (ids == null) {
            throw new ScriptError(command + ": missing argument " + key + "=...");
        }
        return ids;
    }

    private long number(String text, String what, long min, long max) {
        long value;
        try {
            value = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new ScriptError(command + ": " + what + " must be a number, was '" + text + "'");
        }
        if (value < min || value > max) {
            throw new ScriptError(command + ": " + what + " out of range: " + value);
        }
        return value;
    }

    /** Fails on any argument the handler did not read. */
    void checkAllUsed() {
        for (int i = 0; i < positional.size(); i++) {
            if (!usedPositional.contains(i)) {
                throw new ScriptError(command + ": unexpected argument '" + positional.get(i) + "'");
            }
        }
        for (String key : named.keySet()) {
            if (!usedNamed.contains(key)) {
                throw new ScriptError(command + ": unknown argument '" + key + "=" + named.get(key) + "'");
            }
        }
    }
}
