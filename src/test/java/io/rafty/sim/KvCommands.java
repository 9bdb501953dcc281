package io.rafty.sim;

import io.rafty.kv.Command;
import io.rafty.kv.CommandCodec;
import io.rafty.kv.KvEntry;
import io.rafty.kv.KvResult;
import io.rafty.kv.Precondition;
import java.nio.charset.StandardCharsets;

/** Translates the simulated clients' string commands to the real {@link Command} bytes and back. */
final class KvCommands {

    private KvCommands() {
    }

    static byte[] encode(ClientCommand command) {
        byte[] key = bytes(command.key());
        Command encoded = switch (command.kind()) {
            case PUT -> new Command.Put(key, bytes(command.value()), Precondition.NONE);
            case DELETE -> new Command.Delete(key, Precondition.NONE);
            case CAS -> new Command.Put(key, bytes(command.value()), command.expected() == null
                    ? new Precondition(null, null, false)
                    : new Precondition(bytes(command.expected()), null, null));
            case GET -> throw new IllegalArgumentException("a get is not a log command");
        };
        return CommandCodec.encode(encoded);
    }

    /** The client-visible answer of an applied command, whatever kind it was. */
    static KvAnswer answer(KvResult result) {
        if (result instanceof KvResult.Written written) {
            return new KvAnswer(null, true);
        }
        if (result instanceof KvResult.Deleted) {
            return new KvAnswer(null, true);
        }
        return new KvAnswer(null, false);
    }

    static String value(KvEntry entry) {
        return entry == null ? null : new String(entry.value(), StandardCharsets.UTF_8);
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
