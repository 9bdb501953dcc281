package io.rafty.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.raft.DeliberateBug;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A node starts with a deliberate bug only when both test-only variables say so. */
class DeliberateBugFlagTest {

    @Test
    void noVariableMeansNoBug() {
        assertEquals(Set.of(), DeliberateBugFlag.fromEnvironment(Map.of()));
        assertEquals(Set.of(), DeliberateBugFlag.fromEnvironment(Map.of(DeliberateBugFlag.ALLOW_ENV, "true")));
    }

    @Test
    void aBugWithoutTheTestOnlySwitchIsRefused() {
        ConfigException e = assertThrows(ConfigException.class, () -> DeliberateBugFlag.fromEnvironment(
                Map.of(DeliberateBugFlag.BUG_ENV, "FOLLOWER_READ_FROM_LOCAL_COMMIT")));
        assertTrue(e.getMessage().contains(DeliberateBugFlag.ALLOW_ENV), e.getMessage());
        assertThrows(ConfigException.class, () -> DeliberateBugFlag.fromEnvironment(Map.of(
                DeliberateBugFlag.BUG_ENV, "FOLLOWER_READ_FROM_LOCAL_COMMIT", DeliberateBugFlag.ALLOW_ENV, "yes")));
    }

    @Test
    void bothVariablesSwitchTheNamedBugsOn() {
        assertEquals(Set.of(DeliberateBug.FOLLOWER_READ_FROM_LOCAL_COMMIT, DeliberateBug.READ_WITHOUT_READ_INDEX),
                DeliberateBugFlag.fromEnvironment(Map.of(DeliberateBugFlag.BUG_ENV,
                        "follower_read_from_local_commit, READ_WITHOUT_READ_INDEX", DeliberateBugFlag.ALLOW_ENV, "true")));
    }

    @Test
    void unknownBugsAndBugsOnlyTheInMemoryStoreHonoursAreRefused() {
        ConfigException unknown = assertThrows(ConfigException.class, () -> DeliberateBugFlag.parse("NO_SUCH_BUG"));
        assertTrue(unknown.getMessage().contains("NO_SUCH_BUG"), unknown.getMessage());
        assertThrows(ConfigException.class, () -> DeliberateBugFlag.parse("DEDUP_NOT_IN_SNAPSHOT"));
        assertTrue(!DeliberateBugFlag.supported().contains(DeliberateBug.PURGE_THROUGH_COMPACT_REVISION));
    }
}
