package io.rafty.sim;

import java.util.ArrayList;
import java.util.List;

/**
 * The simulator's trace: every event appends one line. Only a fingerprint of the whole trace and
 * its last lines are kept, so a long run costs no memory; two runs of one seed must produce the
 * same fingerprint (that is the determinism check).
 */
final class Trace {

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private final String[] tail;
    private int next;
    private long lines;
    private long hash = FNV_OFFSET;

    /** {@code -Dsim.printTrace=true} prints every line as it happens: for replaying one seed. */
    private static final boolean PRINT_ALL = Boolean.getBoolean("sim.printTrace");

    Trace(int tailLines) {
        this.tail = new String[tailLines];
    }

    void line(long timeMicros, String text) {
        String line = timeMicros + "us " + text;
        for (int i = 0; i < line.length(); i++) {
            hash = (hash ^ line.charAt(i)) * FNV_PRIME;
        }
        hash = (hash ^ '\n') * FNV_PRIME;
        if (PRINT_ALL) {
            System.out.println(line);
        }
        tail[next] = line;
        next = (next + 1) % tail.length;
        lines++;
    }

    /** A 64-bit FNV-1a hash of every line so far, newline-terminated. */
    long fingerprint() {
        return hash;
    }

    long lineCount() {
        return lines;
    }

    /** The last lines, oldest first. */
    List<String> tail() {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < tail.length; i++) {
            String line = tail[(next + i) % tail.length];
            if (line != null) {
                out.add(line);
            }
        }
        return out;
    }
}
