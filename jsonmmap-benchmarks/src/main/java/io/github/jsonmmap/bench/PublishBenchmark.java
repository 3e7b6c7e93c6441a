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
 * Writer and reader cost per version by document size: {@link #publish} (serialise, CRC-32, copy
 * into the mapping, flip the slot, bump the mtime), {@link #publishText} (the same given the
 * version's JSON text) and {@link #decode} (a reader picking up a new version: copy out, verify the
 * CRC, check it; each version changes values only, so the check is against the version before,
 * where they differ).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class PublishBenchmark {

  @Param({"1024", "65536", "1048576"})
  public int size;

  private Path dir;
  private JsonMmapFile writer;
  private JsonMmapFile reader;
  private ObjectNode items;
  private BenchDocs.Text text;
  private long seq;

  @Setup
  public void setup() throws IOException {
    dir = WorkDir.create("jsonmmap-jmh-publish");
    Path path = dir.resolve("config.jsonmmap");
    items = BenchDocs.items(size);
    text = new BenchDocs.Text(items);
    // Polling writer: an events-mode handle would make the JVM's watcher read for the reader too.
    writer =
        JsonMmapFile.open(
            JsonMmapOptions.builder(path)
                .role(Role.WRITER)
                .watchMode(WatchMode.POLL)
                .pollInterval(Duration.ofHours(1))
                .build());
    writer.publish(BenchDocs.root(seq++, 0, items));
    reader =
        JsonMmapFile.open(
            JsonMmapOptions.builder(path)
                .role(Role.READER)
                // Only decode() reads: the watcher must not race it.
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

  @Benchmark
  public Snapshot publish() {
    return writer.publish(BenchDocs.root(seq++, 0, items));
  }

  /** The same version published as JSON text, which the writer stores without a tree. */
  @Benchmark
  public Snapshot publishText() {
    return writer.publish(text.version(seq++, 0));
  }

  /** Publishes the version that {@link #decode} then reads, outside the measured time. */
  @State(Scope.Thread)
  public static class NewVersion {
    @Setup(Level.Invocation)
    public void publish(PublishBenchmark bench) {
      bench.publish();
    }
  }

  @Benchmark
  public Snapshot decode(NewVersion newVersion) {
    return reader.refresh();
  }
}
