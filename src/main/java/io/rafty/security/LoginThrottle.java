package io.rafty.security;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Slows password guessing: every failed login of a user name, and every failed login from a remote address,
 * doubles the delay before the next attempt of that name or from that address is even checked (from
 * {@link #BASE_DELAY_MS} up to {@link #MAX_DELAY_MS}); a success clears the name's and the address's count,
 * and a count is forgotten {@link #FORGET_AFTER_MS} after its last failure. Each table holds at most
 * {@link #MAX_ENTRIES} entries (the least recently failed go first), so a flood of names costs bounded memory.
 * Pure: the caller passes the clock and waits the delay without blocking (a Vert.x timer).
 */
public final class LoginThrottle {

    public static final long BASE_DELAY_MS = 100;
    public static final long MAX_DELAY_MS = 5_000;
    public static final long FORGET_AFTER_MS = 15 * 60_000;
    public static final int MAX_ENTRIES = 10_000;

    private record Failures(int count, long lastMs) {
    }

    private final Map<String, Failures> byUser = lru();
    private final Map<String, Failures> byAddress = lru();

    /** How long to wait before checking an attempt for {@code user} from {@code address}. */
    public synchronized long delayMs(String user, String address, long nowMs) {
        int failures = Math.max(count(byUser, user, nowMs), count(byAddress, address, nowMs));
        if (failures == 0) {
            return 0;
        }
        return Math.min(MAX_DELAY_MS, BASE_DELAY_MS << Math.min(failures - 1, 16));
    }

    public synchronized void failed(String user, String address, long nowMs) {
        byUser.put(user, new Failures(count(byUser, user, nowMs) + 1, nowMs));
        byAddress.put(address, new Failures(count(byAddress, address, nowMs) + 1, nowMs));
    }

    public synchronized void succeeded(String user, String address) {
        byUser.remove(user);
        byAddress.remove(address);
    }

    private static int count(Map<String, Failures> table, String key, long nowMs) {
        Failures failures = table.get(key);
        if (failures == null) {
            return 0;
        }
        if (nowMs - failures.lastMs() > FORGET_AFTER_MS) {
            table.remove(key);
            return 0;
        }
        return failures.count();
    }

    private static Map<String, Failures> lru() {
        return new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Failures> eldest) {
                return size() > MAX_ENTRIES;
            }
        };
    }
}
