package io.rafty.jmh;

import io.rafty.raft.Entry;
import io.rafty.raft.message.AppendEntries;
import io.rafty.raft.message.AppendResponse;
import io.rafty.raft.message.Heartbeat;
import io.rafty.raft.message.Message;
import io.rafty.transport.MessageCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The peer wire format: encode and decode of one AppendEntries carrying {@code entries} entries of
 * 256-byte values (a group-committed batch), and of a small batch of heartbeats and acknowledgements.
 * Score = batches per second.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class MessageCodecBenchmark {

    @Param({"1", "64"})
    int entries;

    private List<Message> append;
    private byte[] appendBytes;
    private List<Message> control;
    private byte[] controlBytes;

    private static final io.rafty.raft.PeerIdentity SENDER = new io.rafty.raft.PeerIdentity(17, 42);

    @Setup
    public void setUp() {
        SplittableRandom random = new SplittableRandom(5);
        List<Entry> list = new ArrayList<>();
        for (int i = 0; i < entries; i++) {
            byte[] payload = new byte[280];
            random.nextBytes(payload);
            list.add(Entry.command(7, 1001 + i, payload));
        }
        append = List.of(new AppendEntries(1, 2, 7, 1000, 7, list, 990));
        appendBytes = MessageCodec.encode(SENDER, append);
        control = List.of(new Heartbeat(1, 2, 7, 990, 12), new AppendResponse(2, 1, 7, true, 1000, 0, 0),
                new AppendResponse(2, 1, 7, true, 1064, 0, 0));
        controlBytes = MessageCodec.encode(SENDER, control);
    }

    @Benchmark
    public byte[] encodeAppend() {
        return MessageCodec.encode(SENDER, append);
    }

    @Benchmark
    public MessageCodec.Batch decodeAppend() {
        return MessageCodec.decode(appendBytes);
    }

    @Benchmark
    public byte[] encodeControl() {
        return MessageCodec.encode(SENDER, control);
    }

    @Benchmark
    public MessageCodec.Batch decodeControl() {
        return MessageCodec.decode(controlBytes);
    }
}
