/**
 * Majority math, and the only place that knows what a majority is: the highest value a majority of
 * voters has acknowledged (commit index, confirmed ReadIndex round), vote tallies, and whether the
 * voters heard from make a majority. It owns no state beyond the voter set; callers answer its
 * questions through views, so asking allocates nothing. Joint consensus would compose two
 * {@link io.rafty.raft.quorum.MajorityQuorum}s here.
 */
package io.rafty.raft.quorum;
