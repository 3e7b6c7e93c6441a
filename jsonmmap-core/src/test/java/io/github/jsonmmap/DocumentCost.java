package io.github.jsonmmap;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Supplier;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Measures, outside the test suite, what taking in a document costs: heap allocated per document
 * byte and time per MiB for parse + check and for flattening, for the worst shapes we know.
 *
 * <p>Run: {@code java -cp <core classes>:<test classes>:<deps> io.github.jsonmmap.DocumentCost}.
 * Not a test: timing is never asserted.
 */
final class DocumentCost {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final int MIB = 1 << 20;

  private DocumentCost() {}

  public static void main(String[] args) throws Exception {
    shapes();
  }

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  private static long allocated() {
    return THREADS.getThreadAllocatedBytes(Thread.currentThread().getId());
  }

  private static String json(Object tree) {
    return new String(Documents.defaultMapper().writeValueAsBytes(tree), StandardCharsets.UTF_8);
  }

  private static byte[] repeatInArray(String element, int bytes) {
    StringBuilder s = new StringBuilder(bytes + 64).append("{\"a\":[");
    while (s.length() < bytes) {
      s.append(element).append(',');
    }
    s.setLength(s.length() - 1);
    return s.append("]}").toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void shapes() {
    Documents documents = new Documents(JsonMmapOptions.DEFAULT_MAX_NESTING_DEPTH, 64L * MIB);
    Path file = Path.of("cost.json");
    row(
        "shape",
        "bytes",
        "keys",
        "parse+check B/B",
        "parse+check ms/MiB",
        "flatten B/B",
        "flatten ms/MiB",
        "result");
    measure(documents, file, "config-like (bench items)", () -> configLike(MIB));
    measure(documents, file, "small ints [0,0,...]", () -> repeatInArray("0", MIB));
    measure(documents, file, "tiny arrays [[],[],...]", () -> repeatInArray("[]", MIB));
    measure(documents, file, "empty objects [{},{},...]", () -> repeatInArray("{}", MIB));
    measure(documents, file, "decimals [0.1,...]", () -> repeatInArray("0.1", MIB));
    measure(documents, file, "1000-digit numbers", () -> repeatInArray("9".repeat(1000), MIB));
    measure(
        documents,
        file,
        "100k-digit number",
        () -> ("{\"a\":" + "9".repeat(100_000) + "}").getBytes(StandardCharsets.UTF_8));
    measure(
        documents,
        file,
        "long string 1 MiB",
        () -> ("{\"s\":\"" + "x".repeat(MIB) + "\"}").getBytes(StandardCharsets.UTF_8));
    measure(documents, file, "long keys (50k chars each)", () -> longKeys(50_000, MIB));
    measure(
        documents,
        file,
        "long prefix at the bound (40 x [0,...])",
        () ->
            json(BoundedDocumentTest.deepPrefix(1, 40, MIB / 2)).getBytes(StandardCharsets.UTF_8));
    measure(
        documents,
        file,
        "long prefix over the bound (10k x 20k leaves)",
        () ->
            json(BoundedDocumentTest.longPrefix(10_000, 20_000)).getBytes(StandardCharsets.UTF_8));
    measure(
        documents,
        file,
        "deep prefix (400 levels x 40 chars)",
        () ->
            json(BoundedDocumentTest.deepPrefix(400, 40, 2_000)).getBytes(StandardCharsets.UTF_8));
    measure(
        documents,
        file,
        "nesting 500 levels, repeated",
        () -> {
          String nest = "{\"a\":".repeat(497) + "[]" + "}".repeat(497);
          return repeatInArray(nest, MIB);
        });
    measure(
        documents,
        file,
        "2^21+1 leaves (over the bound)",
        () -> repeatInArray("0", 2 * (Documents.MAX_FLATTENED_KEYS + 1) + 16));
  }

  static byte[] configLike(int bytes) {
    ObjectNode items = NODES.objectNode();
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
    ObjectNode root = NODES.objectNode();
    root.put("seq", 1);
    root.set("items", items);
    return json(root).getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] longKeys(int keyLength, int bytes) {
    ObjectNode root = NODES.objectNode();
    for (int i = 0; (long) i * keyLength < bytes; i++) {
      root.put(String.format(Locale.ROOT, "%0" + keyLength + "d", i), i);
    }
    return json(root).getBytes(StandardCharsets.UTF_8);
  }

  private static void measure(Documents documents, Path file, String name, Supplier<byte[]> make) {
    byte[] bytes = make.get();
    int runs = bytes.length > 4 * MIB ? 3 : 7;
    long[] parseAlloc = new long[runs];
    long[] parseNanos = new long[runs];
    long[] flatAlloc = new long[runs];
    long[] flatNanos = new long[runs];
    String result = "ok";
    int keys = 0;
    for (int r = 0; r < runs; r++) {
      long a0 = allocated();
      long t0 = System.nanoTime();
      Documents.Parsed parsed;
      try {
        parsed = documents.parseChecked(file, bytes);
      } catch (JsonMmapException e) {
        parseNanos[r] = System.nanoTime() - t0;
        parseAlloc[r] = allocated() - a0;
        result = "refused: " + e.getMessage().replaceAll(".*?(error=|problem=|too costly)", "$1");
        if (result.length() > 60) {
          result = result.substring(0, 60);
        }
        continue;
      }
      long t1 = System.nanoTime();
      long a1 = allocated();
      keys = Documents.flatten(parsed.tree(), parsed.shape().keys()).size();
      long t2 = System.nanoTime();
      long a2 = allocated();
      parseAlloc[r] = a1 - a0;
      parseNanos[r] = t1 - t0;
      flatAlloc[r] = a2 - a1;
      flatNanos[r] = t2 - t1;
    }
    double mib = bytes.length / (double) MIB;
    row(
        name,
        Integer.toString(bytes.length),
        Integer.toString(keys),
        String.format(Locale.ROOT, "%.1f", median(parseAlloc) / (double) bytes.length),
        String.format(Locale.ROOT, "%.1f", median(parseNanos) / 1e6 / mib),
        String.format(Locale.ROOT, "%.1f", median(flatAlloc) / (double) bytes.length),
        String.format(Locale.ROOT, "%.1f", median(flatNanos) / 1e6 / mib),
        result);
  }

  private static long median(long[] values) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  private static void row(String... cells) {
    System.out.println("| " + String.join(" | ", cells) + " |");
  }
}
