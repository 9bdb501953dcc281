package io.rafty.storage;

import io.rafty.kv.KvStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.LRUCache;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteOptions;

/**
 * One node's RocksDB: a single database per storage directory with the column families
 * {@code log}, {@code meta}, {@code kv}, {@code history} and {@code changes} (plus {@code default},
 * which RocksDB requires and we leave empty). The log store and the kv store are views over the same database, so a node has one
 * write-ahead log and one lock file. See {@link RocksRecords} for the byte layout.
 *
 * <p>Open with {@link #open(Path)}, hand {@link #logStore()} and {@link #kvStore()} to the node, and
 * {@link #close()} this object (not the views) once every worker using them has stopped. Closing a
 * view does nothing; using a view after this is closed throws {@link StorageException}.
 * Blocking throughout: call from worker threads.
 */
public final class RocksStorage implements AutoCloseable {

    static final String LOG_FAMILY = "log";
    static final String META_FAMILY = "meta";
    static final String KV_FAMILY = "kv";
    /** Every kept change by key, then revision: reads at past revisions and per-key history. */
    static final String HISTORY_FAMILY = "history";
    /** The same changes by revision: prefix history queries and the purge's to-do list. */
    static final String CHANGES_FAMILY = "changes";
    /** The idempotency table, and an index of it by revision for the purge. */
    static final String DEDUP_FAMILY = "dedup";
    /** The lease table, and which keys are attached to each lease. */
    static final String LEASE_FAMILY = "lease";

    /** RocksDB's own diagnostic LOG files are rotated; keep only a few so they cannot fill the disk. */
    private static final int INFO_LOG_FILES_KEPT = 5;
    /**
     * Block cache of the {@code kv} family, in MiB ({@code -Drafty.rocksdb.blockCacheMb}, default 128): key
     * lookups (GETs, and the read every write does first to carry {@code createRevision} and {@code version}
     * forward) of keys no longer in the memtable. A miss reads the block from the file and decompresses it.
     */
    static final long KV_BLOCK_CACHE_BYTES = Math.max(1, Long.getLong("rafty.rocksdb.blockCacheMb", 128)) << 20;
    /**
     * Compression of every family's tables ({@code -Drafty.rocksdb.compression}: {@code snappy}, RocksDB's
     * default and ours, {@code lz4} or {@code none}); checked when storage opens, so a wrong name is the node's
     * one-line startup error. Each block records its own compression, so a database written with one opens
     * with another. On a 5 M-key store a state-machine apply (a read of the key, then the write) ran 23-31 %
     * faster with LZ4 ({@code LargeStoreApplyBenchmark}), but the one 5 M-key cluster run with it fell further
     * than the one without, so Snappy stays the default until an A/B of the cluster settles it
     * (BENCHMARKS.md, issue 19).
     */
    static final String COMPRESSION = System.getProperty("rafty.rocksdb.compression", "snappy");
    /** Bloom filters on the {@code kv} family's tables and memtable, so a lookup skips what cannot hold the key. */
    private static final double KV_BLOOM_BITS_PER_KEY = 10;
    private static final double KV_MEMTABLE_BLOOM_RATIO = 0.1;
    /**
     * Memtable size of every family, in MiB ({@code -Drafty.rocksdb.writeBufferMb}, default 128; RocksDB's is 64).
     * With {@code atomic_flush} the first full memtable flushes them all, so this sets the size of the
     * {@code kv} and {@code history} families' level-0 files. Under a steady write load a node holds up to two
     * memtables of this size for each of {@code kv}, {@code history} and {@code changes}: about 768 MiB at the
     * default, 384 at 64.
     */
    static final long WRITE_BUFFER_BYTES = Math.max(1, Long.getLong("rafty.rocksdb.writeBufferMb", 128)) << 20;
    /**
     * Level-0 files that start a compaction ({@code -Drafty.rocksdb.l0CompactionTrigger}, default 8; RocksDB's
     * is 4). Writes to random keys overlap the whole last level, so every compaction of level 0 rewrites it:
     * more and larger files per compaction is fewer rewrites of a growing store. With both defaults, 64-client
     * writes after 5 M keys fell 21 % from the empty store's figure, against 50 % at RocksDB's 64 MiB and 4
     * (BENCHMARKS.md, issue 19). The slowdown and stop triggers stay at RocksDB's 20 and 36, raised to stay above it.
     */
    static final int L0_COMPACTION_TRIGGER = Math.max(2, Integer.getInteger("rafty.rocksdb.l0CompactionTrigger", 8));

    private final Path directory;
    private final DBOptions dbOptions;
    private final ColumnFamilyOptions familyOptions;
    /** The kv family's options and the native objects they point to, closed after the database. */
    private final List<AutoCloseable> kvOptions;
    private final RocksDB db;
    /** In open order: default, log, meta, kv, history, changes. */
    private final List<ColumnFamilyHandle> familyHandles;
    /** For the Raft log and hard state, which must be on disk before the node answers a peer. */
    private final WriteOptions syncedWrites;
    /** Written through the WAL without a sync of their own: durable with the next synced write. */
    private final WriteOptions bufferedWrites;
    /**
     * For state-machine applies and history purges: no WAL at all, since the synced log already holds
     * every entry they come from. They reach disk in memtable flushes, which {@code atomic_flush} makes
     * cover every family at once, so the applied index on disk always matches the records on disk.
     * After a crash the node replays the log from that index; the log is never cut above it, because
     * a snapshot first flushes the state machine ({@link RocksSnapshotStore#syncStateMachine}).
     */
    private final WriteOptions unloggedWrites;
    private final RocksLogStore logStore;
    private final RocksKvStore kvStore;
    private final RocksSnapshotStore snapshotStore;
    private volatile boolean closed;

    private RocksStorage(Path directory, DBOptions dbOptions, ColumnFamilyOptions familyOptions,
                         List<AutoCloseable> kvOptions, RocksDB db, List<ColumnFamilyHandle> familyHandles) {
        this.directory = directory;
        this.dbOptions = dbOptions;
        this.familyOptions = familyOptions;
        this.kvOptions = kvOptions;
        this.db = db;
        this.familyHandles = List.copyOf(familyHandles);
        this.syncedWrites = new WriteOptions().setSync(true);
        this.bufferedWrites = new WriteOptions().setSync(false);
        this.unloggedWrites = new WriteOptions().setDisableWAL(true);
        try {
            this.logStore = new RocksLogStore(this);
            this.kvStore = new RocksKvStore(this);
            this.snapshotStore = new RocksSnapshotStore(this, logStore, kvStore);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Opens the database in {@code directory}, creating the directory, the database and any missing
     * column family.
     *
     * @throws StorageException when the directory cannot be created, is locked by another process
     *                          (or another open in this one), or the database cannot be read
     */
    public static RocksStorage open(Path directory) {
        RocksDB.loadLibrary();
        CompressionType compression = compression(COMPRESSION);
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new StorageException("cannot create storage directory " + directory + ": " + e, e);
        }
        DBOptions dbOptions = new DBOptions()
                .setCreateIfMissing(true)
                .setCreateMissingColumnFamilies(true)
                .setKeepLogFileNum(INFO_LOG_FILES_KEPT)
                // State-machine writes skip the WAL (see unloggedWrites): every flush must cover all families.
                .setAtomicFlush(true);
        ColumnFamilyOptions familyOptions = growth(new ColumnFamilyOptions(), compression);
        List<AutoCloseable> kvOptions = kvFamilyOptions(compression);
        List<ColumnFamilyDescriptor> descriptors = List.of(
                new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, familyOptions),
                new ColumnFamilyDescriptor(familyName(LOG_FAMILY), familyOptions),
                new ColumnFamilyDescriptor(familyName(META_FAMILY), familyOptions),
                new ColumnFamilyDescriptor(familyName(KV_FAMILY), (ColumnFamilyOptions) kvOptions.get(0)),
                new ColumnFamilyDescriptor(familyName(HISTORY_FAMILY), familyOptions),
                new ColumnFamilyDescriptor(familyName(CHANGES_FAMILY), familyOptions),
                new ColumnFamilyDescriptor(familyName(DEDUP_FAMILY), familyOptions),
                new ColumnFamilyDescriptor(familyName(LEASE_FAMILY), familyOptions));
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        RocksDB db;
        try {
            db = RocksDB.open(dbOptions, directory.toString(), descriptors, handles);
        } catch (RocksDBException e) {
            handles.forEach(ColumnFamilyHandle::close);
            familyOptions.close();
            closeAll(kvOptions);
            dbOptions.close();
            throw openFailure(directory, e);
        }
        return new RocksStorage(directory, dbOptions, familyOptions, kvOptions, db, handles);
    }

    static CompressionType compression(String name) {
        return switch (name) {
            case "snappy" -> CompressionType.SNAPPY_COMPRESSION;
            case "lz4" -> CompressionType.LZ4_COMPRESSION;
            case "none" -> CompressionType.NO_COMPRESSION;
            default -> throw new StorageException(
                    "rafty.rocksdb.compression must be snappy, lz4 or none, was '" + name + "'");
        };
    }

    /**
     * The memtable, level-0 and compression settings every family shares ({@link #WRITE_BUFFER_BYTES},
     * {@link #L0_COMPACTION_TRIGGER}, {@link #COMPRESSION}).
     */
    private static ColumnFamilyOptions growth(ColumnFamilyOptions options, CompressionType compression) {
        return options.setWriteBufferSize(WRITE_BUFFER_BYTES)
                .setCompressionType(compression)
                .setLevel0FileNumCompactionTrigger(L0_COMPACTION_TRIGGER)
                .setLevel0SlowdownWritesTrigger(Math.max(20, 2 * L0_COMPACTION_TRIGGER))
                .setLevel0StopWritesTrigger(Math.max(36, 3 * L0_COMPACTION_TRIGGER));
    }

    /** The kv family's options first, then the cache and filter they reference. */
    private static List<AutoCloseable> kvFamilyOptions(CompressionType compression) {
        LRUCache cache = new LRUCache(KV_BLOCK_CACHE_BYTES);
        BloomFilter bloom = new BloomFilter(KV_BLOOM_BITS_PER_KEY, false);
        ColumnFamilyOptions options = growth(new ColumnFamilyOptions(), compression)
                .setTableFormatConfig(new BlockBasedTableConfig().setBlockCache(cache).setFilterPolicy(bloom))
                .setMemtablePrefixBloomSizeRatio(KV_MEMTABLE_BLOOM_RATIO)
                .setMemtableWholeKeyFiltering(true);
        return List.of(options, bloom, cache);
    }

    private static void closeAll(List<AutoCloseable> resources) {
        for (AutoCloseable resource : resources) {
            try {
                resource.close();
            } catch (Exception e) {
                // Native option objects do not fail to close; nothing useful to do if one did.
            }
        }
    }

    /** The Raft log and hard state; do not close it separately. */
    public LogStore logStore() {
        return logStore;
    }

    /** The state machine's keys and applied index; do not close it separately. */
    public KvStore kvStore() {
        return kvStore;
    }

    /** Snapshots of the state machine over the same database. */
    public SnapshotStore snapshotStore() {
        return snapshotStore;
    }

    /** Reclaims disk space of log entries through {@code index} after a compaction. Slow: a worker's job. */
    public void compactLogFiles(long index) {
        ensureOpen();
        snapshotStore.compactLogFiles(index);
    }

    /**
     * Approximate bytes of the whole database (every column family's SST files and memtables): RocksDB's
     * own counters, read from memory, so cheap enough for a status call on an event loop.
     */
    public long bytesOnDisk() {
        ensureOpen();
        try {
            return db.getAggregatedLongProperty("rocksdb.total-sst-files-size")
                    + db.getAggregatedLongProperty("rocksdb.cur-size-all-mem-tables");
        } catch (RocksDBException e) {
            throw failure("reading the database size", e);
        }
    }

    /** Approximate bytes on disk of the log column family (SST files and memtables). */
    public long logBytesOnDisk() {
        ensureOpen();
        try {
            return db.getLongProperty(logFamily(), "rocksdb.total-sst-files-size")
                    + db.getLongProperty(logFamily(), "rocksdb.cur-size-all-mem-tables");
        } catch (RocksDBException e) {
            throw failure("reading the log size", e);
        }
    }

    public Path directory() {
        return directory;
    }

    /** Closes the database and everything RocksDB allocated for it, in reverse order of creation. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            for (int i = familyHandles.size() - 1; i >= 0; i--) {
                familyHandles.get(i).close();
            }
            db.closeE();
        } catch (RocksDBException e) {
            throw new StorageException("closing storage in " + directory + " failed: " + e.getMessage(), e);
        } finally {
            unloggedWrites.close();
            bufferedWrites.close();
            syncedWrites.close();
            familyOptions.close();
            closeAll(kvOptions);
            dbOptions.close();
        }
    }

    RocksDB db() {
        return db;
    }

    ColumnFamilyHandle logFamily() {
        return familyHandles.get(1);
    }

    ColumnFamilyHandle metaFamily() {
        return familyHandles.get(2);
    }

    ColumnFamilyHandle kvFamily() {
        return familyHandles.get(3);
    }

    ColumnFamilyHandle historyFamily() {
        return familyHandles.get(4);
    }

    ColumnFamilyHandle changesFamily() {
        return familyHandles.get(5);
    }

    ColumnFamilyHandle dedupFamily() {
        return familyHandles.get(6);
    }

    ColumnFamilyHandle leaseFamily() {
        return familyHandles.get(7);
    }

    /** A consistent view of the state machine as of now; close it to release its snapshot. */
    RocksView view() {
        ensureOpen();
        return new RocksView(this);
    }

    /** An 8-byte index record of {@code meta} read with {@code options} (null: the latest state); 0 when absent. */
    long readMetaIndex(ReadOptions options, byte[] key) {
        try {
            byte[] bytes = options == null ? db.get(metaFamily(), key) : db.get(metaFamily(), options, key);
            return bytes == null ? 0 : RocksRecords.decodeIndex(bytes);
        } catch (RocksDBException e) {
            throw failure("reading " + new String(key, StandardCharsets.US_ASCII), e);
        }
    }

    /** The raw {@code meta} record {@code key} read with {@code options} (null: the latest state), or null. */
    byte[] readMeta(ReadOptions options, byte[] key) {
        try {
            return options == null ? db.get(metaFamily(), key) : db.get(metaFamily(), options, key);
        } catch (RocksDBException e) {
            throw failure("reading " + new String(key, StandardCharsets.US_ASCII), e);
        }
    }

    boolean isClosed() {
        return closed;
    }

    WriteOptions syncedWrites() {
        return syncedWrites;
    }

    WriteOptions bufferedWrites() {
        return bufferedWrites;
    }

    WriteOptions unloggedWrites() {
        return unloggedWrites;
    }

    /**
     * Flushes the state machine's families (and {@code meta}, which holds its applied index) to disk in
     * one atomic flush, waiting for it: afterwards everything applied so far survives a crash.
     */
    void flushStateMachine() {
        ensureOpen();
        try (FlushOptions options = new FlushOptions().setWaitForFlush(true)) {
            db.flush(options, List.of(metaFamily(), kvFamily(), historyFamily(), changesFamily(), dedupFamily(),
                    leaseFamily()));
        } catch (RocksDBException e) {
            throw failure("flushing the state machine", e);
        }
    }

    /** Fails fast instead of handing a closed native handle to RocksDB, which could crash the JVM. */
    void ensureOpen() {
        if (closed) {
            throw new StorageException("storage in " + directory + " is closed");
        }
    }

    /** Wraps a RocksDB failure with what we were doing and where. */
    StorageException failure(String action, RocksDBException cause) {
        return new StorageException(action + " failed in " + directory + ": " + cause.getMessage(), cause);
    }

    private static byte[] familyName(String name) {
        return name.getBytes(StandardCharsets.US_ASCII);
    }

    private static StorageException openFailure(Path directory, RocksDBException cause) {
        String detail = String.valueOf(cause.getMessage());
        // RocksDB holds an fcntl lock on <dir>/LOCK for as long as the database is open; both
        // "another process" and "already open in this process" mention that file.
        if (detail.contains("LOCK") || detail.contains("lock hold")) {
            return new StorageException("storage directory " + directory
                    + " is in use by another process (or already open in this one): " + detail, cause);
        }
        return new StorageException("cannot open storage in " + directory + ": " + detail, cause);
    }
}
