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
import org.HdrHistogram.Histogram;
import tools.jackson.databind.node.ObjectNode;

/**
 * Publish and decode cost by document size, in one process: the writer's {@code publish} call
 * (serialise, CRC-32, copy into the mapping, flip the slot, bump the mtime) and a reader's pick-up
 * of the new version through {@code refresh()} (copy out, verify the CRC, parse, flatten, diff).
 *
 * <p>Not thread-safe.
 */
final class SizeScan {

  /** Per size, in nanoseconds. */
  record Point(int targetBytes, int docBytes, Histogram publish, Histogram decode) {}

  private SizeScan() {}

  static Point measure(Path dir, int targetBytes, int iterations) throws IOException {
    Path path = dir.resolve("scan-" + targetBytes + ".jsonmmap");
    ObjectNode items = BenchDocs.items(targetBytes);
    int docBytes =
        BenchDocs.serialize(BenchDocs.root(Long.MAX_VALUE, Long.MAX_VALUE, items)).length;
    long maxSize = Math.max(JsonMmapOptions.DEFAULT_MAX_SIZE, 4L * docBytes + (1 << 20));
    Histogram publish = new Histogram(3);
    Histogram decode = new Histogram(3);
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
      int warmup = Math.max(2, iterations / 2);
      for (int i = 0; i < warmup + iterations; i++) {
        ObjectNode root = BenchDocs.root(i, Clock.epochNanos(), items);
        long t0 = System.nanoTime();
        Snapshot published = writer.publish(root);
        long t1 = System.nanoTime();
        Snapshot read = reader.refresh();
        long t2 = System.nanoTime();
        if (read.version() != published.version()) {
          throw new IllegalStateException(
              "reader saw version " + read.version() + ", expected " + published.version());
        }
        if (i >= warmup) {
          publish.recordValue(t1 - t0);
          decode.recordValue(t2 - t1);
        }
      }
    } finally {
      Files.deleteIfExists(path);
      Files.deleteIfExists(path.resolveSibling(path.getFileName() + ".lock"));
    }
    return new Point(targetBytes, docBytes, publish, decode);
  }
}
