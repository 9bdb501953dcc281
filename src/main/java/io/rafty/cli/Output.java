package io.rafty.cli;

import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code -o table|json} ({@code @Mixin Output output;}) and the printing every command shares: aligned
 * tables for people, the server's JSON (one line) for scripts, values as text unless they are not UTF-8.
 */
public final class Output {

    /** The two output formats. */
    public enum Format { table, json }

    /** Widest cell a table prints before clipping it with "..." (a value can be 1 MiB). */
    static final int MAX_CELL_CHARS = 60;

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table",
            description = "table (for people) or json (the server's JSON, one line, for scripts); default ${DEFAULT-VALUE}")
    Format format = Format.table;

    /** Where {@link #bytes} writes (stdout); tests replace it. */
    static java.io.OutputStream bytesOut = System.out;

    /** Writes bytes unchanged to stdout (a value that is not text), after anything printed before. */
    public void bytes(byte[] bytes) {
        out().flush();
        try {
            bytesOut.write(bytes);
            bytesOut.flush();
        } catch (java.io.IOException e) {
            throw new CliException(ExitCodes.SERVER_ERROR, "cannot write to stdout: " + e.getMessage());
        }
    }

    public boolean json() {
        return format == Format.json;
    }

    public PrintWriter out() {
        return mixee.commandLine().getOut();
    }

    public PrintWriter err() {
        return mixee.commandLine().getErr();
    }

    /** Prints one line and flushes, so a long-running command shows it at once. */
    public void line(String text) {
        out().println(text);
        out().flush();
    }

    /** Prints a JSON object on one line. */
    public void json(JsonObject json) {
        line(json.encode());
    }

    /** A progress or notice line on stderr ({@code rafty <command>: ...}). */
    public void progress(String text) {
        err().println("rafty " + mixee.qualifiedName(" ").replaceFirst("^rafty ", "") + ": " + text);
        err().flush();
    }

    /** Prints {@code rows} under {@code headers}, columns padded to their widest cell. */
    public void table(List<String> headers, List<List<String>> rows) {
        for (String text : formatTable(headers, rows)) {
            out().println(text);
        }
        out().flush();
    }

    static List<String> formatTable(List<String> headers, List<List<String>> rows) {
        int[] widths = new int[headers.size()];
        List<List<String>> all = new ArrayList<>();
        all.add(headers);
        for (List<String> row : rows) {
            List<String> clipped = new ArrayList<>();
            for (String cell : row) {
                clipped.add(clip(cell == null ? "" : cell));
            }
            all.add(clipped);
        }
        for (List<String> row : all) {
            for (int i = 0; i < row.size() && i < widths.length; i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        List<String> lines = new ArrayList<>();
        for (List<String> row : all) {
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < row.size(); i++) {
                if (i > 0) {
                    text.append("  ");
                }
                text.append(i == row.size() - 1 ? row.get(i) : pad(row.get(i), widths[i]));
            }
            lines.add(text.toString().stripTrailing());
        }
        return lines;
    }

    /** A value from the API as bytes: {@code "value"}, decoded when {@code "encoding":"base64"}. */
    public static byte[] valueBytes(JsonObject entry) {
        String value = entry.getString("value", "");
        if ("base64".equals(entry.getString("encoding"))) {
            return Base64.getDecoder().decode(value);
        }
        return value.getBytes(StandardCharsets.UTF_8);
    }

    /** A value for a table cell: the text, or {@code base64:...} when it is not UTF-8. */
    public static String valueText(JsonObject entry) {
        String value = entry.getString("value", "");
        return "base64".equals(entry.getString("encoding")) ? "base64:" + value : escapeControls(value);
    }

    /** A value on a line of its own: newlines and other control characters shown as \n, \t, \\u0001. */
    static String escapeControls(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 0x20 && c != 0x7f) {
                if (out != null) {
                    out.append(c);
                }
                continue;
            }
            if (out == null) {
                out = new StringBuilder(text.substring(0, i));
            }
            out.append(c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : String.format("\\u%04x", (int) c));
        }
        return out == null ? text : out.toString();
    }

    static String clip(String cell) {
        return cell.length() > MAX_CELL_CHARS ? cell.substring(0, MAX_CELL_CHARS - 3) + "..." : cell;
    }

    private static String pad(String text, int width) {
        return text + " ".repeat(Math.max(0, width - text.length()));
    }

    /** A JSON number or null as a cell: "-" for null. */
    public static String cell(Object value) {
        return value == null ? "-" : value.toString();
    }
}
