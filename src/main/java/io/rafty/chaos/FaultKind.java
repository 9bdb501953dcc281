package io.rafty.chaos;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** The families of faults a chaos run may use: {@code --faults kill,pause,partition,slow}. */
public enum FaultKind {
    /** SIGKILL a node (sometimes a majority, sometimes the leader), restarted on heal. */
    KILL,
    /** SIGSTOP a node (sometimes the leader), SIGCONT on heal. */
    PAUSE,
    /** Cut or stall peer links: isolate the leader, split, one-way, bridge, flapping splits. */
    PARTITION,
    /** Latency on peer links, or links that drop connections. */
    SLOW;

    /** {@code "kill,pause"} → {KILL, PAUSE}; {@code "all"} → every kind. */
    public static Set<FaultKind> parse(String list) {
        Set<FaultKind> kinds = EnumSet.noneOf(FaultKind.class);
        for (String part : list.split(",")) {
            String name = part.strip();
            if (name.isEmpty()) {
                continue;
            }
            if (name.equalsIgnoreCase("all")) {
                kinds.addAll(EnumSet.allOf(FaultKind.class));
                continue;
            }
            try {
                kinds.add(valueOf(name.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown fault \"" + name + "\" (kill, pause, partition, slow or all)");
            }
        }
        if (kinds.isEmpty()) {
            throw new IllegalArgumentException("no faults given (kill, pause, partition, slow or all)");
        }
        return kinds;
    }

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
