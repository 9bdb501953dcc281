/**
 * The messages Raft peers exchange: a sealed {@link io.rafty.raft.message.Message} interface and one
 * record per message, each naming its {@link io.rafty.raft.message.Message.Kind} for exhaustive
 * dispatch. No serialisation here; the wire format is {@code io.rafty.transport.MessageCodec}'s.
 */
package io.rafty.raft.message;
