package io.github.jsonmmap.agent;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The measurement of issue #15, run on demand ({@code -Djsonmmap.agent.bench=true}): the delay from
 * an etcd put to the <em>last</em> reader on every host having the value, through one agent per
 * host, side by side with every reader watching etcd itself; and the load each puts on etcd
 * (connections, watchers, CPU). Prints a table; asserts nothing but completion.
 *
 * <p>{@code -Djsonmmap.agent.bench.hosts=3 -Djsonmmap.agent.bench.readers=2
 * -Djsonmmap.agent.bench.puts=200 -Djsonmmap.agent.bench.intervalMs=20}
 */
@EnabledIfSystemProperty(
    named = "jsonmmap.agent.bench",
    matches = "true",
    disabledReason = "a benchmark: run with -Djsonmmap.agent.bench=true")
class AgentBenchIT {

  private static final String KEY = "/bench/app";
  private static final Duration DEADLINE = Duration.ofSeconds(180);

  @TempDir Path tmp;

  private final int hosts = Integer.getInteger("jsonmmap.agent.bench.hosts", 3);
  private final int readers = Integer.getInteger("jsonmmap.agent.bench.readers", 2);
  private final int puts = Integer.getInteger("jsonmmap.agent.bench.puts", 200);
  private final int intervalMs = Integer.getInteger("jsonmmap.agent.bench.intervalMs", 20);
  private final String pad = "x".repeat(900);

  record Result(
      String name,
      double[] first,
      double[] last,
      long connections,
      long watchers,
      double cpuSeconds) {}

  @Test
  void putToLastReaderThroughAgentsAndDirect() throws Exception {
    Assumptions.assumeTrue(EtcdCluster.available(), "the etcd binary is not on the PATH");
    try (EtcdCluster etcd = new EtcdCluster(tmp.resolve("etcd"), 3)) {
      etcd.put(KEY, document(0));
      long base = 0;
      Result agent = run(etcd, true, base);
      base += puts;
      Result direct = run(etcd, false, base);
      System.out.printf(
          Locale.ROOT,
          "%nput -> reader delay, %d hosts x %d readers, %d puts %d ms apart, ~1 KB document%n",
          hosts,
          readers,
          puts,
          intervalMs);
      System.out.printf(
          Locale.ROOT,
          "%-22s %10s %10s %10s %10s %12s %9s %14s%n",
          "mode",
          "first p50",
          "last p50",
          "last p99",
          "last max",
          "clients' conns",
          "watchers",
          "etcd CPU (s)");
      for (Result r : List.of(agent, direct)) {
        System.out.printf(
            Locale.ROOT,
            "%-22s %8.2fms %8.2fms %8.2fms %8.2fms %12d %9d %14.2f%n",
            r.name(),
            percentile(r.first(), 50),
            percentile(r.last(), 50),
            percentile(r.last(), 99),
            percentile(r.last(), 100),
            r.connections(),
            r.watchers(),
            r.cpuSeconds());
      }
    }
  }

  private String document(long seq) {
    return "{\"seq\":" + seq + ",\"pad\":\"" + pad + "\"}";
  }

  private Result run(EtcdCluster etcd, boolean viaAgent, long base) throws Exception {
    List<Child> agents = new ArrayList<>();
    List<Child> readerProcesses = new ArrayList<>();
    long baseline = etcdConnections(etcd);
    try {
      for (int h = 0; h < hosts; h++) {
        Path dir = Files.createDirectories(tmp.resolve((viaAgent ? "agent" : "direct") + h));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Path file = dir.resolve("app.json");
        if (viaAgent) {
          Child agent =
              Child.start(
                  "agent" + h,
                  List.of(
                      Child.java(),
                      "-Xmx160m",
                      "-XX:+UseSerialGC",
                      "-jar",
                      System.getProperty("jsonmmap.agent.jar"),
                      "--jsonmmap.agent.source=etcd",
                      "--jsonmmap.agent.etcd.endpoints=" + String.join(",", etcd.endpoints()),
                      "--jsonmmap.agent.etcd.key=" + KEY,
                      "--jsonmmap.agent.file=" + file,
                      "--server.port=0",
                      "--logging.structured.format.console="));
          agents.add(agent);
          await()
              .atMost(DEADLINE)
              .until(() -> agent.hasLine("published:") || agent.hasLine("etcd read"));
          await().atMost(DEADLINE).until(() -> Files.exists(file));
        }
        for (int r = 0; r < readers; r++) {
          Child reader =
              viaAgent
                  ? Child.jvm("mmap" + h + "." + r, BenchReader.class, "mmap", file.toString())
                  : Child.jvm(
                      "etcd" + h + "." + r,
                      BenchReader.class,
                      "etcd",
                      String.join(",", etcd.endpoints()),
                      KEY);
          readerProcesses.add(reader);
        }
      }
      for (Child reader : readerProcesses) {
        await().atMost(DEADLINE).until(() -> reader.hasLine("ready") && seen(reader, base) > 0);
      }
      long connections = etcdConnections(etcd) - baseline;
      long watchers = 0;
      for (int i = 0; i < 3; i++) {
        watchers += etcd.metric(i, "etcd_debugging_mvcc_watcher_total");
      }
      double cpuBefore = etcdCpuSeconds(etcd);
      long[] putAt = new long[puts + 1];
      for (int k = 1; k <= puts; k++) {
        putAt[k] = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
        etcd.put(KEY, document(base + k));
        Thread.sleep(intervalMs);
      }
      for (Child reader : readerProcesses) {
        await().atMost(DEADLINE).until(() -> seen(reader, base + puts) > 0);
      }
      double cpu = etcdCpuSeconds(etcd) - cpuBefore;
      double[] first = new double[puts];
      double[] last = new double[puts];
      for (int k = 1; k <= puts; k++) {
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (Child reader : readerProcesses) {
          long at = firstSeenAtOrAfter(reader, base + k);
          min = Math.min(min, at);
          max = Math.max(max, at);
        }
        first[k - 1] = (min - putAt[k]) / 1000.0;
        last[k - 1] = (max - putAt[k]) / 1000.0;
      }
      return new Result(
          viaAgent ? "agent per host" : "every reader on etcd",
          first,
          last,
          connections,
          watchers,
          cpu);
    } finally {
      readerProcesses.forEach(Child::close);
      agents.forEach(Child::close);
    }
  }

  /** When the reader first had seq or a later one (a reader may skip coalesced versions). */
  private static long firstSeenAtOrAfter(Child reader, long seq) {
    for (String line : reader.linesStartingWith("seen ")) {
      String[] parts = line.split(" ");
      if (Long.parseLong(parts[1]) >= seq) {
        return Long.parseLong(parts[2]);
      }
    }
    throw new IllegalStateException(reader + " never saw seq=" + seq);
  }

  private static long seen(Child reader, long seq) {
    return reader.linesStartingWith("seen ").stream()
        .filter(l -> Long.parseLong(l.split(" ")[1]) >= seq)
        .count();
  }

  private static double percentile(double[] values, double p) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }

  /** Established TCP connections to the members' client ports, from /proc/net/tcp. */
  private static long etcdConnections(EtcdCluster etcd) throws IOException {
    List<Integer> ports =
        etcd.endpoints().stream()
            .map(e -> Integer.parseInt(e.substring(e.lastIndexOf(':') + 1)))
            .toList();
    long count = 0;
    for (String line : Files.readAllLines(Path.of("/proc/net/tcp"))) {
      String[] f = line.trim().split("\\s+");
      if (f.length < 4 || !f[3].equals("01")) {
        continue;
      }
      int local = Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1), 16);
      if (ports.contains(local)) {
        count++;
      }
    }
    return count;
  }

  private static double etcdCpuSeconds(EtcdCluster etcd) throws IOException {
    double total = 0;
    for (int i = 0; i < 3; i++) {
      String stat = Files.readString(Path.of("/proc/" + etcd.pid(i) + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      total += (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
    }
    return total;
  }
}
