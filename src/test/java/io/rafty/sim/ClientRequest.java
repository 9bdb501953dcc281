package io.rafty.sim;

/** One attempt of a client operation, sent to one node. */
record ClientRequest(int clientId, long attemptId, ClientCommand command) {
}
