package io.github.jsonmmap.bench;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import io.github.jsonmmap.Role;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Idle cost: reader JVMs that follow a document nobody changes, side by side over one window, with
 * the CPU time each used read from {@code /proc/<pid>/stat} (utime + stime) at its start and end. A
 * JVM that does nothing at all runs beside them as the baseline.
 *
 * <p>Not thread-safe.
 */
final class Idle {

  /**
   * One idle reader: the mode and its poll interval, and the CPU it used over the window: the whole
   * process from {@code /proc/<pid>/stat} (10 ms ticks), its threads from their {@code schedstat}
   * (nanoseconds), and jsonmmap's watcher thread alone.
   */
  record Sample(
      Peer peer,
      String setting,
      long cpuNanos,
      long threadsNanos,
      long watcherNanos,
      Duration window) {
    double percentOfCore() {
      return 100.0 * cpuNanos / window.toNanos();
    }

    double threadsPercentOfCore() {
      return 100.0 * threadsNanos / window.toNanos();
    }

    double watcherPercentOfCore() {
      return 100.0 * watcherNanos / window.toNanos();
    }
  }

  /** The watcher thread's name as the kernel keeps it (15 characters). */
  static final String WATCHER_THREAD = "jsonmmap-watche";

  private Idle() {}

  static List<Sample> measure(Path workDir, RedisServer redis, Duration window)
      throws IOException, InterruptedException {
    Path dir = workDir.resolve("idle");
    Files.createDirectories(dir);
    Path mmap = dir.resolve("config.jsonmmap");
    Path json = dir.resolve("config.json");
    Files.write(json, BenchDocs.serialize(BenchDocs.root(0, 0, BenchDocs.items(1024))));
    Map<String, Propagation.Child> children = new LinkedHashMap<>();
    List<Sample> samples = new ArrayList<>();
    try (JsonMmapFile writer = JsonMmapFile.open(JsonMmapOptions.of(mmap, Role.WRITER))) {
      writer.publish(BenchDocs.root(0, 0, BenchDocs.items(1024)));
      start(children, "BASELINE|-", Peer.BASELINE, "-", dir, 0);
      start(
          children,
          "BASELINE_LOADED|Jackson parsed the document 2000 times, JNA called",
          Peer.BASELINE_LOADED,
          json.toString(),
          dir,
          0);
      start(
          children,
          "EVENTS|safety-net poll 5s while heard (default)",
          Peer.EVENTS,
          mmap.toString(),
          dir,
          0);
      start(
          children,
          "EVENTS_JDK|safety-net poll 5s while heard (default on Linux)",
          Peer.EVENTS_JDK,
          mmap.toString(),
          dir,
          0);
      start(children, "POLL|poll 1ms", Peer.POLL, mmap.toString(), dir, 1000);
      start(children, "POLL|poll 1s (default)", Peer.POLL, mmap.toString(), dir, 1_000_000);
      start(children, "SPIN|-", Peer.SPIN, mmap.toString(), dir, 0);
      start(children, "REDIS|subscribed", Peer.REDIS, Integer.toString(redis.port()), dir, 0);
      start(children, "FILE|WatchService", Peer.FILE, json.toString(), dir, 0);
      for (Propagation.Child child : children.values()) {
        child.await("READY", Duration.ofSeconds(60));
      }
      // Let start-up work (class loading, JIT) finish before the window opens.
      Thread.sleep(3000);
      Map<String, long[]> before = new LinkedHashMap<>();
      for (Map.Entry<String, Propagation.Child> e : children.entrySet()) {
        before.put(e.getKey(), cpu(e.getValue().pid()));
      }
      long t0 = System.nanoTime();
      Thread.sleep(window.toMillis());
      Duration actual = Duration.ofNanos(System.nanoTime() - t0);
      for (Map.Entry<String, Propagation.Child> e : children.entrySet()) {
        long[] end = cpu(e.getValue().pid());
        long[] start = before.get(e.getKey());
        String[] key = e.getKey().split("\\|");
        samples.add(
            new Sample(
                Peer.valueOf(key[0]),
                key[1],
                end[0] - start[0],
                end[1] - start[1],
                end[2] - start[2],
                actual));
      }
      for (Propagation.Child child : children.values()) {
        child.stop();
      }
    } finally {
      for (Propagation.Child child : children.values()) {
        child.close();
      }
      Propagation.deleteRecursively(dir);
    }
    return samples;
  }

  private static long[] cpu(long pid) throws IOException {
    return new long[] {
      ProcStat.cpuNanos(pid),
      ProcStat.threadCpuNanos(pid, null),
      ProcStat.threadCpuNanos(pid, WATCHER_THREAD)
    };
  }

  private static void start(
      Map<String, Propagation.Child> children,
      String key,
      Peer peer,
      String target,
      Path dir,
      long pollMicros)
      throws IOException {
    children.put(
        key,
        Propagation.Child.start(
            peer, target, 1, dir.resolve("idle-" + children.size()), pollMicros, "64m"));
  }
}
