package io.rafty.cli;

import io.rafty.bench.BenchMain;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code rafty bench ...}: listed among the CLI's commands, run by the existing load generator unchanged
 * ({@link BenchMain}; {@link RaftyCli#run} hands {@code bench} to it before parsing, so this class only
 * runs when the command is reached another way).
 */
@Command(name = "bench", description = "Load generator (see: rafty bench --help); runs io.rafty.bench unchanged.")
final class BenchDelegate implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Unmatched
    List<String> arguments = new ArrayList<>();

    @Override
    public Integer call() {
        List<String> all = new ArrayList<>();
        all.add("bench");
        all.addAll(arguments);
        return BenchMain.run(all.toArray(String[]::new), spec.commandLine().getOut(), spec.commandLine().getErr());
    }
}
