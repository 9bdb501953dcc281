package io.rafty.storage;

import io.rafty.raft.HardState;
import io.rafty.raft.Membership;
import io.rafty.raft.SnapshotMeta;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Builds the storage directory of the first node of a new cluster from a backup ({@link BackupFormat}),
 * as {@code etcdutl snapshot restore} does: the node then starts serving the backup's keys, history,
 * leases and idempotency table at the same revisions, and new writes get revisions above the backup's.
 *
 * <p>What the directory holds, and why:
 * <ul>
 *   <li>The image, installed through the same code as a snapshot from a leader
 *       ({@link SnapshotStore#install}): applied index and log start = the backup's revision R, so the
 *       next entry (the new leader's no-op) is R + 1 and every revision handed out afterwards is above R.</li>
 *   <li>A configuration with this node as the only voter and the given peers as learners that the
 *       leader promotes automatically once caught up. One voter means the node elects itself at once; the
 *       learners cannot vote, so two empty members can never elect each other and start a divergent
 *       history beside the restored one. They start with empty storage and {@code KVSTORE_JOIN} (which
 *       finds them in this configuration) and are brought up by InstallSnapshot, then promoted.</li>
 *   <li>No storage-id bindings and no cluster id: the backup's cluster is not carried over. The
 *       directory is a fresh RocksDB, so it draws a fresh storage id; the node binds itself and its
 *       members to their storage as any first leader does, and founds a new cluster id in its first
 *       entry, so a node of the old cluster is refused by the new one and vice versa.</li>
 *   <li>Hard state term {@link #RESTORED_TERM}, no vote, commit = R.</li>
 * </ul>
 * The directory is built beside {@code dataDir} and moved into place when complete, so a failed or
 * interrupted restore leaves no half-built directory where a node would start from it. Blocking.
 */
public final class Restore {

    /** The term of the restored log's start (and of the hard state): a new cluster begins its terms afresh. */
    public static final long RESTORED_TERM = 1;

    private Restore() {
    }

    /** A restore refused before anything was written: bad arguments, a non-empty directory. */
    public static final class RefusedException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        public RefusedException(String message) {
            super(message);
        }
    }

    /** What was built. */
    public record Result(BackupFormat.Summary backup, long storageId, Membership membership) {
    }

    /**
     * Verifies {@code backup} whole, then builds {@code dataDir} for node {@code nodeId}; {@code peers}
     * (id → base URL) become learners promoted automatically.
     *
     * @throws RefusedException                      for a bad id, peers that include the node, or a
     *                                               {@code dataDir} that exists and is not an empty directory
     * @throws BackupFormat.CorruptBackupException   when the backup is damaged or truncated (nothing is written)
     * @throws StorageException                      when the new database cannot be written
     */
    public static Result restore(Path backup, Path dataDir, int nodeId, Map<Integer, String> peers) {
        if (nodeId <= 0) {
            throw new RefusedException("--id must be a positive integer, was " + nodeId);
        }
        if (peers.containsKey(nodeId)) {
            throw new RefusedException("--peers must not name the restored node " + nodeId + " itself");
        }
        refuseUnlessEmpty(dataDir);
        BackupFormat.Summary summary = BackupFormat.verify(backup);
        Membership membership = new Membership(Set.of(nodeId), peers.keySet(), peers.keySet(), new TreeMap<>(peers));
        Path building = dataDir.toAbsolutePath().resolveSibling(dataDir.getFileName() + ".restoring-"
                + UUID.randomUUID());
        long storageId;
        try {
            try (RocksStorage storage = RocksStorage.open(building);
                 BackupFormat.Reader records = BackupFormat.open(backup)) {
                long revision = records.header().revision();
                storage.snapshotStore().install(new SnapshotMeta(revision, RESTORED_TERM, membership), records);
                storage.logStore().save(new HardState(RESTORED_TERM, HardState.NO_VOTE, revision), List.of());
                storageId = storage.logStore().storageId();
            }
            if (Files.isDirectory(dataDir)) {
                Files.delete(dataDir);
            }
            Files.createDirectories(dataDir.toAbsolutePath().getParent());
            Files.move(building, dataDir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            deleteQuietly(building);
            throw new StorageException("cannot build " + dataDir + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            deleteQuietly(building);
            throw e;
        }
        return new Result(summary, storageId, membership);
    }

    private static void refuseUnlessEmpty(Path dataDir) {
        if (!Files.exists(dataDir)) {
            return;
        }
        if (!Files.isDirectory(dataDir)) {
            throw new RefusedException(dataDir + " exists and is not a directory");
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dataDir)) {
            if (entries.iterator().hasNext()) {
                throw new RefusedException(dataDir + " is not empty: restore builds a new node's storage and never "
                        + "overwrites one (stop the node and move its directory away first)");
            }
        } catch (IOException e) {
            throw new RefusedException("cannot read " + dataDir + ": " + e.getMessage());
        }
    }

    private static void deleteQuietly(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.delete(path);
                } catch (IOException ignored) {
                    // Best effort: the original failure is the one to report.
                }
            });
        } catch (IOException ignored) {
            // As above.
        }
    }
}
