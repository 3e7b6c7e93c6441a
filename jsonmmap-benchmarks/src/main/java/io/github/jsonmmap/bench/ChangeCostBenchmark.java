package io.github.jsonmmap.bench;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import io.github.jsonmmap.Role;
import io.github.jsonmmap.Snapshot;
import io.github.jsonmmap.WatchMode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import tools.jackson.databind.node.ObjectNode;

/**
 * The change path's cost per version by document size, in one process: the writer's {@link
 * #publish}, a reader's {@link #decode} of the version just published (copy, CRC-32, strict UTF-8,
 * parse, bound walk), and both in a row ({@link #publishAndDecode}), which is the work behind a
 * cross-process propagation less the wake-up. Divide by the size for the per-MiB figures of issue
 * #12.
 *
 * <p>Run one size at a time for the large ones, e.g. {@code java -jar benchmarks.jar
 * ChangeCostBenchmark -p size=16777216 -f 1 -wi 3 -i 5}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@State(Scope.Benchmark)
public class ChangeCostBenchmark {

  @Param({"1024", "1048576", "4194304", "16777216"})
  public int size;

  private Path dir;
  private JsonMmapFile writer;
  private JsonMmapFile reader;
  private ObjectNode items;
  private long seq;

  @Setup
  public void setup() throws IOException {
    dir = WorkDir.create("jsonmmap-jmh-change");
    Path path = dir.resolve("config.jsonmmap");
    items = BenchDocs.items(size);
    int docBytes =
        BenchDocs.serialize(BenchDocs.root(Long.MAX_VALUE, Long.MAX_VALUE, items)).length;
    long maxSize = Math.max(JsonMmapOptions.DEFAULT_MAX_SIZE, 4L * docBytes + (1 << 20));
    // Polling handles with an hour between polls: only the benchmark methods read and write.
    writer =
        JsonMmapFile.open(
            JsonMmapOptions.builder(path)
                .role(Role.WRITER)
                .maxSize(maxSize)
                .watchMode(WatchMode.POLL)
                .pollInterval(Duration.ofHours(1))
                .build());
    writer.publish(BenchDocs.root(seq++, 0, items));
    reader =
        JsonMmapFile.open(
            JsonMmapOptions.builder(path)
                .role(Role.READER)
                .maxSize(maxSize)
                .watchMode(WatchMode.POLL)
                .pollInterval(Duration.ofHours(1))
                .build());
  }

  @TearDown
  public void tearDown() throws IOException {
    reader.close();
    writer.close();
    Propagation.deleteRecursively(dir);
  }

  /** One publish of a new version (only two small fields differ from the last). */
  @Benchmark
  public Snapshot publish() {
    return writer.publish(BenchDocs.root(seq++, 0, items));
  }

  /** Publishes the version that {@link #decode} then reads, outside the measured time. */
  @State(Scope.Thread)
  public static class NewVersion {
    @Setup(Level.Invocation)
    public void publish(ChangeCostBenchmark bench) {
      bench.publish();
    }
  }

  /** A reader taking in the version just published. */
  @Benchmark
  public Snapshot decode(NewVersion newVersion) {
    Snapshot read = reader.refresh();
    long expected = writer.snapshot().version();
    if (read.version() != expected) {
      throw new IllegalStateException("reader saw " + read.version() + ", expected " + expected);
    }
    return read;
  }

  /** A publish and a reader taking it in: the in-process part of publish + propagate. */
  @Benchmark
  public Snapshot publishAndDecode() {
    publish();
    return reader.refresh();
  }
}
