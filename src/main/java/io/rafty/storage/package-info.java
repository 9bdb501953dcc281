/**
 * Durable storage of one node: the Raft log and hard state ({@link io.rafty.storage.LogStore}) and
 * the key-value state machine ({@link io.rafty.kv.KvStore}).
 *
 * <p>Production: {@link io.rafty.storage.RocksStorage} opens one RocksDB per storage directory with
 * column families {@code log}, {@code meta}, {@code kv}, {@code history} and {@code changes}; the
 * byte layout is documented on {@code RocksRecords} (DESIGN.md §3). Tests and the simulator: {@link io.rafty.storage.InMemoryLogStore}
 * and {@link io.rafty.storage.InMemoryKvStore}, checked against the same contract tests.
 *
 * <p>Durability rules: a log save (entries, truncation and hard state together) is one synced write.
 * A state-machine write is one batch that carries its applied index and skips the WAL (the log already
 * holds every entry it comes from); it reaches disk in a memtable flush, and {@code atomic_flush} flushes
 * every family at once, so after a crash the state machine is whole at some earlier applied index and
 * the node replays the synced log from there. A snapshot flushes the state machine before the log is
 * cut, so that index is never below the log's start. The
 * history (every change by revision, until compacted and purged) is written in the same batch as the
 * keys it describes; a purge step and a snapshot install are one batch each, and every read runs in
 * one RocksDB snapshot, so no reader sees half of any of them.
 *
 * <p>Errors: storage failures throw {@link io.rafty.storage.StorageException}; caller bugs (a save
 * that would leave a hole, an applied index moving backwards, a negative scan limit) throw
 * {@link IllegalArgumentException}. Every method blocks: call from worker threads only.
 */
package io.rafty.storage;
