package io.github.jsonmmap.bench;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import io.github.jsonmmap.Role;
import io.github.jsonmmap.Snapshot;
import io.github.jsonmmap.WatchMode;
import io.github.jsonmmap.spring.env.JsonMmapPropertySource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The in-process read path of a reader of a 1 KiB document: what application code pays per config
 * read when nothing changes.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
public class ReadPathBenchmark {

  static final String PREFIX = "shared.";
  static final String PROPERTY = PREFIX + BenchDocs.KEY;

  private Path dir;
  private JsonMmapFile writer;
  private JsonMmapFile reader;
  private JsonMmapPropertySource source;

  @Setup
  public void setup() throws IOException, InterruptedException {
    dir = WorkDir.create("jsonmmap-jmh-read");
    Path path = dir.resolve("config.jsonmmap");
    writer = JsonMmapFile.open(JsonMmapOptions.of(path, Role.WRITER));
    writer.publish(BenchDocs.root(1, Clock.epochNanos(), BenchDocs.items(1024)));
    writer.publish(BenchDocs.root(2, Clock.epochNanos(), BenchDocs.items(1024)));
    reader =
        JsonMmapFile.open(
            JsonMmapOptions.builder(path).role(Role.READER).watchMode(WatchMode.EVENTS).build());
    if (reader.refresh().version() == 0 || !Integer.valueOf(BenchDocs.KEY_VALUE).equals(get())) {
      throw new IllegalStateException("reader did not see the document: " + reader.snapshot());
    }
    source = new JsonMmapPropertySource(reader, PREFIX);
  }

  @TearDown
  public void tearDown() throws IOException {
    reader.close();
    writer.close();
    Propagation.deleteRecursively(dir);
  }

  /** The latest snapshot: one volatile read. */
  @Benchmark
  public Snapshot snapshot() {
    return reader.snapshot();
  }

  /** One value from the flattened map. */
  @Benchmark
  public Object get() {
    return reader.snapshot().get(BenchDocs.KEY);
  }

  /** One value converted to a type (walks the tree, converts with Jackson). */
  @Benchmark
  public Optional<Integer> typedGet() {
    return reader.snapshot().get(BenchDocs.KEY, Integer.class);
  }

  /** One value through the Spring {@code PropertySource}, as {@code Environment} lookups do. */
  @Benchmark
  public Object propertySource() {
    return source.getProperty(PROPERTY);
  }

  /** A look at the header that finds no new version (what every poll and event costs). */
  @Benchmark
  public Snapshot versionCheckNoChange() {
    return reader.refresh();
  }

  /**
   * A full read of a 1 KiB version from the file: the previous slot, copied, checked and parsed
   * (what a reader pays once per new version).
   */
  @Benchmark
  public Optional<Snapshot> fullRead() {
    return reader.previous();
  }
}
