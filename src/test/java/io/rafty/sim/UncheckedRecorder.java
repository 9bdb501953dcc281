package io.rafty.sim;

/**
 * Stand-in until the linearizability checker lands on main: counts operations, checks nothing.
 * TODO(sim): replace with the adapter to io.rafty.sim.History / LinearizabilityChecker.
 */
final class UncheckedRecorder implements ClientRecorder {

    private int calls;

    @Override
    public int invoke(int clientId, long timeMicros, ClientCommand command) {
        return calls++;
    }

    @Override
    public void ok(int call, long timeMicros, KvAnswer answer) {
    }

    @Override
    public void fail(int call, long timeMicros) {
    }

    @Override
    public void unknown(int call) {
    }

    @Override
    public String check() {
        return null;
    }

    @Override
    public int operationCount() {
        return calls;
    }
}
