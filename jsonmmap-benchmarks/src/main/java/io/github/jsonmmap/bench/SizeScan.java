package io.github.jsonmmap.bench;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import io.github.jsonmmap.Role;
import io.github.jsonmmap.Snapshot;
import io.github.jsonmmap.WatchMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import tools.jackson.databind.node.ObjectNode;

/**
 * Publish and decode cost by document size, in one process: the writer's {@code publish} call
 * (serialise, CRC-32, copy into the mapping, flip the slot, bump the mtime), the same call given
 * the version's JSON text (checked and stored as it is), and a reader's pick-up of the new version
 * through {@code refresh()} (copy out, verify the CRC, check). The two publishes take turns, and
 * each round ends with a version of another shape (a key added, then taken away again, unmeasured):
 * the steady versions change values only and are checked against the version before where they
 * differ, the added key's version is checked whole on both sides, as a reader's first version is.
 *
 * <p>Not thread-safe.
 */
final class SizeScan {

  /** Per size, in nanoseconds. */
  record Point(
      int targetBytes,
      int docBytes,
      Histogram publish,
      Histogram publishText,
      Histogram decode,
      Histogram publishNewShape,
      Histogram decodeNewShape) {}

  /** The least warm-up per size. */
  private static final long WARM_UP_NANOS = TimeUnit.SECONDS.toNanos(1);

  private SizeScan() {}

  static Point measure(Path dir, int targetBytes, int iterations) throws IOException {
    Path path = dir.resolve("scan-" + targetBytes + ".jsonmmap");
    ObjectNode items = BenchDocs.items(targetBytes);
    int docBytes =
        BenchDocs.serialize(BenchDocs.root(Long.MAX_VALUE, Long.MAX_VALUE, items)).length;
    long maxSize = Math.max(JsonMmapOptions.DEFAULT_MAX_SIZE, 4L * docBytes + (1 << 20));
    BenchDocs.Text text = new BenchDocs.Text(items);
    Histogram publish = new Histogram(3);
    Histogram publishText = new Histogram(3);
    Histogram decode = new Histogram(3);
    Histogram publishNewShape = new Histogram(3);
    Histogram decodeNewShape = new Histogram(3);
    try (JsonMmapFile writer =
            JsonMmapFile.open(
                JsonMmapOptions.builder(path)
                    .role(Role.WRITER)
                    .maxSize(maxSize)
                    // An events-mode handle would watch the directory, and the watcher hands its
                    // events to every handle of the file in this JVM, the reader's too.
                    .watchMode(WatchMode.POLL)
                    .pollInterval(Duration.ofHours(1))
                    .build());
        JsonMmapFile reader =
            JsonMmapFile.open(
                JsonMmapOptions.builder(path)
                    .role(Role.READER)
                    .maxSize(maxSize)
                    // Only refresh() below reads: the watcher must not race it.
                    .watchMode(WatchMode.POLL)
                    .pollInterval(Duration.ofHours(1))
                    .build())) {
      // Warm-up: half the counted iterations and at least a second. A count alone gave the 16 MiB
      // size 2 versions of warm-up, and its counted publishes were still getting faster: 50.6 and
      // 74.8 ms p50 against 42.2 and 43.3 ms after a second of warm-up (the two in turn).
      int warmup = Math.max(2, iterations / 2);
      long warmUntil = System.nanoTime() + WARM_UP_NANOS;
      long seq = 0;
      for (int i = 0; i < warmup || System.nanoTime() - warmUntil < 0; i++) {
        publishAndRead(
            writer, reader, BenchDocs.root(seq++, Clock.epochNanos(), items), null, null);
        publishAndRead(writer, reader, text.version(seq++, Clock.epochNanos()), null, null);
        publishAndRead(writer, reader, text.version(seq++, Clock.epochNanos(), true), null, null);
        publishAndRead(writer, reader, text.version(seq++, Clock.epochNanos()), null, null);
      }
      for (int i = 0; i < iterations; i++) {
        publishAndRead(
            writer, reader, BenchDocs.root(seq++, Clock.epochNanos(), items), publish, decode);
        publishAndRead(
            writer, reader, text.version(seq++, Clock.epochNanos()), publishText, decode);
        publishAndRead(
            writer,
            reader,
            text.version(seq++, Clock.epochNanos(), true),
            publishNewShape,
            decodeNewShape);
        publishAndRead(writer, reader, text.version(seq++, Clock.epochNanos()), null, null);
      }
    } finally {
      Files.deleteIfExists(path);
      Files.deleteIfExists(path.resolveSibling(path.getFileName() + ".lock"));
    }
    return new Point(
        targetBytes, docBytes, publish, publishText, decode, publishNewShape, decodeNewShape);
  }

  /**
   * Publishes {@code document} (a tree or its text), has the reader take it in, and records both
   * times when asked.
   */
  private static void publishAndRead(
      JsonMmapFile writer,
      JsonMmapFile reader,
      Object document,
      Histogram publish,
      Histogram decode) {
    long t0 = System.nanoTime();
    Snapshot published = writer.publish(document);
    long t1 = System.nanoTime();
    Snapshot read = reader.refresh();
    long t2 = System.nanoTime();
    if (read.version() != published.version()) {
      throw new IllegalStateException(
          "reader saw version " + read.version() + ", expected " + published.version());
    }
    if (publish != null) {
      publish.recordValue(t1 - t0);
      decode.recordValue(t2 - t1);
    }
  }
}
