package io.rafty.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.RaftyNode;
import io.rafty.config.RootPassword;
import io.rafty.config.TestConfigs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Without auth a node says once that its client API is open, and everything works as before; with auth, never. */
class AuthWarningTest {

    @TempDir
    Path dir;

    private static List<String> openWarnings(List<LogRecord> records) {
        return records.stream().filter(r -> r.getLevel() == Level.WARNING)
                .map(LogRecord::getMessage).filter(m -> m.contains("has auth off")).toList();
    }

    @Test
    void anOpenNodeWarnsOnceAndServesWithoutATokenAClosedOneDoesNotWarn() throws Exception {
        List<LogRecord> records = Collections.synchronizedList(new ArrayList<>());
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                records.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger logger = Logger.getLogger(RaftyNode.class.getName());
        logger.addHandler(capture);
        try {
            try (RaftyNode open = SingleNodeApi.start(TestConfigs.node(1, 0, List.of(), dir.resolve("open")))) {
                List<String> warnings = openWarnings(records);
                assertEquals(1, warnings.size(), records.toString());
                assertTrue(warnings.get(0).contains("node 1") && warnings.get(0).contains("docs/SECURITY.md"));
                assertEquals(200, SingleNodeApi.send(open, "PUT", "/v1/kv/k", "v".getBytes()).statusCode());
                SingleNodeApi.assertError(SingleNodeApi.send(open, "POST", "/v1/auth/token",
                        "{\"user\":\"root\",\"password\":\"whatever-it-is\"}".getBytes()), 409, "auth_not_enabled");
            }
            records.clear();
            try (RaftyNode closed = SingleNodeApi.start(TestConfigs.with(TestConfigs.node(2, 0, List.of(),
                    dir.resolve("closed")), Map.of("auth", true, "authRootPassword", RootPassword.of("root-password-1"),
                    "authBcryptCost", 4)))) {
                assertEquals(List.of(), openWarnings(records));
                SingleNodeApi.assertError(SingleNodeApi.send(closed, "GET", "/v1/kv/k", new byte[0]), 401,
                        "unauthenticated");
            }
        } finally {
            logger.removeHandler(capture);
        }
    }
}
