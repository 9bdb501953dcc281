package io.rafty.node;

/**
 * Where the {@link NodeDriver} delivers the outcome of one request: exactly one of the two methods is
 * called, at most once, on the driver's thread. Production wraps a Vert.x promise; the simulator
 * answers its simulated client.
 */
public interface Reply<T> {

    void succeed(T value);

    /** Usually a {@link RequestFailure}, whose kind says what the client may assume about the effect. */
    void fail(RuntimeException failure);
}
