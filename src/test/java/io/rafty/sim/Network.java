package io.rafty.sim;

import java.util.Set;

/**
 * Which node-to-node links are cut. A link is one-way: {@code from -> to} may be cut while
 * {@code to -> from} works (an asymmetric partition). Clients reach every node regardless, so a
 * deposed leader keeps hearing from the clients that still believe in it.
 */
final class Network {

    private final int size;
    private final boolean[][] cut;
    private String description = "healed";

    Network(int size) {
        this.size = size;
        this.cut = new boolean[size + 1][size + 1];
    }

    boolean delivers(int from, int to) {
        return !cut[from][to];
    }

    void heal() {
        for (boolean[] row : cut) {
            java.util.Arrays.fill(row, false);
        }
        description = "healed";
    }

    /** Cuts every link between {@code side} and the other nodes, both ways. */
    void split(Set<Integer> side) {
        heal();
        for (int a = 1; a <= size; a++) {
            for (int b = 1; b <= size; b++) {
                if (side.contains(a) != side.contains(b)) {
                    cut[a][b] = true;
                }
            }
        }
        description = "split " + side + " | rest";
    }

    /** Cuts each of {@code nodes} off from every other node, both ways. */
    void isolate(Set<Integer> nodes) {
        heal();
        for (int a = 1; a <= size; a++) {
            for (int b = 1; b <= size; b++) {
                if (a != b && (nodes.contains(a) || nodes.contains(b))) {
                    cut[a][b] = true;
                }
            }
        }
        description = "isolated " + nodes;
    }

    /** Cuts the links from {@code senders} to {@code receivers} only. */
    void oneWay(Set<Integer> senders, Set<Integer> receivers) {
        heal();
        for (int a : senders) {
            for (int b : receivers) {
                if (a != b) {
                    cut[a][b] = true;
                }
            }
        }
        description = "one-way " + senders + " -/-> " + receivers;
    }

    @Override
    public String toString() {
        return description;
    }
}
