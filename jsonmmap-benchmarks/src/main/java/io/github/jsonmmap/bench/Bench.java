package io.github.jsonmmap.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.HdrHistogram.Histogram;
import tools.jackson.databind.JsonNode;

/**
 * Runs the cross-process scenarios (propagation steady and in bursts, document size, reader count,
 * idle cost), reads the JMH results of the same run, and writes {@code RESULTS.md} and the SVG
 * plots. {@code ./bench.sh [--quick]} runs JMH and then this.
 *
 * <p>Arguments: {@code [--quick] [--only PARTS] [--peers PEERS] [--sizes BYTES,...] [--out DIR]
 * [--jmh FILE] [--command TEXT]}, where PARTS is a comma-separated subset of {@link #PARTS} (all by
 * default) so that a shared machine runs only what a question needs, {@code --peers} (names of
 * {@link Peer}) limits the peers of the steady, burst and cold parts, and {@code --sizes} replaces
 * the document sizes of the {@code sizes} part.
 */
public final class Bench {

  private static final PrintStream LOG = System.err;
  private static final double[] PERCENTILES = {
    0, 10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 92.5, 95, 96.25, 97.5, 98.125, 98.75, 99, 99.375,
    99.5, 99.6875, 99.75, 99.84375, 99.9, 99.921875, 99.95, 99.96, 99.97, 99.98, 99.99, 99.995,
    99.999
  };

  /** The harness parts, in the order they run. */
  static final List<String> PARTS =
      List.of("steady", "steady-many", "burst", "cold", "sizes", "readers", "idle");

  private final boolean quick;
  private final Set<String> parts;
  private final int[] sizeTargets;
  private final List<Peer> peers;
  private final Path out;
  private final Path jmhJson;
  private final String command;

  private final Map<Integer, List<Propagation.Result>> steady = new LinkedHashMap<>();

  private final List<Propagation.Result> burst = new ArrayList<>();
  private final List<Propagation.Result> cold = new ArrayList<>();
  private int coldChanges;
  private final List<SizeScan.Point> sizes = new ArrayList<>();
  private final Map<Peer, List<Propagation.Result>> sizePropagation = new LinkedHashMap<>();

  /**
   * The peers of the size part, in the order they run per size; the text-publishing writer runs
   * whenever events mode does.
   */
  private static final Peer[] SIZE_PEERS = {Peer.EVENTS, Peer.EVENTS_TEXT, Peer.REDIS, Peer.FILE};

  private final Map<Peer, List<Propagation.Result>> readerScale = new LinkedHashMap<>();
  private final List<Idle.Sample> idle = new ArrayList<>();
  private String redisVersion = "?";
  private String loadBefore;
  private String loadAfter;
  private ZonedDateTime started;
  private Duration elapsed;

  private Bench(
      boolean quick,
      Set<String> parts,
      List<Peer> peers,
      int[] sizeTargets,
      Path out,
      Path jmhJson,
      String command) {
    this.quick = quick;
    this.peers = peers;
    this.parts = parts;
    this.sizeTargets = sizeTargets;
    this.out = out;
    this.jmhJson = jmhJson;
    this.command = command;
  }

  public static void main(String[] args) throws Exception {
    boolean quick = false;
    Path out = Path.of("docs/benchmarks");
    Path jmh = null;
    String command = "java " + Bench.class.getName() + " " + String.join(" ", args);
    Set<String> parts = new LinkedHashSet<>(PARTS);
    int[] sizeTargets = null;
    List<Peer> peers =
        List.of(
            Peer.EVENTS,
            Peer.EVENTS_JDK,
            Peer.POLL,
            Peer.SPIN,
            Peer.REDIS,
            Peer.FILE,
            Peer.FLOOR,
            Peer.FLOOR_EVENTS);
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> quick = true;
        case "--only" -> {
          parts = new LinkedHashSet<>(List.of(args[++i].split(",")));
          if (!PARTS.containsAll(parts)) {
            throw new IllegalArgumentException("unknown part in " + parts + "; parts: " + PARTS);
          }
        }
        case "--peers" ->
            peers = java.util.Arrays.stream(args[++i].split(",")).map(Peer::valueOf).toList();
        case "--sizes" ->
            sizeTargets =
                java.util.Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
        case "--out" -> out = Path.of(args[++i]);
        case "--jmh" -> jmh = Path.of(args[++i]);
        case "--command" -> command = args[++i];
        default -> throw new IllegalArgumentException("unknown argument: " + args[i]);
      }
    }
    new Bench(quick, parts, peers, sizeTargets, out, jmh, command).run();
  }

  private void run() throws Exception {
    started = ZonedDateTime.now();
    loadBefore = Machine.loadAverage();
    long t0 = System.nanoTime();
    Path work = WorkDir.create("jsonmmap-bench");
    try (RedisServer redis = RedisServer.start(work.resolve("redis"))) {
      redisVersion = redis.version();
      Propagation propagation = new Propagation(work, redis);
      if (parts.contains("steady") || parts.contains("cold")) {
        // This JVM is the writer of every run: compile its publish path before anything counts,
        // or the first peer measured shares the cores with the writer's JIT.
        LOG.print("writer warm-up (not reported): ");
        measure(propagation, Propagation.Spec.steady(Peer.EVENTS, 1, 0, 1000));
      }
      runSteady(propagation);
      if (parts.contains("burst")) {
        runBurst(propagation);
      }
      if (parts.contains("cold")) {
        runCold(propagation);
      }
      if (parts.contains("sizes")) {
        runSizes(propagation, work);
      }
      if (parts.contains("readers")) {
        runReaderScale(propagation);
      }
      if (parts.contains("idle")) {
        LOG.println("idle cost over " + idleWindow().toSeconds() + " s ...");
        try {
          idle.addAll(Idle.measure(work, redis, idleWindow()));
        } catch (IOException e) {
          LOG.println("idle cost FAILED: " + e.getMessage());
        }
      }
    } finally {
      Propagation.deleteRecursively(work);
    }
    elapsed = Duration.ofNanos(System.nanoTime() - t0);
    loadAfter = Machine.loadAverage();
    Files.createDirectories(out);
    writeReport();
    LOG.println("wrote " + out.resolve("RESULTS.md"));
  }

  private Duration idleWindow() {
    return quick ? Duration.ofSeconds(5) : Duration.ofSeconds(120);
  }

  private Propagation.Result measure(Propagation propagation, Propagation.Spec spec)
      throws IOException, InterruptedException {
    LOG.print(spec.describe() + " ... ");
    LOG.flush();
    Propagation.Result r;
    try {
      r = propagation.run(spec);
    } catch (IOException e) {
      // One failed run must not cost the others: it shows as 0 delivered in the tables.
      LOG.println("FAILED: " + e.getMessage());
      Histogram empty = new Histogram(3);
      return new Propagation.Result(spec, empty, empty, 0, empty, spec.docBytes());
    }
    LOG.printf(
        Locale.ROOT,
        "p50 %s p99 %s (%d/%d delivered)%n",
        us(r.all(), 50),
        us(r.all(), 99),
        r.delivered(),
        r.expected());
    return r;
  }

  private void runSteady(Propagation propagation) throws IOException, InterruptedException {
    int warmup = quick ? 100 : 500;
    int changes = quick ? 300 : 2000;
    List<Integer> counts = new ArrayList<>();
    if (parts.contains("steady")) {
      counts.add(1);
    }
    if (parts.contains("steady-many")) {
      counts.addAll(quick ? List.of(4) : List.of(4, 16));
    }
    for (int readers : counts) {
      // The peers take turns, each round with fresh reader JVMs warmed up again, and the rounds are
      // pooled: the host's speed drifts within minutes on this kind of machine (the raw inotify
      // floor measured 6.7 and 34 us in two runs an hour apart), and one long run per peer put a
      // ratio between two peers at the mercy of the minute each ran in.
      int rounds = steadyRounds(readers);
      steady.put(
          readers,
          inRounds(
              propagation,
              rounds,
              peer -> !(peer.spins() && readers > 1),
              peer -> Propagation.Spec.steady(peer, readers, warmup, changes / rounds)));
    }
  }

  /** How many rounds the steady part with {@code readers} readers pools. */
  private int steadyRounds(int readers) {
    return quick ? 1 : readers == 1 ? 4 : 2;
  }

  /**
   * Runs the peers that {@code runs} takes in turn, {@code rounds} times, each time with fresh
   * reader JVMs, and pools each peer's rounds: every round shares the machine's conditions of its
   * minute with the other peers.
   */
  private List<Propagation.Result> inRounds(
      Propagation propagation,
      int rounds,
      Predicate<Peer> runs,
      Function<Peer, Propagation.Spec> spec)
      throws IOException, InterruptedException {
    Map<Peer, Propagation.Result> pooled = new LinkedHashMap<>();
    for (int round = 0; round < rounds; round++) {
      for (Peer peer : propagationPeers()) {
        if (runs.test(peer)) {
          pooled.merge(peer, measure(propagation, spec.apply(peer)), Bench::pool);
        }
      }
    }
    return new ArrayList<>(pooled.values());
  }

  private void runBurst(Propagation propagation) throws IOException, InterruptedException {
    int warmup = quick ? 50 : 200;
    int changes = quick ? 200 : 1000;
    for (Peer peer : propagationPeers()) {
      burst.add(
          measure(
              propagation,
              Propagation.Spec.steady(peer, 1, warmup, changes)
                  .withBurst(10)
                  .withInterval(Duration.ofMillis(20))));
    }
  }

  /**
   * The cold path: the first changes a fresh reader JVM sees, no warm-up (config changes are rare,
   * so this is what users live on). Several fresh readers per peer, the peers taking turns so that
   * each round shares the machine's conditions; their delays are pooled.
   */
  private void runCold(Propagation propagation) throws IOException, InterruptedException {
    int changes = quick ? 300 : 1000;
    int rounds = quick ? 1 : 3;
    coldChanges = changes;
    cold.addAll(
        inRounds(
            propagation,
            rounds,
            peer -> !peer.spins() && peer != Peer.POLL,
            peer -> Propagation.Spec.steady(peer, 1, 0, changes)));
  }

  private static Propagation.Result pool(Propagation.Result a, Propagation.Result b) {
    Histogram all = a.all().copy();
    all.add(b.all());
    Histogram last = a.lastReader().copy();
    last.add(b.lastReader());
    Histogram publish = a.publish().copy();
    publish.add(b.publish());
    Propagation.Spec s = a.spec();
    Propagation.Spec spec =
        new Propagation.Spec(
            s.peer(),
            s.readers(),
            s.warmup(),
            s.changes() + b.spec().changes(),
            s.interval(),
            s.burst(),
            s.docBytes(),
            s.readerHeap());
    return new Propagation.Result(
        spec, all, last, a.delivered() + b.delivered(), publish, a.docBytes());
  }

  private void runSizes(Propagation propagation, Path work)
      throws IOException, InterruptedException {
    int[] targets =
        sizeTargets != null
            ? sizeTargets
            : quick
                ? new int[] {1 << 10, 64 << 10, 1 << 20}
                : new int[] {
                  1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20
                };
    for (int target : targets) {
      int iterations = (int) Math.max(5, Math.min(quick ? 100 : 400, (64L << 20) / target));
      SizeScan.Point point = SizeScan.measure(work, target, iterations);
      sizes.add(point);
      LOG.printf(
          Locale.ROOT,
          "size %s: publish p50 %s (text %s, new shape %s), decode p50 %s (new shape %s)%n",
          BenchDocs.size(target),
          us(point.publish(), 50),
          us(point.publishText(), 50),
          us(point.publishNewShape(), 50),
          us(point.decode(), 50),
          us(point.decodeNewShape(), 50));
      // Leave each change time to be written and read by every side before the next one.
      long perChange =
          point.publish().getValueAtPercentile(50) + point.decode().getValueAtPercentile(50);
      Duration interval = Duration.ofNanos(Math.max(2_000_000L, 3 * perChange));
      boolean large = target >= (4 << 20);
      int changes =
          (int)
              Math.max(
                  large ? 6 : 10, Math.min(quick ? 100 : 300, 4_000_000_000L / interval.toNanos()));
      int warmup = large ? 2 : Math.max(3, changes / 4);
      String heap = readerHeap(target);
      for (Peer peer : SIZE_PEERS) {
        boolean asked =
            peers.contains(peer) || (peer == Peer.EVENTS_TEXT && peers.contains(Peer.EVENTS));
        if (!asked) {
          continue;
        }
        sizePropagation
            .computeIfAbsent(peer, p -> new ArrayList<>())
            .add(
                measure(
                    propagation,
                    Propagation.Spec.steady(peer, 1, warmup, changes)
                        .withInterval(interval)
                        .withDoc(target, heap)));
      }
    }
  }

  private void runReaderScale(Propagation propagation) throws IOException, InterruptedException {
    int warmup = quick ? 50 : 200;
    int changes = quick ? 150 : 500;
    for (Peer peer : new Peer[] {Peer.EVENTS, Peer.REDIS, Peer.FILE}) {
      for (int readers : quick ? new int[] {1, 4, 8} : new int[] {1, 2, 4, 8, 16, 32}) {
        readerScale
            .computeIfAbsent(peer, p -> new ArrayList<>())
            .add(measure(propagation, Propagation.Spec.steady(peer, readers, warmup, changes)));
      }
    }
  }

  private List<Peer> propagationPeers() {
    return peers;
  }

  static String us(Histogram h, double percentile) {
    return SvgChart.micros(h.getValueAtPercentile(percentile) / 1000.0);
  }

  // ------------------------------------------------------------------ report

  private void writeReport() throws IOException {
    StringBuilder md = new StringBuilder();
    md.append("# jsonmmap benchmark results\n\n");
    md.append(
        "Generated by `io.github.jsonmmap.bench.Bench` (see `bench.sh`); do not edit by hand.\n\n");
    md.append("| | |\n|---|---|\n");
    md.append("| date | ")
        .append(started.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME))
        .append(" |\n");
    md.append("| command | `").append(command).append("` |\n");
    md.append("| mode | ")
        .append(quick ? "--quick (small counts, 5 s idle window)" : "full")
        .append(" |\n");
    md.append("| duration | ")
        .append(elapsed.toMinutes())
        .append(" min ")
        .append(elapsed.toSecondsPart())
        .append(" s (harness; JMH ran before it) |\n");
    for (Map.Entry<String, String> e : Machine.describe().entrySet()) {
      md.append("| ").append(e.getKey()).append(" | ").append(e.getValue()).append(" |\n");
    }
    md.append("| redis-server | ")
        .append(redisVersion)
        .append(" (loopback, `--save '' --appendonly no`) |\n");
    md.append("| shared files | ").append(WorkDir.base()).append(" |\n");
    md.append("| writer JVM (the harness) | `")
        .append(javaOptions(ManagementFactory.getRuntimeMXBean().getInputArguments()))
        .append("`, ")
        .append(collectors())
        .append(" |\n");
    md.append("| reader JVMs | `")
        .append(readerOptions(1 << 10))
        .append("` (the size part: `")
        .append(readerOptions(256 << 10))
        .append("` from 256 KiB, `")
        .append(readerOptions(4 << 20))
        .append("` from 4 MiB) |\n");
    md.append("| load average before / after | ")
        .append(loadBefore)
        .append(" / ")
        .append(loadAfter)
        .append(" |\n\n");
    double load = Machine.load1(loadBefore);
    int cores = Runtime.getRuntime().availableProcessors();
    if (load > 0.5 * cores) {
      md.append(
          String.format(
              Locale.ROOT,
              "> **The machine was shared:** the 1-minute load average was %.1f on %d cores when the run started,"
                  + " so tail latencies (p99 and up) include waits for a core. Ratios between peers measured in the"
                  + " same run are more trustworthy than absolute times.%n%n",
              load,
              cores));
    }
    Map<String, JmhScore> jmh = Jmh.read(jmhJson);
    targets(md, jmh);
    md.append("## 1. Propagation across JVMs\n\n");
    md.append(
        "A writer JVM publishes a ~1 KiB document every 2 ms; each reader JVM records the delay from the"
            + " timestamp taken just before the writer's publish call to the moment its code holds the parsed value"
            + " (jsonmmap: the change listener; Redis: `onMessage` after parsing; file: re-read and parsed after the"
            + " WatchService event; floor: the spinning reader sees the new sequence). Uncounted warm-up changes"
            + " first. Spinning readers (jsonmmap spin, the floor) run with 1 reader only: each needs a core of its own"
            + " and this machine has "
            + cores
            + ".\n\n");
    if (!cold.isEmpty()) {
      propagationTable(
          md,
          "Cold: the first "
              + coldChanges
              + " changes of fresh readers, 1 reader at a time, 2 ms apart, no warm-up",
          cold,
          "propagation-cold");
      md.append(
          "Each peer ran with fresh reader JVMs (no warm-up), the peers taking turns; the delays of"
              + " all rounds are pooled (\"delivered\" counts them together).\n\n");
    }
    for (Map.Entry<Integer, List<Propagation.Result>> e : steady.entrySet()) {
      String name = "propagation-" + e.getKey() + (e.getKey() == 1 ? "-reader" : "-readers");
      propagationTable(
          md,
          "Steady, " + e.getKey() + (e.getKey() == 1 ? " reader" : " readers") + ", 2 ms apart",
          e.getValue(),
          name);
      int rounds = steadyRounds(e.getKey());
      if (rounds > 1) {
        md.append(
            String.format(
                Locale.ROOT,
                "The peers took turns in %d rounds, each with fresh reader JVMs and its own"
                    + " warm-up; the counted delays of all rounds are pooled.%n%n",
                rounds));
      }
    }
    if (!burst.isEmpty()) {
      propagationTable(
          md, "Bursts of 10 back to back, 20 ms apart, 1 reader", burst, "propagation-burst");
      md.append(
          "In bursts jsonmmap readers may skip versions that were replaced before they looked (they always get"
              + " the latest; \"delivered\" counts what each reader saw), while Redis delivers every message.\n\n");
    }
    readCost(md, jmh);
    if (!sizes.isEmpty() || !readerScale.isEmpty()) {
      scale(md);
    }
    if (!idle.isEmpty()) {
      idleTable(md);
    }
    Path analysis = out.resolve("analysis.md");
    if (Files.exists(analysis)) {
      md.append("## Analysis\n\n").append(Files.readString(analysis).trim()).append("\n");
    }
    Files.writeString(out.resolve("RESULTS.md"), md);
  }

  /** The -Xmx of the reader JVMs that follow a document of {@code bytes}. */
  private static String readerHeap(int bytes) {
    return bytes >= (4 << 20) ? "2g" : bytes >= (256 << 10) ? "512m" : "64m";
  }

  /** The options of those reader JVMs, as {@link Propagation#javaCommand} starts them. */
  private static String readerOptions(int bytes) {
    return javaOptions(Propagation.javaCommand(readerHeap(bytes)));
  }

  /** The -X options among a JVM's arguments: its heap, collector and stack settings. */
  private static String javaOptions(List<String> arguments) {
    return arguments.stream().filter(a -> a.startsWith("-X")).collect(Collectors.joining(" "));
  }

  private static String collectors() {
    return ManagementFactory.getGarbageCollectorMXBeans().stream()
        .map(GarbageCollectorMXBean::getName)
        .collect(Collectors.joining(", "));
  }

  private static Propagation.Result find(List<Propagation.Result> results, Peer peer) {
    return results.stream().filter(r -> r.spec().peer() == peer).findFirst().orElse(null);
  }

  private void targets(StringBuilder md, Map<String, JmhScore> jmh) {
    md.append("## Targets (issue #12)\n\n| target | measured | met |\n|---|---|---|\n");
    List<Propagation.Result> one = steady.getOrDefault(1, List.of());
    versusRedis(md, "warm: 1 reader after warm-up", one, Peer.EVENTS);
    floorVersusRedis(md, "warm", one);
    versusRedis(md, "cold: first changes of fresh readers", cold, Peer.EVENTS);
    floorVersusRedis(md, "cold", cold);
    versusRedis(md, "warm, JDK WatchService fallback (reference)", one, Peer.EVENTS_JDK);
    versusRedis(md, "cold, JDK WatchService fallback (reference)", cold, Peer.EVENTS_JDK);
    Propagation.Result spin = find(one, Peer.SPIN);
    Propagation.Result floor = find(one, Peer.FLOOR);
    if (spin != null) {
      md.append(
          String.format(
              Locale.ROOT,
              "| spin p50 ≤ 20 µs, ~1 KiB, from before `publish` to the listener | %s%s | %s |%n",
              SvgChart.micros(p(spin, 50)),
              floor == null
                  ? ""
                  : " (raw shm spin floor " + SvgChart.micros(p(floor, 50)) + " in the same run)",
              met(p(spin, 50) <= 20)));
    }
    perMibTarget(md, Peer.EVENTS, "events p50 ÷ size, a tree published");
    perMibTarget(md, Peer.EVENTS_TEXT, "the same, its JSON text published");
    Idle.Sample baseline = null;
    Idle.Sample loaded = null;
    for (Idle.Sample sample : idle) {
      if (sample.peer() == Peer.BASELINE) {
        baseline = sample;
      } else if (sample.peer() == Peer.BASELINE_LOADED) {
        loaded = sample;
      }
    }
    for (Idle.Sample sample : idle) {
      if (sample.peer() != Peer.EVENTS && sample.peer() != Peer.EVENTS_JDK) {
        continue;
      }
      for (Idle.Sample base : new Idle.Sample[] {baseline, loaded}) {
        if (base == null) {
          continue;
        }
        double own = sample.threadsPercentOfCore() - base.threadsPercentOfCore();
        md.append(
            String.format(
                Locale.ROOT,
                "| idle %s reader: own share over an %s < 0.05%% of a core | %.3f%% (%.3f%% − %.3f%%; watcher thread %.4f%%) | %s |%n",
                sample.peer().label(),
                base == baseline ? "idle JVM" : "idle JVM that loaded the same libraries",
                own,
                sample.threadsPercentOfCore(),
                base.threadsPercentOfCore(),
                sample.watcherPercentOfCore(),
                met(own < 0.05)));
      }
    }
    for (String[] row :
        new String[][] {
          {"ReadPathBenchmark.get", "`SharedConfigTemplate.get(key)` path: `snapshot().get(key)`"},
          {"ReadPathBenchmark.propertySource", "`PropertySource.getProperty`"}
        }) {
      JmhScore score = jmh.get(row[0]);
      if (score != null) {
        md.append(
            String.format(
                Locale.ROOT,
                "| %s ≤ 50 ns | %s | %s |%n",
                row[1],
                score.describe(),
                met(score.nanos() <= 50)));
      }
    }
    JmhScore get = jmh.get("PeerReadBenchmark.jsonmmapGet");
    JmhScore redisGet = jmh.get("PeerReadBenchmark.redisGet");
    if (get != null && redisGet != null) {
      double ratio = redisGet.nanos() / get.nanos();
      md.append(
          String.format(
              Locale.ROOT,
              "| config read ≥ 1000× cheaper than a Redis GET | %.1f ns vs %s (%.0f×) | %s |%n",
              get.nanos(),
              SvgChart.micros(redisGet.nanos() / 1000),
              ratio,
              met(ratio >= 1000)));
    }
    md.append("\n");
  }

  /** A run's p50 delay in milliseconds per MiB of its document. */
  private static double msPerMib(Propagation.Result r) {
    return p(r, 50) / 1000 / (r.docBytes() / 1048576.0);
  }

  /** The per-MiB target's row for the size-part runs of {@code peer}, if it ran. */
  private void perMibTarget(StringBuilder md, Peer peer, String how) {
    double worst = 0;
    StringBuilder perMib = new StringBuilder();
    for (Propagation.Result r : sizePropagation.getOrDefault(peer, List.of())) {
      if (r.docBytes() >= (1 << 20) && r.all().getTotalCount() > 0) {
        double ms = msPerMib(r);
        worst = Math.max(worst, ms);
        perMib
            .append(perMib.length() == 0 ? "" : ", ")
            .append(BenchDocs.size(r.spec().docBytes()))
            .append(' ')
            .append(String.format(Locale.ROOT, "%.1f ms", ms));
        Propagation.Result redis = sameSize(Peer.REDIS, r.spec().docBytes());
        if (redis != null && redis.all().getTotalCount() > 0) {
          perMib.append(String.format(Locale.ROOT, " (Redis %.1f ms)", msPerMib(redis)));
        }
      }
    }
    if (perMib.length() > 0) {
      md.append(
          String.format(
              Locale.ROOT,
              "| publish + propagate ≤ 5 ms per MiB up to 16 MiB (%s) | %s | %s |%n",
              how,
              perMib,
              met(worst <= 5)));
    }
  }

  /** The size-part run of {@code peer} for the document size {@code targetBytes}, or null. */
  private Propagation.Result sameSize(Peer peer, int targetBytes) {
    for (Propagation.Result r : sizePropagation.getOrDefault(peer, List.of())) {
      if (r.spec().docBytes() == targetBytes) {
        return r;
      }
    }
    return null;
  }

  private static String met(boolean met) {
    return met ? "yes" : "**no**";
  }

  private static void versusRedis(
      StringBuilder md, String what, List<Propagation.Result> results, Peer peer) {
    Propagation.Result events = find(results, peer);
    Propagation.Result redis = find(results, Peer.REDIS);
    if (events == null || redis == null || events.all().getTotalCount() == 0) {
      return;
    }
    double e50 = p(events, 50);
    double r50 = p(redis, 50);
    double e99 = p(events, 99);
    double r99 = p(redis, 99);
    md.append(
        String.format(
            Locale.ROOT,
            "| %s p50 ≤ ½ Redis pub/sub p50, %s | %s vs %s (%.2f×) | %s |%n",
            peer.label(),
            what,
            SvgChart.micros(e50),
            SvgChart.micros(r50),
            e50 / r50,
            met(e50 <= r50 / 2)));
    md.append(
        String.format(
            Locale.ROOT,
            "| %s p99 ≤ Redis pub/sub p99, %s | %s vs %s (%.2f×) | %s |%n",
            peer.label(),
            what,
            SvgChart.micros(e99),
            SvgChart.micros(r99),
            e99 / r99,
            met(e99 <= r99)));
  }

  /**
   * Not a target: what the events mechanism alone costs (a store, the writer's mtime bump, one
   * inotify wake-up) against Redis in the same run, the bound under the events rows.
   */
  private static void floorVersusRedis(
      StringBuilder md, String what, List<Propagation.Result> results) {
    Propagation.Result floor = find(results, Peer.FLOOR_EVENTS);
    Propagation.Result redis = find(results, Peer.REDIS);
    if (floor == null || redis == null || floor.all().getTotalCount() == 0) {
      return;
    }
    md.append(
        String.format(
            Locale.ROOT,
            "| (bound, not a target) %s p50, %s: the events mechanism alone | %s vs Redis %s (%.2f×) | - |%n",
            Peer.FLOOR_EVENTS.label(),
            what,
            SvgChart.micros(p(floor, 50)),
            SvgChart.micros(p(redis, 50)),
            p(floor, 50) / p(redis, 50)));
  }

  private static double p(Propagation.Result r, double percentile) {
    return r.all().getValueAtPercentile(percentile) / 1000.0;
  }

  private void propagationTable(
      StringBuilder md, String title, List<Propagation.Result> results, String chart)
      throws IOException {
    md.append("### ").append(title).append("\n\n");
    md.append(
        "| peer | delivered | p50 | p90 | p99 | p99.9 | max | events p50 ÷ peer p50 | events p99 ÷ peer p99 |\n");
    md.append("|---|---|---|---|---|---|---|---|---|\n");
    Propagation.Result events = find(results, Peer.EVENTS);
    if (events == null) {
      events = results.get(0);
    }
    SvgChart svg = percentileChart("Propagation: " + title);
    for (Propagation.Result r : results) {
      md.append("| ")
          .append(r.spec().peer().label())
          .append(" | ")
          .append(r.delivered())
          .append('/')
          .append(r.expected());
      for (double q : new double[] {50, 90, 99, 99.9, 100}) {
        md.append(" | ").append(SvgChart.micros(p(r, q)));
      }
      md.append(
          String.format(
              Locale.ROOT,
              " | %.2f | %.2f |%n",
              p(events, 50) / p(r, 50),
              p(events, 99) / p(r, 99)));
      svg.add(percentileSeries(r.spec().peer().label(), r.spec().peer().color(), false, r.all()));
    }
    svg.write(out.resolve(chart + ".svg"));
    md.append("\n![").append(title).append("](").append(chart).append(".svg)\n\n");
  }

  static SvgChart percentileChart(String title) {
    double[] ticks = {1, 10, 100, 1000, 10000, 100000};
    return new SvgChart(
        title,
        new SvgChart.Axis(
            "percentile",
            true,
            ticks,
            x -> {
              double pct = 100 * (1 - 1 / x);
              return new java.math.BigDecimal(pct)
                      .setScale(4, java.math.RoundingMode.HALF_UP)
                      .stripTrailingZeros()
                      .toPlainString()
                  + "%";
            }),
        new SvgChart.Axis("delay (log scale)", true, null, SvgChart::micros));
  }

  static SvgChart.Series percentileSeries(String name, String color, boolean dashed, Histogram h) {
    List<double[]> points = new ArrayList<>();
    for (double q : PERCENTILES) {
      double x = 1 / (1 - q / 100);
      if (x <= h.getTotalCount()) {
        points.add(new double[] {x, h.getValueAtPercentile(q) / 1000.0});
      }
    }
    return new SvgChart.Series(
        name,
        color,
        dashed,
        points.stream().mapToDouble(pt -> pt[0]).toArray(),
        points.stream().mapToDouble(pt -> pt[1]).toArray());
  }

  private void readCost(StringBuilder md, Map<String, JmhScore> jmh) {
    md.append("## 2. Read cost (JMH, same run)\n\n");
    if (jmh.isEmpty()) {
      md.append("No JMH results were given (`--jmh`).\n\n");
      return;
    }
    md.append("| benchmark | what it does | time per op |\n|---|---|---|\n");
    String[][] rows = {
      {"ReadPathBenchmark.snapshot", "`file.snapshot()`: one volatile read"},
      {"ReadPathBenchmark.get", "`snapshot().get(key)`: flattened-map lookup"},
      {
        "ReadPathBenchmark.typedGet",
        "`snapshot().get(key, Integer.class)`: tree walk + Jackson conversion"
      },
      {"ReadPathBenchmark.propertySource", "`JsonMmapPropertySource.getProperty(name)` (Spring)"},
      {
        "ReadPathBenchmark.versionCheckNoChange",
        "`file.refresh()` finding no new version (lock + one acquire load)"
      },
      {"PeerReadBenchmark.jsonmmapGet", "jsonmmap `snapshot().get(key)`, in the peer fork"},
      {"PeerReadBenchmark.redisGet", "Redis GET round trip on loopback (Jedis)"},
      {"PeerReadBenchmark.fileReadAndParse", "read the 1 KiB JSON file, parse, pick the value"},
    };
    for (String[] row : rows) {
      JmhScore s = jmh.get(row[0]);
      if (s != null) {
        md.append("| ")
            .append(row[0])
            .append(" | ")
            .append(row[1])
            .append(" | ")
            .append(s.describe())
            .append(" |\n");
      }
    }
    JmhScore get = jmh.get("PeerReadBenchmark.jsonmmapGet");
    JmhScore redisGet = jmh.get("PeerReadBenchmark.redisGet");
    JmhScore file = jmh.get("PeerReadBenchmark.fileReadAndParse");
    if (get != null && redisGet != null && file != null) {
      md.append(
          String.format(
              Locale.ROOT,
              "%nOne config read in jsonmmap is **%.0f×** cheaper than a Redis GET and **%.0f×** cheaper than reading and parsing the file.%n%n",
              redisGet.nanos() / get.nanos(),
              file.nanos() / get.nanos()));
    }
    StringBuilder perSize = new StringBuilder();
    for (String size : new String[] {"1024", "65536", "1048576"}) {
      JmhScore pub = jmh.get("PublishBenchmark.publish[size=" + size + "]");
      JmhScore dec = jmh.get("PublishBenchmark.decode[size=" + size + "]");
      if (pub != null || dec != null) {
        perSize
            .append("| ")
            .append(BenchDocs.size(Integer.parseInt(size)))
            .append(" | ")
            .append(pub == null ? "-" : pub.describe())
            .append(" | ")
            .append(dec == null ? "-" : dec.describe())
            .append(" |\n");
      }
    }
    if (perSize.length() > 0) {
      // Only when PublishBenchmark ran (the sizes part measures the same per version otherwise).
      md.append(
              "\nPer version, by document size (writer `publish`, reader `decode` = `refresh()` picking"
                  + " up a new version):\n\n")
          .append("| size | publish | decode |\n|---|---|---|\n")
          .append(perSize);
    }
    md.append("\n");
  }

  private void scale(StringBuilder md) throws IOException {
    md.append("## 3. Scale\n\n### Document size\n\n");
    md.append(
        "In one process: the writer's `publish` of a tree and of its JSON text (the two in turn),"
            + " and a reader's `refresh()` of the new version (p50). These versions change values"
            + " only, so each side checks a version against the one before where they differ; the"
            + " new-shape columns are a version with a key added, checked whole on both sides (as"
            + " a reader's first version is). Across processes: propagation"
            + " p50 with 1 reader, changes spaced to leave time for each; jsonmmap with a tree"
            + " published and with its JSON text published.\n\n");
    md.append(
        "| size | actual bytes | publish | publish (text) | decode | decode per MiB | publish (text), new shape | decode, new shape | jsonmmap events | events per MiB | events, text published | per MiB | Redis pub/sub | watched file |\n");
    md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    double[] xs = new double[sizes.size()];
    double[] pub = new double[sizes.size()];
    double[] pubText = new double[sizes.size()];
    double[] dec = new double[sizes.size()];
    for (int i = 0; i < sizes.size(); i++) {
      SizeScan.Point pt = sizes.get(i);
      xs[i] = pt.docBytes() / 1024.0;
      pub[i] = pt.publish().getValueAtPercentile(50) / 1000.0;
      pubText[i] = pt.publishText().getValueAtPercentile(50) / 1000.0;
      dec[i] = pt.decode().getValueAtPercentile(50) / 1000.0;
      md.append("| ")
          .append(BenchDocs.size(pt.targetBytes()))
          .append(" | ")
          .append(pt.docBytes())
          .append(" | ")
          .append(SvgChart.micros(pub[i]))
          .append(" | ")
          .append(SvgChart.micros(pubText[i]))
          .append(" | ")
          .append(SvgChart.micros(dec[i]))
          .append(" | ")
          .append(SvgChart.micros(dec[i] / (pt.docBytes() / 1048576.0)))
          .append(" | ")
          .append(SvgChart.micros(pt.publishNewShape().getValueAtPercentile(50) / 1000.0))
          .append(" | ")
          .append(SvgChart.micros(pt.decodeNewShape().getValueAtPercentile(50) / 1000.0));
      for (Peer peer : SIZE_PEERS) {
        List<Propagation.Result> rs = sizePropagation.getOrDefault(peer, List.of());
        md.append(" | ").append(i < rs.size() ? SvgChart.micros(p(rs.get(i), 50)) : "-");
        if (peer == Peer.EVENTS || peer == Peer.EVENTS_TEXT) {
          md.append(" | ")
              .append(i < rs.size() ? SvgChart.micros(msPerMib(rs.get(i)) * 1000) : "-");
        }
      }
      md.append(" |\n");
    }
    SvgChart chart =
        new SvgChart(
            "Cost by document size (p50)",
            new SvgChart.Axis(
                "document size (log scale)",
                true,
                null,
                kib ->
                    kib >= 1024 ? SvgChart.fmt(kib / 1024) + " MiB" : SvgChart.fmt(kib) + " KiB"),
            new SvgChart.Axis("time (log scale)", true, null, SvgChart::micros));
    chart.add(new SvgChart.Series("jsonmmap publish (in process)", "#9467bd", true, xs, pub));
    chart.add(
        new SvgChart.Series("jsonmmap publish, text (in process)", "#c5b0d5", true, xs, pubText));
    chart.add(new SvgChart.Series("jsonmmap decode (in process)", "#8c564b", true, xs, dec));
    for (Peer peer : SIZE_PEERS) {
      List<Propagation.Result> rs = sizePropagation.getOrDefault(peer, List.of());
      chart.add(
          new SvgChart.Series(
              peer.label() + " propagation",
              peer.color(),
              false,
              rs.stream().mapToDouble(r -> r.docBytes() / 1024.0).toArray(),
              rs.stream().mapToDouble(r -> p(r, 50)).toArray()));
    }
    chart.note("A straight line of slope 1 on this log-log chart is linear growth in size.");
    chart.write(out.resolve("size-scaling.svg"));
    md.append("\n![cost by document size](size-scaling.svg)\n\n");
    if (readerScale.isEmpty()) {
      return;
    }
    md.append(
        "### Reader count\n\nDelay until the **last** reader has each version (~1 KiB, 2 ms apart).\n\n");
    md.append("| readers |");
    for (Peer peer : readerScale.keySet()) {
      md.append(' ').append(peer.label()).append(" p50 / p99 |");
    }
    md.append("\n|---|").append("---|".repeat(readerScale.size())).append("\n");
    List<Propagation.Result> first = readerScale.values().stream().findFirst().orElse(List.of());
    for (int i = 0; i < first.size(); i++) {
      md.append("| ").append(first.get(i).spec().readers()).append(" |");
      for (List<Propagation.Result> rs : readerScale.values()) {
        Propagation.Result r = rs.get(i);
        md.append(' ')
            .append(SvgChart.micros(r.lastReader().getValueAtPercentile(50) / 1000.0))
            .append(" / ")
            .append(SvgChart.micros(r.lastReader().getValueAtPercentile(99) / 1000.0))
            .append(" |");
      }
      md.append("\n");
    }
    SvgChart readers =
        new SvgChart(
            "Delay until the last reader has the version",
            new SvgChart.Axis("reader JVMs (log scale)", true, null, SvgChart::fmt),
            new SvgChart.Axis("delay (log scale)", true, null, SvgChart::micros));
    for (Map.Entry<Peer, List<Propagation.Result>> e : readerScale.entrySet()) {
      double[] n = e.getValue().stream().mapToDouble(r -> r.spec().readers()).toArray();
      readers.add(
          new SvgChart.Series(
              e.getKey().label() + " p50",
              e.getKey().color(),
              false,
              n,
              e.getValue().stream()
                  .mapToDouble(r -> r.lastReader().getValueAtPercentile(50) / 1000.0)
                  .toArray()));
      readers.add(
          new SvgChart.Series(
              e.getKey().label() + " p99",
              e.getKey().color(),
              true,
              n,
              e.getValue().stream()
                  .mapToDouble(r -> r.lastReader().getValueAtPercentile(99) / 1000.0)
                  .toArray()));
    }
    readers.write(out.resolve("reader-scaling.svg"));
    md.append("\n![reader scaling](reader-scaling.svg)\n\n");
  }

  private void idleTable(StringBuilder md) {
    md.append(
        "## 4. Idle cost\n\nReader JVMs following a document that does not change, side by side over one"
            + " window. Process CPU = utime + stime from `/proc/<pid>/stat` (10 ms ticks); threads ="
            + " the sum of each live thread's `schedstat` run time (nanoseconds); watcher = the"
            + " `jsonmmap-watcher` thread alone. Two baselines: a JVM that does nothing, and one"
            + " that first parsed the document with Jackson and called JNA, as a reader does, so"
            + " that it is as big as a reader JVM (on the development VM the JVM's own periodic"
            + " threads cost more per wake-up in a bigger process).\n\n");
    md.append(
        "| reader | setting | process CPU | threads CPU | % of one core (threads) | watcher thread | window |\n"
            + "|---|---|---|---|---|---|---|\n");
    for (Idle.Sample s : idle) {
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %.2f s | %.4f s | %.4f%% | %.4f%% | %d s |%n",
              s.peer().label(),
              s.setting(),
              s.cpuNanos() / 1e9,
              s.threadsNanos() / 1e9,
              s.threadsPercentOfCore(),
              s.watcherPercentOfCore(),
              s.window().toSeconds()));
    }
    md.append("\n");
  }

  /** One JMH primary score. */
  record JmhScore(double score, double error, String unit) {
    double nanos() {
      return switch (unit) {
        case "ns/op" -> score;
        case "us/op" -> score * 1e3;
        case "ms/op" -> score * 1e6;
        default -> score * 1e9;
      };
    }

    String describe() {
      double ns = nanos();
      double err = error * (ns / score);
      return ns < 1000
          ? String.format(Locale.ROOT, "%.1f ± %.1f ns", ns, Double.isNaN(err) ? 0 : err)
          : String.format(
              Locale.ROOT,
              "%s ± %s",
              SvgChart.micros(ns / 1000),
              SvgChart.micros((Double.isNaN(err) ? 0 : err) / 1000));
    }
  }

  /** Reads JMH's JSON result file into {@code Class.method[param=value]} keys. */
  static final class Jmh {
    private Jmh() {}

    static Map<String, JmhScore> read(Path file) throws IOException {
      Map<String, JmhScore> scores = new LinkedHashMap<>();
      if (file == null || !Files.exists(file)) {
        return scores;
      }
      for (JsonNode run : BenchDocs.MAPPER.readTree(Files.readAllBytes(file))) {
        String name = run.path("benchmark").asString();
        name = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
        StringBuilder key = new StringBuilder(name);
        JsonNode params = run.path("params");
        if (params.isObject()) {
          params
              .properties()
              .forEach(
                  e ->
                      key.append('[')
                          .append(e.getKey())
                          .append('=')
                          .append(e.getValue().asString())
                          .append(']'));
        }
        JsonNode metric = run.path("primaryMetric");
        scores.put(
            key.toString(),
            new JmhScore(
                metric.path("score").asDouble(),
                metric.path("scoreError").asDouble(),
                metric.path("scoreUnit").asString()));
      }
      return scores;
    }
  }
}
