package io.rafty.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Separate "hosts" on one machine: a Linux bridge in the root namespace and {@code hosts} network
 * namespaces, each joined to the bridge by a veth pair and given its own address in a private /24 drawn
 * at random per run. The bridge has the subnet's {@code .1}, so the test JVM (in the root namespace)
 * reaches every host; host {@code i} has {@code .(10+i)}. Loopback stays down inside each namespace, so a
 * process there can reach another only through the bridge.
 *
 * <p>Every name (bridge, veths, namespaces) is {@code rmh-<pid>-<role>}, the pid (base 36) being this JVM's,
 * so parallel runs never share a name and {@link #removeLeftovers()} can tell a crashed run's leftovers
 * (its pid is gone) from a live run's. Linux caps interface names at 15 characters; these stay under 12.
 *
 * <p>Needs root and the {@code ip} command (iproute2); {@link #create} throws {@link Unavailable} when the
 * machine cannot make a bridge or a namespace, which the caller turns into a skipped test.
 */
final class NetworkNamespaces implements AutoCloseable {

    static final String PREFIX = "rmh-";
    private static final long COMMAND_TIMEOUT_SECONDS = 20;
    /** The iproute2 binary, by absolute path (root's sbin directories are not always on a JVM's PATH). */
    private static final String IP = locateIp();

    /** The machine cannot do this (not root, no iproute2, no namespace support): skip, do not fail. */
    static final class Unavailable extends Exception {
        Unavailable(String message) {
            super(message);
        }
    }

    private final String tag;
    private final String subnet;
    private final int hosts;
    private final List<String> created = new ArrayList<>();

    private NetworkNamespaces(String tag, String subnet, int hosts) {
        this.tag = tag;
        this.subnet = subnet;
        this.hosts = hosts;
    }

    /** Builds the bridge and {@code hosts} namespaces; on any failure removes what it made. */
    static NetworkNamespaces create(int hosts) throws Unavailable, IOException, InterruptedException {
        if (IP == null) {
            throw new Unavailable("no `ip` command on the PATH or in /usr/sbin, /sbin (install iproute2)");
        }
        String tag = PREFIX + Long.toString(ProcessHandle.current().pid(), 36);
        NetworkNamespaces net = new NetworkNamespaces(tag, freeSubnet(), hosts);
        try {
            net.build();
        } catch (IOException | InterruptedException | RuntimeException | Unavailable e) {
            net.close();
            throw e;
        }
        return net;
    }

    private void build() throws Unavailable, IOException, InterruptedException {
        String bridge = bridge();
        Result made = run("ip", "link", "add", bridge, "type", "bridge");
        if (made.code != 0) {
            throw new Unavailable("cannot create a bridge (needs root and bridge support): " + made.output);
        }
        created.add("link:" + bridge);
        ip("addr", "add", subnet + ".1/24", "dev", bridge);
        ip("link", "set", bridge, "up");
        for (int host = 1; host <= hosts; host++) {
            String ns = namespace(host);
            Result added = run("ip", "netns", "add", ns);
            if (added.code != 0) {
                throw new Unavailable("`ip netns add` failed (needs root and network namespaces): " + added.output);
            }
            created.add("netns:" + ns);
            String outside = tag + "-h" + host;
            String inside = tag + "-p" + host;
            ip("link", "add", outside, "type", "veth", "peer", "name", inside);
            created.add("link:" + outside);
            ip("link", "set", inside, "netns", ns);
            ip("link", "set", outside, "master", bridge, "up");
            ip("-n", ns, "addr", "add", address(host) + "/24", "dev", inside);
            ip("-n", ns, "link", "set", inside, "up");
        }
    }

    /** The namespace of host {@code host} (1-based). */
    String namespace(int host) {
        return tag + "-n" + host;
    }

    /** Host {@code host}'s address, reachable from the root namespace through the bridge. */
    String address(int host) {
        return subnet + "." + (10 + host);
    }

    String bridge() {
        return tag + "-br";
    }

    /** The bridge's own address in the root namespace. */
    String bridgeAddress() {
        return subnet + ".1";
    }

    /** The command prefix that runs a program inside host {@code host}'s namespace ({@code ip} execs it: same pid). */
    List<String> launcher(int host) {
        return List.of(IP, "netns", "exec", namespace(host));
    }

    /** Whether {@code pid} lives in host {@code host}'s namespace (same network namespace inode). */
    boolean runsIn(long pid, int host) throws IOException {
        String link = Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/net")).toString();
        Object inode = Files.getAttribute(Path.of("/run/netns/" + namespace(host)), "unix:ino");
        return link.equals("net:[" + inode + "]");
    }

    /** Pids of the processes inside host {@code host}'s namespace. */
    List<Long> pidsIn(int host) throws IOException, InterruptedException {
        List<Long> pids = new ArrayList<>();
        for (String line : ip("netns", "pids", namespace(host)).split("\n")) {
            if (!line.isBlank()) {
                pids.add(Long.parseLong(line.strip()));
            }
        }
        return pids;
    }

    /** {@code ip -n NS link show lo}: the loopback device's line inside host {@code host}. */
    String loopbackState(int host) throws IOException, InterruptedException {
        return ip("-n", namespace(host), "-o", "link", "show", "lo");
    }

    /** Deletes the namespaces (their veth ends go with them), the host-side veths and the bridge; never throws. */
    @Override
    public void close() {
        for (int i = created.size() - 1; i >= 0; i--) {
            String[] item = created.get(i).split(":", 2);
            try {
                if (item[0].equals("netns")) {
                    run("ip", "netns", "del", item[1]);
                } else {
                    run("ip", "link", "del", item[1]);
                }
            } catch (IOException e) {
                // Best effort: a later run's removeLeftovers() takes whatever stays.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        created.clear();
    }

    /**
     * Removes namespaces and links named {@code rmh-<pid>-…} whose pid is no longer running: what a run that
     * was killed before its cleanup left behind. A live run's names are left alone.
     */
    static void removeLeftovers() throws InterruptedException {
        if (IP == null) {
            return;
        }
        try {
            for (String line : run("ip", "netns", "list").output.split("\n")) {
                String name = line.strip().split("\\s+")[0];
                if (isOrphan(name)) {
                    run("ip", "netns", "del", name);
                }
            }
            for (String line : run("ip", "-o", "link", "show").output.split("\n")) {
                String[] fields = line.split(":\\s+", 3);
                if (fields.length >= 2) {
                    String name = fields[1].split("@", 2)[0].strip();
                    if (isOrphan(name)) {
                        run("ip", "link", "del", name);
                    }
                }
            }
        } catch (IOException e) {
            // `ip` cannot run: nothing can have been left.
        }
    }

    private static boolean isOrphan(String name) {
        if (!name.startsWith(PREFIX)) {
            return false;
        }
        String[] parts = name.substring(PREFIX.length()).split("-", 2);
        try {
            long pid = Long.parseLong(parts[0], 36);
            return ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** A random 10.a.b.0/24 that no route on this machine overlaps. */
    private static String freeSubnet() throws IOException, InterruptedException {
        List<long[]> taken = new ArrayList<>();
        for (String line : run("ip", "-4", "route", "show", "table", "all").output.split("\n")) {
            String destination = line.strip().split("\\s+")[0];
            if (destination.equals("local") || destination.equals("broadcast")) {
                destination = line.strip().split("\\s+")[1];
            }
            if (destination.matches("\\d+\\.\\d+\\.\\d+\\.\\d+(/\\d+)?")) {
                taken.add(range(destination));
            }
        }
        Random random = new Random();
        for (int attempt = 0; attempt < 100; attempt++) {
            String candidate = "10." + (1 + random.nextInt(254)) + "." + random.nextInt(256);
            long[] mine = range(candidate + ".0/24");
            boolean overlaps = taken.stream().anyMatch(r -> r[0] <= mine[1] && mine[0] <= r[1]);
            if (!overlaps) {
                return candidate;
            }
        }
        throw new IOException("no free 10.x.y.0/24 among 100 random picks; routes: " + taken.size());
    }

    private static long[] range(String cidr) {
        String[] parts = cidr.split("/");
        int length = parts.length > 1 ? Integer.parseInt(parts[1]) : 32;
        long address = 0;
        for (String octet : parts[0].split("\\.")) {
            address = (address << 8) | Long.parseLong(octet);
        }
        long size = 1L << (32 - length);
        long start = address & ~(size - 1) & 0xFFFFFFFFL;
        return new long[] {start, start + size - 1};
    }

    private static String locateIp() {
        List<String> directories = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        directories.addAll(List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin"));
        for (String directory : directories) {
            if (!directory.isEmpty() && Files.isExecutable(Path.of(directory, "ip"))) {
                return Path.of(directory, "ip").toString();
            }
        }
        return null;
    }

    private record Result(int code, String output) {
    }

    /** Runs {@code ip ARGS}; a non-zero exit is an error carrying the command's output. */
    private static String ip(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        Result result = run(command.toArray(String[]::new));
        if (result.code != 0) {
            throw new IOException(String.join(" ", command) + " failed (" + result.code + "): " + result.output);
        }
        return result.output;
    }

    private static Result run(String... command) throws IOException, InterruptedException {
        List<String> resolved = new ArrayList<>(List.of(command));
        if (resolved.get(0).equals("ip")) {
            resolved.set(0, IP);
        }
        Process process = new ProcessBuilder(resolved).redirectErrorStream(true).start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not finish in " + COMMAND_TIMEOUT_SECONDS + " s");
        }
        return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8).strip());
    }
}
