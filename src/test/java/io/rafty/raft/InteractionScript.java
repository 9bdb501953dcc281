package io.rafty.raft;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A golden scenario file: commands with the output they are expected to print, and everything else
 * (comments and blank lines) kept verbatim so that a rewrite changes only outputs.
 *
 * <p>The format, line by line:
 * <ul>
 *   <li>{@code # ...} (or a bare {@code #}) is a comment, and a blank line is a separator; both are
 *       kept exactly as written.</li>
 *   <li>{@code > command args...} is a command. Every following line up to the next blank line,
 *       comment, command or the end of the file is its expected output.</li>
 *   <li>Anything else outside an output block is a syntax error, so that a stray line can never be
 *       silently taken for a command or an output.</li>
 * </ul>
 * Because an output block ends at the first blank line or comment, the harness never prints a blank
 * line, nor a line starting with {@code #} or {@code >}; {@link #render(boolean)} checks this, so a
 * rewritten file always parses back into the same blocks.
 */
final class InteractionScript {

    /** One command, where it is, what it is expected to print and (once run) what it printed. */
    static final class Command {
        /** The 1-based line of the {@code > } line in the file. */
        final int line;
        /** The line as written, {@code > } included, so that a rewrite reproduces it byte for byte. */
        final String source;
        final List<String> expected;
        List<String> actual;

        Command(int line, String source, List<String> expected) {
            this.line = line;
            this.source = source;
            this.expected = expected;
        }

        /** The command without the {@code > } prefix. */
        String text() {
            return source.substring(1).strip();
        }

        boolean matches() {
            return actual != null && actual.equals(expected);
        }
    }

    /** Either a verbatim line (comment or blank) or a command with its output. */
    private record Part(String verbatim, Command command) {
    }

    private final String name;
    private final List<Part> parts;
    private final boolean endsWithNewline;

    private InteractionScript(String name, List<Part> parts, boolean endsWithNewline) {
        this.name = name;
        this.parts = parts;
        this.endsWithNewline = endsWithNewline;
    }

    static InteractionScript parse(String name, String text) {
        boolean endsWithNewline = text.endsWith("\n");
        // split keeps a trailing empty string for a final newline (and returns one for ""): that is
        // not a line of the file, only the newline flag.
        List<String> split = new ArrayList<>(Arrays.asList(text.split("\n", -1)));
        if (endsWithNewline || text.isEmpty()) {
            split.remove(split.size() - 1);
        }
        String[] lines = split.toArray(new String[0]);
        List<Part> parts = new ArrayList<>();
        int i = 0;
        while (i < lines.length) {
            String line = lines[i];
            if (line.startsWith(">")) {
                int commandLine = i + 1;
                i++;
                List<String> expected = new ArrayList<>();
                while (i < lines.length && !endsOutput(lines[i])) {
                    expected.add(lines[i]);
                    i++;
                }
                parts.add(new Part(null, new Command(commandLine, line, expected)));
            } else if (line.isBlank() || line.startsWith("#")) {
                parts.add(new Part(line, null));
                i++;
            } else {
                throw new IllegalArgumentException(name + ":" + (i + 1) + ": expected a command ('> ...'), a comment"
                        + " ('# ...') or a blank line, found: " + line);
            }
        }
        return new InteractionScript(name, parts, endsWithNewline);
    }

    private static boolean endsOutput(String line) {
        return line.isBlank() || line.startsWith("#") || line.startsWith(">");
    }

    String name() {
        return name;
    }

    List<Command> commands() {
        List<Command> out = new ArrayList<>();
        for (Part part : parts) {
            if (part.command() != null) {
                out.add(part.command());
            }
        }
        return out;
    }

    /**
     * The file again: with {@code actual} false exactly the text that was parsed; with it true the
     * same file with every command's expected output replaced by what it printed.
     */
    String render(boolean actual) {
        StringBuilder out = new StringBuilder();
        boolean first = true;
        for (Part part : parts) {
            List<String> lines = new ArrayList<>();
            if (part.command() == null) {
                lines.add(part.verbatim());
            } else {
                Command command = part.command();
                lines.add(command.source);
                List<String> output = actual && command.actual != null ? command.actual : command.expected;
                for (String line : output) {
                    if (endsOutput(line)) {
                        throw new IllegalStateException(name + ":" + command.line + ": output line '" + line
                                + "' is blank or starts with '#' or '>', so it would not parse back as output");
                    }
                }
                lines.addAll(output);
            }
            for (String line : lines) {
                if (!first) {
                    out.append('\n');
                }
                out.append(line);
                first = false;
            }
        }
        if (endsWithNewline) {
            out.append('\n');
        }
        return out.toString();
    }

    /**
     * A readable account of the first command whose output differs: file, line, command and a
     * unified-style diff of its output; null when every command printed what was expected.
     */
    String mismatchReport() {
        List<Command> differing = new ArrayList<>();
        for (Command command : commands()) {
            if (!command.matches()) {
                differing.add(command);
            }
        }
        if (differing.isEmpty()) {
            return null;
        }
        Command command = differing.get(0);
        StringBuilder out = new StringBuilder();
        out.append(name).append(':').append(command.line).append(": output of '").append(command.source)
                .append("' differs\n");
        out.append("--- expected\n+++ actual\n");
        List<String> actual = command.actual == null ? List.of("(not run)") : command.actual;
        out.append(LineDiff.unified(command.expected, actual, 3));
        if (differing.size() > 1) {
            out.append("(").append(differing.size() - 1).append(" later command(s) differ too, perhaps only as a"
                    + " consequence)\n");
        }
        out.append("If the new behaviour is intended, rerun with -Dgolden.rewrite=true and review the file diff.");
        return out.toString();
    }

    /** A small line diff (longest common subsequence), printed as unified-style hunks. */
    static final class LineDiff {

        private LineDiff() {
        }

        static String unified(List<String> expected, List<String> actual, int context) {
            int n = expected.size();
            int m = actual.size();
            if ((long) n * m > 4_000_000L) {
                return firstDifference(expected, actual);
            }
            // lcs[i][j]: length of the longest common subsequence of expected[i..] and actual[j..].
            int[][] lcs = new int[n + 1][m + 1];
            for (int i = n - 1; i >= 0; i--) {
                for (int j = m - 1; j >= 0; j--) {
                    lcs[i][j] = expected.get(i).equals(actual.get(j)) ? lcs[i + 1][j + 1] + 1
                            : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
                }
            }
            List<String> ops = new ArrayList<>();
            int i = 0;
            int j = 0;
            while (i < n || j < m) {
                if (i < n && j < m && expected.get(i).equals(actual.get(j))) {
                    ops.add(" " + expected.get(i++));
                    j++;
                } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
                    // On a tie the removal goes first, so a changed line reads "-old" then "+new".
                    ops.add("-" + expected.get(i++));
                } else {
                    ops.add("+" + actual.get(j++));
                }
            }
            return hunks(ops, context);
        }

        /** Keeps changed lines and {@code context} unchanged lines around them; marks what is skipped. */
        private static String hunks(List<String> ops, int context) {
            boolean[] keep = new boolean[ops.size()];
            for (int k = 0; k < ops.size(); k++) {
                if (ops.get(k).charAt(0) != ' ') {
                    for (int c = Math.max(0, k - context); c <= Math.min(ops.size() - 1, k + context); c++) {
                        keep[c] = true;
                    }
                }
            }
            StringBuilder out = new StringBuilder();
            int expectedLine = 1;
            boolean skipping = false;
            for (int k = 0; k < ops.size(); k++) {
                String op = ops.get(k);
                if (keep[k]) {
                    if (skipping || k == 0) {
                        out.append("@@ expected output line ").append(expectedLine).append(" @@\n");
                    }
                    out.append(op).append('\n');
                    skipping = false;
                } else {
                    skipping = true;
                }
                if (op.charAt(0) != '+') {
                    expectedLine++;
                }
            }
            return out.toString();
        }

        private static String firstDifference(List<String> expected, List<String> actual) {
            int k = 0;
            while (k < expected.size() && k < actual.size() && expected.get(k).equals(actual.get(k))) {
                k++;
            }
            return "@@ output line " + (k + 1) + " @@\n"
                    + "-" + (k < expected.size() ? expected.get(k) : "(end of output)") + "\n"
                    + "+" + (k < actual.size() ? actual.get(k) : "(end of output)") + "\n";
        }
    }
}
