package io.rafty.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.raft.InteractionHarness.ScriptError;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Golden interaction tests for the Raft core (in the style of etcd-io/raft's testdata): each file in
 * {@code src/test/resources/raft/interaction} is a scenario of commands and the exact output they
 * print, so any change in the core's observable behaviour (a message more or less, a different
 * term, a Ready split differently) shows up as a readable diff.
 *
 * <p>Run with {@code -Dgolden.rewrite=true} to write the actual output into the files instead of
 * comparing, then review the change with {@code git diff}: the rewrite accepts whatever the core does
 * now, so the review is the test.
 */
class InteractionTest {

    private static final String SCENARIO_DIR = "src/test/resources/raft/interaction";

    static boolean rewriteRequested() {
        return Boolean.parseBoolean(System.getProperty("golden.rewrite", "false").strip());
    }

    /**
     * The scenarios in the source tree, so that a rewrite lands where git sees it. Surefire sets
     * {@code basedir}; an IDE usually runs with the project as working directory. The copy on the
     * classpath is the fallback for a run from elsewhere (it cannot be rewritten usefully).
     */
    static Path scenarioDir() {
        String base = System.getProperty("basedir");
        if (base == null || base.isBlank()) {
            base = System.getProperty("user.dir");
        }
        Path dir = Path.of(base).resolve(SCENARIO_DIR);
        if (Files.isDirectory(dir)) {
            return dir;
        }
        URL url = InteractionTest.class.getResource("/raft/interaction");
        if (url == null) {
            throw new IllegalStateException("no scenario directory at " + dir + " nor on the classpath");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @TestFactory
    Stream<DynamicTest> scenarios() throws IOException {
        List<Path> files;
        try (Stream<Path> listing = Files.list(scenarioDir())) {
            files = listing.filter(p -> p.getFileName().toString().endsWith(".txt")).sorted()
                    .collect(Collectors.toList());
        }
        assertFalse(files.isEmpty(), "no scenarios in " + scenarioDir());
        boolean rewrite = rewriteRequested();
        return files.stream().map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), file.toUri(),
                () -> runFile(file, rewrite)));
    }

    /** Runs one scenario file; compares its output, or with {@code rewrite} writes the actual output back. */
    static void runFile(Path file, boolean rewrite) {
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            InteractionScript script = run(file.getFileName().toString(), text);
            if (rewrite) {
                String updated = script.render(true);
                if (!updated.equals(text)) {
                    Files.writeString(file, updated, StandardCharsets.UTF_8);
                }
                return;
            }
            String report = script.mismatchReport();
            if (report != null) {
                throw new AssertionError(report);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parses {@code text} and runs every command on a fresh harness, recording what each printed. */
    static InteractionScript run(String name, String text) {
        InteractionScript script = InteractionScript.parse(name, text);
        InteractionHarness harness = new InteractionHarness();
        for (InteractionScript.Command command : script.commands()) {
            try {
                command.actual = harness.execute(command.text());
            } catch (ScriptError e) {
                throw new AssertionError(name + ":" + command.line + ": " + command.source + "\n  scenario error: "
                        + e.getMessage(), e);
            } catch (RuntimeException | AssertionError e) {
                throw new AssertionError(name + ":" + command.line + ": " + command.source + "\n  failed: "
                        + e.getMessage(), e);
            }
        }
        return script;
    }

    // ----- the harness itself ---------------------------------------------------------------

    private static final String TINY = String.join("\n",
            "# A tiny scenario whose second expectation is wrong on purpose.",
            "",
            "> add-nodes 1",
            "ok",
            "",
            "> status 1",
            "1: follower term=0 leader=0 vote=0",
            "  log: start=0@0 last=0@0 commit=0 applied=0",
            "  membership: voters=[2]",
            "");

    @Test
    void wrongExpectationFailsWithFileLineAndDiff() {
        String report = run("tiny.txt", TINY).mismatchReport();
        assertNotNull(report);
        assertTrue(report.startsWith("tiny.txt:6: output of '> status 1' differs\n"), report);
        assertTrue(report.contains("--- expected\n+++ actual\n"), report);
        assertTrue(report.contains("\n-  membership: voters=[2]\n+  membership: voters=[1]\n"), report);
        assertTrue(report.contains(" 1: follower term=0 leader=0 vote=0\n"), "unchanged lines as context: " + report);
        assertTrue(report.contains("-Dgolden.rewrite=true"), report);
    }

    @Test
    void mismatchFailsTheFileAndRewriteFixesIt(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("tiny.txt");
        Files.writeString(file, TINY, StandardCharsets.UTF_8);
        AssertionError failure = assertThrows(AssertionError.class, () -> runFile(file, false));
        assertTrue(failure.getMessage().contains("tiny.txt:6:"), failure.getMessage());

        runFile(file, true);
        String rewritten = Files.readString(file, StandardCharsets.UTF_8);
        assertEquals(TINY.replace("voters=[2]", "voters=[1]"), rewritten, "only the output changed");
        runFile(file, false);
    }

    @Test
    void parseAndRenderRoundTripExactly() throws IOException {
        for (String text : List.of("", "\n", "# only a comment", "> add-nodes 1\nok", "> add-nodes 1\nok\n\n\n",
                "#\n# a\n\n> add-nodes 2\nstale output\n# trailing comment\n", TINY)) {
            assertEquals(text, InteractionScript.parse("t", text).render(false));
        }
        try (Stream<Path> listing = Files.list(scenarioDir())) {
            for (Path file : listing.filter(p -> p.getFileName().toString().endsWith(".txt")).sorted()
                    .collect(Collectors.toList())) {
                String text = Files.readString(file, StandardCharsets.UTF_8);
                assertEquals(text, InteractionScript.parse(file.toString(), text).render(false), file.toString());
            }
        }
    }

    @Test
    void commandOutputEndsAtBlankLineCommentOrCommand() {
        InteractionScript script = InteractionScript.parse("t", "> a\nx\ny\n# c\n> b\nz\n\n> c\n");
        List<InteractionScript.Command> commands = script.commands();
        assertEquals(List.of("x", "y"), commands.get(0).expected);
        assertEquals(List.of("z"), commands.get(1).expected);
        assertEquals(List.of(), commands.get(2).expected);
        assertEquals(8, commands.get(2).line);
        assertThrows(IllegalArgumentException.class, () -> InteractionScript.parse("t", "stray line\n"));
    }

    @Test
    void unknownCommandOrArgumentIsAScenarioError() {
        AssertionError unknownCommand = assertThrows(AssertionError.class, () -> run("t", "> add-nodez 3\n"));
        assertTrue(unknownCommand.getMessage().contains("t:1: > add-nodez 3"), unknownCommand.getMessage());
        assertTrue(unknownCommand.getMessage().contains("unknown command 'add-nodez'"), unknownCommand.getMessage());

        AssertionError unknownArgument = assertThrows(AssertionError.class,
                () -> run("t", "> add-nodes 3 prevotes=false\n"));
        assertTrue(unknownArgument.getMessage().contains("unknown argument 'prevotes=false'"),
                unknownArgument.getMessage());

        AssertionError extra = assertThrows(AssertionError.class, () -> run("t", "> add-nodes 1\n> campaign 1 2\n"));
        assertTrue(extra.getMessage().contains("t:2:") && extra.getMessage().contains("unexpected argument '2'"),
                extra.getMessage());
    }

    @Test
    void noopPayloadIsShownWhenNotEmpty() {
        assertEquals("1@1 noop", InteractionFormat.entry(Entry.noop(1, 1)));
        assertEquals("1@1 noop 0x0000000000000007",
                InteractionFormat.entry(new Entry(1, 1, EntryType.NOOP, new byte[] {0, 0, 0, 0, 0, 0, 0, 7})));
        assertEquals("2@1 \"a b\"", InteractionFormat.entry(Entry.command(1, 2, "a b".getBytes(StandardCharsets.UTF_8))));
        assertEquals("2@1 0x00ff", InteractionFormat.entry(Entry.command(1, 2, new byte[] {0, (byte) 0xff})));
        assertNull(run("t", "> add-nodes 1\nok\n").mismatchReport());
    }
}
