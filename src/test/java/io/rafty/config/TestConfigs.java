package io.rafty.config;

import java.nio.file.Path;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Copies of a {@link NodeConfig} with some settings changed by name, for tests that tighten one limit. */
public final class TestConfigs {

    private TestConfigs() {
    }

    /** Node {@code id}'s defaults (on {@code port}, with {@code peers}) stored under {@code storageDir}. */
    public static NodeConfig node(int id, int port, List<Peer> peers, Path storageDir) {
        return with(NodeConfig.defaults(id, port, peers), Map.of("storageDir", storageDir));
    }

    /** {@code base} with other snapshot thresholds. */
    public static NodeConfig snapshots(NodeConfig base, long entries, long logBytes, long tailEntries) {
        return with(base, Map.of("snapshotEntries", entries, "snapshotLogBytes", logBytes,
                "snapshotTailEntries", tailEntries));
    }

    /** {@code base} joining, with no peers of its own, the cluster that {@code memberUrl} belongs to. */
    public static NodeConfig joining(NodeConfig base, String memberUrl) {
        return with(base, Map.of("peers", List.of(), "join", memberUrl));
    }

    /** {@code base} with each named record component replaced; an unknown name fails the test at once. */
    public static NodeConfig with(NodeConfig base, Map<String, ?> overrides) {
        RecordComponent[] components = NodeConfig.class.getRecordComponents();
        Map<String, Object> left = new HashMap<>(overrides);
        Object[] values = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        try {
            for (int i = 0; i < components.length; i++) {
                types[i] = components[i].getType();
                String name = components[i].getName();
                values[i] = left.containsKey(name) ? left.remove(name) : components[i].getAccessor().invoke(base);
            }
            if (!left.isEmpty()) {
                throw new IllegalArgumentException("unknown NodeConfig settings " + left.keySet());
            }
            Constructor<NodeConfig> constructor = NodeConfig.class.getDeclaredConstructor(types);
            return constructor.newInstance(values);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
