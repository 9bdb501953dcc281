package io.rafty.api;

import io.rafty.kv.KvEntry;
import io.vertx.core.json.JsonObject;

/** The JSON shapes of DESIGN §4. */
final class KvJson {

    private KvJson() {
    }

    static JsonObject entry(KvEntry entry) {
        JsonObject json = new JsonObject().put("key", KeyCodec.display(entry.key()));
        String text = KeyCodec.utf8OrNull(entry.value());
        if (text != null) {
            json.put("value", text);
        } else {
            json.put("value", KeyCodec.base64(entry.value())).put("encoding", "base64");
        }
        return json.put("revision", entry.revision())
                .put("createRevision", entry.createRevision())
                .put("version", entry.version())
                .put("lease", entry.lease());
    }
}
