package io.github.jsonmmap;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Measures, outside the test suite and through the public API only (so that it runs against older
 * builds too), a reader picking up a new version of a config-like document ({@code refresh()}) and
 * its first lookup.
 *
 * <p>Run: {@code java -cp <core classes>:<test classes>:<deps> io.github.jsonmmap.DecodeCost}. Not
 * a test: timing is never asserted.
 */
final class DecodeCost {

  private static final int MIB = 1 << 20;

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private DecodeCost() {}

  static byte[] configLike(int bytes) {
    ObjectNode items = JsonNodeFactory.instance.objectNode();
    int size = 0;
    for (int i = 0; size < bytes; i++) {
      ObjectNode item = items.putObject(String.format(Locale.ROOT, "svc%06d", i));
      item.put("host", "10.0." + (i / 250) % 250 + "." + i % 250);
      item.put("port", 8000 + i);
      item.put("enabled", i % 3 != 0);
      item.put("weight", 0.25 + (i % 4) * 0.25);
      item.putArray("tags").add("zone-" + i % 3).add("tier-" + i % 2);
      size += 100;
    }
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    root.put("seq", 1);
    root.set("items", items);
    return JSON.writeValueAsBytes(root);
  }

  public static void main(String[] args) throws Exception {
    decode();
  }

  private static long median(long[] values) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  /** A reader picking up a new version of a config-like document, and its first lookup. */
  static void decode() throws Exception {
    for (int size : new int[] {1024, MIB}) {
      Path dir = Files.createTempDirectory("jsonmmap-cost");
      Path path = dir.resolve("config.json");
      int iterations = size < 4096 ? 20_000 : 40;
      int warmup = size < 4096 ? 20_000 : 10;
      byte[] template = configLike(size);
      ObjectNode doc = (ObjectNode) JSON.readTree(template);
      long[] refresh = new long[iterations];
      long[] lookup = new long[iterations];
      try (JsonMmapFile writer =
              JsonMmapFile.open(
                  JsonMmapOptions.builder(path)
                      .role(Role.WRITER)
                      .watchMode(WatchMode.POLL)
                      .pollInterval(Duration.ofHours(1))
                      .build());
          JsonMmapFile reader =
              JsonMmapFile.open(
                  JsonMmapOptions.builder(path)
                      .role(Role.READER)
                      .watchMode(WatchMode.POLL)
                      .pollInterval(Duration.ofHours(1))
                      .build())) {
        for (int i = -warmup; i < iterations; i++) {
          doc.put("seq", i);
          writer.publish(doc);
          long t0 = System.nanoTime();
          Snapshot s = reader.refresh();
          long t1 = System.nanoTime();
          Object v = s.get("items.svc000007.port");
          long t2 = System.nanoTime();
          if (v == null) {
            throw new IllegalStateException("lookup failed");
          }
          if (i >= 0) {
            refresh[i] = t1 - t0;
            lookup[i] = t2 - t1;
          }
        }
      }
      Files.deleteIfExists(path);
      try (var files = Files.list(dir)) {
        for (Path p : (Iterable<Path>) files::iterator) {
          Files.deleteIfExists(p);
        }
      }
      Files.deleteIfExists(dir);
      System.out.printf(
          Locale.ROOT,
          "decode size=%d bytes=%d refresh p50=%.1fus first-get p50=%.1fus total p50=%.1fus%n",
          size,
          template.length,
          median(refresh) / 1e3,
          median(lookup) / 1e3,
          (median(refresh) + median(lookup)) / 1e3);
    }
  }
}
