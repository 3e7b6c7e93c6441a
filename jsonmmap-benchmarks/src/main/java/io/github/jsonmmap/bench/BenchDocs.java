package io.github.jsonmmap.bench;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The documents the benchmarks publish: a config-like object with a sequence number, a publish
 * timestamp and a block of service entries sized to a target. The entries are built once and shared
 * between versions; only the two small fields change.
 *
 * <p>Not thread-safe to mutate; the shared entries are never modified after {@link #items}.
 */
final class BenchDocs {

  static final JsonMapper MAPPER = JsonMapper.builder().build();

  /** A key every document has: the lookup the read benchmarks do. */
  static final String KEY = "items.svc000007.port";

  /** The value at {@link #KEY}. */
  static final int KEY_VALUE = 8007;

  private BenchDocs() {}

  /** Service entries that make a document of about {@code bytes} bytes (at least 8 entries). */
  static ObjectNode items(int bytes) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode items = f.objectNode();
    long size = serialize(root(Long.MAX_VALUE, Long.MAX_VALUE, items)).length;
    for (int i = 0; i < 8 || size < bytes; i++) {
      String key = String.format(Locale.ROOT, "svc%06d", i);
      ObjectNode item = items.putObject(key);
      item.put("host", String.format(Locale.ROOT, "10.0.%d.%d", (i / 250) % 250, i % 250));
      item.put("port", 8000 + i);
      item.put("enabled", i % 3 != 0);
      item.put("weight", 0.25 + (i % 4) * 0.25);
      item.putArray("tags").add("zone-" + (i % 3)).add("tier-" + (i % 2));
      // "key":{...}, in the serialised object
      size += serialize(item).length + key.length() + 4;
    }
    return items;
  }

  /** A new version: sequence, timestamp and the shared entries. */
  static ObjectNode root(long seq, long publishedAtNanos, JsonNode items) {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    root.put("seq", seq);
    root.put("ts", publishedAtNanos);
    root.set("items", items);
    return root;
  }

  /**
   * The text of {@link #root} for the entries {@code items}, for a writer that publishes JSON text:
   * the entries are serialised once, and each version's text is its two small fields written in
   * front of them, one copy of the entries' bytes, as a tool holding the text of its configuration
   * would hand it over.
   */
  static final class Text {
    private final byte[] tail;

    Text(JsonNode items) {
      this.tail = (",\"items\":" + json(items) + "}").getBytes(StandardCharsets.UTF_8);
    }

    byte[] version(long seq, long publishedAtNanos) {
      return version(seq, publishedAtNanos, false);
    }

    /**
     * Like {@link #version(long, long)}, with a key the other versions lack when {@code added}: a
     * version of another shape than the one before, which no reader or writer checks against it.
     */
    byte[] version(long seq, long publishedAtNanos, boolean added) {
      byte[] head =
          ("{\"seq\":" + seq + ",\"ts\":" + publishedAtNanos + (added ? ",\"added\":true" : ""))
              .getBytes(StandardCharsets.US_ASCII);
      byte[] text = Arrays.copyOf(head, head.length + tail.length);
      System.arraycopy(tail, 0, text, head.length, tail.length);
      return text;
    }
  }

  static byte[] serialize(JsonNode node) {
    return MAPPER.writeValueAsBytes(node);
  }

  static String json(JsonNode node) {
    return new String(serialize(node), StandardCharsets.UTF_8);
  }

  /** A size for humans: 1KiB, 64KiB, 16MiB. */
  static String size(long bytes) {
    if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0) {
      return bytes / (1024 * 1024) + "MiB";
    }
    if (bytes >= 1024 && bytes % 1024 == 0) {
      return bytes / 1024 + "KiB";
    }
    if (bytes >= 1024 * 1024) {
      return String.format(Locale.ROOT, "%.1fMiB", bytes / (1024.0 * 1024));
    }
    if (bytes >= 1024) {
      return String.format(Locale.ROOT, "%.1fKiB", bytes / 1024.0);
    }
    return bytes + "B";
  }
}
