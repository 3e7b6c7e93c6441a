package io.github.jsonmmap.agent;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The measurement of issue #15, run on demand ({@code -Djsonmmap.agent.bench=true}): the delay from
 * an etcd put to the <em>last</em> reader on every host having the value, through one agent per
 * host, side by side with every reader watching etcd itself; and the load each puts on etcd
 * (connections, watchers, CPU). In the agent run one more process watches etcd directly, as a
 * single jetcd client: its delay is etcd's own watch delivery, the reference of the goal (the agent
 * path's last reader within 2 ms of it at p50). Where the agent path's time goes is split into put
 * -> the agent's publish (the version's publish timestamp), of which the agent's own watch callback
 * -> publish (its meter {@code jsonmmap.agent.source.lag}), and publish -> each reader's listener.
 * Both modes get the same warm-up puts first, uncounted. Prints a table and the CPU each kind of
 * process used per measured put (the machine's cores are shared by all of them, so CPU is what
 * delays the last reader); asserts nothing but completion.
 *
 * <p>Agents run with the README's JVM options ({@link Child#AGENT_JVM_OPTIONS}); readers of both
 * modes and the reference, which stand for applications, with the JVM's default compilers ({@link
 * #READER_JVM_OPTIONS}); {@code bench.sh} runs this JVM, the one that puts, with C1 only: its
 * optimising compiler otherwise took 2-3 ms of CPU per put from the processes measured. The puts go
 * to etcd's JSON gateway on one connection ({@link Gateway}), and readers print what they saw in
 * batches: the stimulus and the record of it take as little as they can from the cores the
 * processes measured share. 1000 warm-up puts: with C1 only a method is compiled after a few
 * hundred calls, and after 300 puts a reader's per-version path still ran half in the bytecode
 * interpreter (a profile of the readers; the first changes of a fresh reader are what {@code
 * ./bench.sh}'s cold part measures). {@code -Djsonmmap.agent.bench.agentJvmArgs} and {@code
 * readerJvmArgs} add JVM options ({@code {id}} becomes the process's host, host.reader or
 * "reference"), for example a flight recording per process; every process is stopped with SIGTERM
 * so that it is written.
 *
 * <p>{@code -Djsonmmap.agent.bench.hosts=3 -Djsonmmap.agent.bench.readers=2
 * -Djsonmmap.agent.bench.puts=200 -Djsonmmap.agent.bench.warmup=1000
 * -Djsonmmap.agent.bench.intervalMs=20}
 */
@EnabledIfSystemProperty(
    named = "jsonmmap.agent.bench",
    matches = "true",
    disabledReason = "a benchmark: run with -Djsonmmap.agent.bench=true")
class AgentBenchIT {

  private static final String KEY = "/bench/app";
  private static final Duration DEADLINE = Duration.ofSeconds(180);
  private static final Pattern VALUE =
      Pattern.compile("\"statistic\":\"VALUE\",\"value\":([0-9.Ee+-]+)");
  private static final Pattern COUNT =
      Pattern.compile("\"statistic\":\"COUNT\",\"value\":([0-9.Ee+-]+)");
  private static final Pattern TOTAL =
      Pattern.compile("\"statistic\":\"TOTAL_TIME\",\"value\":([0-9.Ee+-]+)");

  /**
   * Readers and the reference are applications: the default compilers, not the tests' C1 only
   * ({@link Child#jvm} puts that first; the later option wins).
   */
  private static final List<String> READER_JVM_OPTIONS = List.of("-XX:TieredStopAtLevel=4");

  @TempDir Path tmp;

  private final int hosts = Integer.getInteger("jsonmmap.agent.bench.hosts", 3);
  private final int readers = Integer.getInteger("jsonmmap.agent.bench.readers", 2);
  private final int puts = Integer.getInteger("jsonmmap.agent.bench.puts", 200);
  private final int warmup = Integer.getInteger("jsonmmap.agent.bench.warmup", 1000);
  private final int intervalMs = Integer.getInteger("jsonmmap.agent.bench.intervalMs", 20);
  private final String pad = "x".repeat(900);
  private final HttpClient http = HttpClient.newHttpClient();

  record Result(
      String name,
      double[] first,
      double[] last,
      double[] reference,
      double[] publish,
      double[] wake,
      double agentLagMeanMs,
      double agentLagP50Ms,
      long connections,
      long watchers,
      double cpuSeconds,
      String cpuPerPut) {}

  @Test
  void putToLastReaderThroughAgentsAndDirect() throws Exception {
    Assumptions.assumeTrue(EtcdCluster.available(), "the etcd binary is not on the PATH");
    try (EtcdCluster etcd = new EtcdCluster(tmp.resolve("etcd"), 3)) {
      etcd.put(KEY, document(0));
      String loadBefore = loadAverage();
      long base = 0;
      Result agent = run(etcd, true, base);
      base += warmup + puts;
      Result direct = run(etcd, false, base);
      String loadAfter = loadAverage();
      System.out.printf(
          Locale.ROOT,
          "%nput -> reader delay, %d hosts x %d readers, %d puts %d ms apart after %d warm-up"
              + " puts, ~1 KB document, load average %s -> %s%n",
          hosts,
          readers,
          puts,
          intervalMs,
          warmup,
          loadBefore,
          loadAfter);
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
      System.out.println(agent.name() + ": " + agent.cpuPerPut());
      System.out.println(direct.name() + ": " + direct.cpuPerPut());
      double reference = percentile(agent.reference(), 50);
      double last = percentile(agent.last(), 50);
      System.out.printf(
          Locale.ROOT,
          "agent path, p50: put -> one jetcd client %.2f ms (etcd's own delivery, the reference);"
              + " put -> agent publish %.2f ms, of which watch callback -> publish %.3f ms (p50,"
              + " the agents' timer; mean %.3f ms);"
              + " publish -> reader listener %.2f ms (p99 %.2f ms)%n",
          reference,
          percentile(agent.publish(), 50),
          agent.agentLagP50Ms(),
          agent.agentLagMeanMs(),
          percentile(agent.wake(), 50),
          percentile(agent.wake(), 99));
      System.out.printf(
          Locale.ROOT,
          "goal (last reader p50 within 2 ms of the reference p50): %s, %.2f ms over%n",
          last - reference <= 2.0 ? "met" : "not met",
          last - reference);
    }
  }

  /**
   * JVM options from a system property, split at spaces, with {@code {id}} replaced by the
   * process's id (the host, or host.reader): for example a flight recording per process.
   */
  private static List<String> options(String property, String id) {
    String value = System.getProperty(property, "").strip();
    return value.isEmpty() ? List.of() : List.of(value.replace("{id}", id).split("\\s+"));
  }

  /** {@link #READER_JVM_OPTIONS} and those of {@code readerJvmArgs}. */
  private static List<String> readerOptions(String id) {
    List<String> all = new ArrayList<>(READER_JVM_OPTIONS);
    all.addAll(options("jsonmmap.agent.bench.readerJvmArgs", id));
    return all;
  }

  private static String loadAverage() throws IOException {
    String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
    return f[0] + " " + f[1] + " " + f[2];
  }

  private String document(long seq) {
    return "{\"seq\":" + seq + ",\"pad\":\"" + pad + "\"}";
  }

  private Result run(EtcdCluster etcd, boolean viaAgent, long base) throws Exception {
    List<Child> agents = new ArrayList<>();
    List<Integer> ports = new ArrayList<>();
    List<Child> readerProcesses = new ArrayList<>();
    List<Child> all = new ArrayList<>();
    long baseline = etcdConnections(etcd);
    Gateway gateway = new Gateway(etcd.endpoints().get(0));
    try {
      for (int h = 0; h < hosts; h++) {
        Path dir = Files.createDirectories(tmp.resolve((viaAgent ? "agent" : "direct") + h));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Path file = dir.resolve("app.json");
        if (viaAgent) {
          Child agent =
              Child.agent(
                  "agent" + h,
                  options("jsonmmap.agent.bench.agentJvmArgs", String.valueOf(h)),
                  List.of(
                      "--jsonmmap.agent.source=etcd",
                      "--jsonmmap.agent.etcd.endpoints=" + String.join(",", etcd.endpoints()),
                      "--jsonmmap.agent.etcd.key=" + KEY,
                      "--jsonmmap.agent.file=" + file,
                      "--server.port=0",
                      "--server.address=127.0.0.1"));
          agents.add(agent);
          ports.add(agent.awaitHttpPort(DEADLINE));
          all.add(agent);
          await()
              .atMost(DEADLINE)
              .until(() -> agent.hasLine("published:") || agent.hasLine("etcd read"));
          await().atMost(DEADLINE).until(() -> Files.exists(file));
        }
        for (int r = 0; r < readers; r++) {
          Child reader =
              viaAgent
                  ? Child.jvm(
                      "mmap" + h + "." + r,
                      readerOptions(h + "." + r),
                      BenchReader.class,
                      "mmap",
                      file.toString())
                  : Child.jvm(
                      "etcd" + h + "." + r,
                      readerOptions(h + "." + r),
                      BenchReader.class,
                      "etcd",
                      String.join(",", etcd.endpoints()),
                      KEY);
          readerProcesses.add(reader);
          all.add(reader);
        }
      }
      Child reference = null;
      if (viaAgent) {
        reference =
            Child.jvm(
                "reference",
                readerOptions("reference"),
                BenchReader.class,
                "etcd",
                String.join(",", etcd.endpoints()),
                KEY);
        all.add(reference);
      }
      List<Child> watching = new ArrayList<>(readerProcesses);
      if (reference != null) {
        watching.add(reference);
      }
      for (Child reader : watching) {
        await().atMost(DEADLINE).until(() -> reader.hasLine("ready") && seen(reader, base) > 0);
      }
      long connections = etcdConnections(etcd) - baseline;
      long watchers = 0;
      for (int i = 0; i < 3; i++) {
        watchers += etcd.metric(i, "etcd_debugging_mvcc_watcher_total");
      }
      if (reference != null) {
        // The reference is not part of the fleet measured: one client's connections and watcher.
        watchers -= 1;
      }
      for (int k = 1; k <= warmup; k++) {
        gateway.put(KEY, document(base + k));
        Thread.sleep(intervalMs);
      }
      long warmed = base + warmup;
      for (Child reader : watching) {
        await().atMost(DEADLINE).until(() -> seen(reader, warmed) > 0);
      }
      double[] lagBefore = lag(ports);
      double cpuBefore = etcdCpuSeconds(etcd);
      double[] agentsBefore = cpuSeconds(agents);
      double[] readersBefore = cpuSeconds(readerProcesses);
      double harnessBefore = cpuSeconds(ProcessHandle.current().pid());
      Map<String, Double> agentThreadsBefore =
          agents.isEmpty() ? Map.of() : threads(agents.get(0).pid());
      Map<String, Double> readerThreadsBefore = threads(readerProcesses.get(0).pid());
      long[] putAt = new long[puts + 1];
      for (int k = 1; k <= puts; k++) {
        putAt[k] = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
        gateway.put(KEY, document(warmed + k));
        Thread.sleep(intervalMs);
      }
      for (Child reader : watching) {
        await().atMost(DEADLINE).until(() -> seen(reader, warmed + puts) > 0);
      }
      double cpu = etcdCpuSeconds(etcd) - cpuBefore;
      String cpuPerPut =
          String.format(
              Locale.ROOT,
              "CPU per put, ms: etcd members %.2f, agents %s, readers %s, this harness %.2f%s;"
                  + " first reader's threads %s",
              cpu * 1000 / puts,
              perPut(agentsBefore, cpuSeconds(agents)),
              perPut(readersBefore, cpuSeconds(readerProcesses)),
              (cpuSeconds(ProcessHandle.current().pid()) - harnessBefore) * 1000 / puts,
              agents.isEmpty()
                  ? ""
                  : "; first agent's threads "
                      + byThread(agentThreadsBefore, threads(agents.get(0).pid())),
              byThread(readerThreadsBefore, threads(readerProcesses.get(0).pid())));
      double[] lagAfter = lag(ports);
      double lagMeanMs =
          lagAfter[0] > lagBefore[0]
              ? (lagAfter[1] - lagBefore[1]) / (lagAfter[0] - lagBefore[0]) * 1000.0
              : Double.NaN;
      double lagP50Ms = lagMedianMs(ports);
      double[] first = new double[puts];
      double[] last = new double[puts];
      double[] ref = new double[reference != null ? puts : 0];
      List<Double> publish = new ArrayList<>();
      List<Double> wake = new ArrayList<>();
      for (int k = 1; k <= puts; k++) {
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (Child reader : readerProcesses) {
          long[] at = firstSeenAtOrAfter(reader, warmed + k);
          min = Math.min(min, at[0]);
          max = Math.max(max, at[0]);
          if (at[1] > 0) {
            publish.add((at[1] - putAt[k]) / 1000.0);
            wake.add((at[0] - at[1]) / 1000.0);
          }
        }
        first[k - 1] = (min - putAt[k]) / 1000.0;
        last[k - 1] = (max - putAt[k]) / 1000.0;
        if (reference != null) {
          ref[k - 1] = (firstSeenAtOrAfter(reference, warmed + k)[0] - putAt[k]) / 1000.0;
        }
      }
      return new Result(
          viaAgent ? "agent per host" : "every reader on etcd",
          first,
          last,
          ref,
          publish.stream().mapToDouble(Double::doubleValue).toArray(),
          wake.stream().mapToDouble(Double::doubleValue).toArray(),
          lagMeanMs,
          lagP50Ms,
          connections,
          watchers,
          cpu,
          cpuPerPut);
    } finally {
      // A graceful stop, so that a recording asked for in the JVM options is written.
      all.forEach(c -> c.stop(Duration.ofSeconds(20)));
      gateway.close();
    }
  }

  /**
   * Puts through etcd's JSON gateway ({@code POST /v3/kv/put}) on one kept-alive HTTP/1.1
   * connection, written and read on the calling thread: the puts are the stimulus, and on a real
   * fleet they come from elsewhere. Measured per thread, a put through a jetcd client in this JVM
   * cost 2.7 ms of CPU (its event loop 1.6 ms) and through the JDK's HttpClient 2.5 ms (three
   * threads handing each request on), at the moment the processes measured needed the two cores.
   */
  private static final class Gateway implements AutoCloseable {
    private static final Pattern REVISION = Pattern.compile("\"revision\":\"?(\\d+)");
    private final String host;
    private final int port;
    private java.net.Socket socket;
    private java.io.BufferedInputStream in;

    Gateway(String endpoint) {
      URI uri = URI.create(endpoint);
      this.host = uri.getHost();
      this.port = uri.getPort();
    }

    long put(String key, String value) throws IOException {
      java.util.Base64.Encoder b64 = java.util.Base64.getEncoder();
      byte[] body =
          ("{\"key\":\""
                  + b64.encodeToString(key.getBytes(StandardCharsets.UTF_8))
                  + "\",\"value\":\""
                  + b64.encodeToString(value.getBytes(StandardCharsets.UTF_8))
                  + "\"}")
              .getBytes(StandardCharsets.UTF_8);
      byte[] head =
          ("POST /v3/kv/put HTTP/1.1\r\nHost: "
                  + host
                  + ":"
                  + port
                  + "\r\nContent-Type: application/json\r\nContent-Length: "
                  + body.length
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII);
      if (socket == null) {
        socket = new java.net.Socket(host, port);
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(10_000);
        in = new java.io.BufferedInputStream(socket.getInputStream());
      }
      java.io.OutputStream out = socket.getOutputStream();
      byte[] request = Arrays.copyOf(head, head.length + body.length);
      System.arraycopy(body, 0, request, head.length, body.length);
      out.write(request);
      out.flush();
      String status = line();
      long length = -1;
      boolean chunked = false;
      for (String h = line(); !h.isEmpty(); h = line()) {
        String lower = h.toLowerCase(Locale.ROOT);
        if (lower.startsWith("content-length:")) {
          length = Long.parseLong(lower.substring(15).strip());
        } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
          chunked = true;
        }
      }
      StringBuilder response = new StringBuilder();
      if (chunked) {
        for (int size = Integer.parseInt(line().strip(), 16); size > 0; ) {
          response.append(new String(in.readNBytes(size), StandardCharsets.UTF_8));
          line();
          size = Integer.parseInt(line().strip(), 16);
        }
        line();
      } else if (length >= 0) {
        response.append(new String(in.readNBytes((int) length), StandardCharsets.UTF_8));
      } else {
        throw new IOException("put " + key + ": a response without a length: " + status);
      }
      Matcher m = REVISION.matcher(response);
      if (!status.contains(" 200 ") || !m.find()) {
        throw new IOException("put " + key + ": " + status + " " + response);
      }
      return Long.parseLong(m.group(1));
    }

    /** One header line without its CRLF. */
    private String line() throws IOException {
      StringBuilder line = new StringBuilder();
      for (int c = in.read(); c != '\n'; c = in.read()) {
        if (c < 0) {
          throw new IOException("etcd closed the connection");
        }
        if (c != '\r') {
          line.append((char) c);
        }
      }
      return line.toString();
    }

    @Override
    public void close() throws IOException {
      if (socket != null) {
        socket.close();
      }
    }
  }

  /** The count and total seconds of the agents' {@code jsonmmap.agent.source.lag} timers. */
  private double[] lag(List<Integer> ports) throws IOException, InterruptedException {
    double count = 0;
    double total = 0;
    for (int port : ports) {
      String body =
          http.send(
                  HttpRequest.newBuilder(
                          URI.create(
                              "http://127.0.0.1:"
                                  + port
                                  + "/actuator/metrics/jsonmmap.agent.source.lag"))
                      .timeout(Duration.ofSeconds(10))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      count += number(COUNT, body);
      total += number(TOTAL, body);
    }
    return new double[] {count, total};
  }

  /**
   * The median over the agents of their lag timers' p50 (Micrometer's recent window: mostly the
   * measured puts, some of the warm-up), in milliseconds.
   */
  private double lagMedianMs(List<Integer> ports) throws IOException, InterruptedException {
    if (ports.isEmpty()) {
      return Double.NaN;
    }
    double[] p50 = new double[ports.size()];
    for (int i = 0; i < p50.length; i++) {
      String body =
          http.send(
                  HttpRequest.newBuilder(
                          URI.create(
                              "http://127.0.0.1:"
                                  + ports.get(i)
                                  + "/actuator/metrics/jsonmmap.agent.source.lag.percentile"
                                  + "?tag=phi:0.5"))
                      .timeout(Duration.ofSeconds(10))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      p50[i] = number(VALUE, body) * 1000.0;
    }
    return percentile(p50, 50);
  }

  private static double number(Pattern pattern, String text) {
    Matcher m = pattern.matcher(text);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  /**
   * When the reader first had seq or a later one (a reader may skip coalesced versions), and when
   * that version was published (0 when unknown).
   */
  private static long[] firstSeenAtOrAfter(Child reader, long seq) {
    for (String line : reader.linesStartingWith("seen ")) {
      String[] parts = line.split(" ");
      if (Long.parseLong(parts[1]) >= seq) {
        return new long[] {
          Long.parseLong(parts[2]), parts.length > 3 ? Long.parseLong(parts[3]) : 0
        };
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

  /**
   * CPU seconds so far per thread name of a process (digits in names folded, so a pool's threads
   * add up), from /proc/[pid]/task.
   */
  private static Map<String, Double> threads(long pid) throws IOException {
    Map<String, Double> m = new TreeMap<>();
    try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
      for (Path t : tasks.toList()) {
        String stat;
        try {
          stat = Files.readString(t.resolve("stat"));
        } catch (NoSuchFileException e) {
          continue; // the thread ended
        }
        String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        m.merge(name.replaceAll("[0-9]+", "#"), cpuSeconds(stat), Double::sum);
      }
    }
    return m;
  }

  /** The threads that used at least 0.05 ms per put, most first: "name 1.50, name 0.20". */
  private String byThread(Map<String, Double> before, Map<String, Double> after) {
    return after.entrySet().stream()
        .map(
            e ->
                Map.entry(
                    e.getKey(),
                    (e.getValue() - before.getOrDefault(e.getKey(), 0.0)) * 1000 / puts))
        .filter(e -> e.getValue() >= 0.05)
        .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
        .map(e -> String.format(Locale.ROOT, "%s %.2f", e.getKey(), e.getValue()))
        .collect(Collectors.joining(", "));
  }

  /** User and system CPU of each process so far, in seconds. */
  private static double[] cpuSeconds(List<Child> children) throws IOException {
    double[] seconds = new double[children.size()];
    for (int i = 0; i < seconds.length; i++) {
      seconds[i] = cpuSeconds(children.get(i).pid());
    }
    return seconds;
  }

  private static double cpuSeconds(long pid) throws IOException {
    return cpuSeconds(Files.readString(Path.of("/proc/" + pid + "/stat")));
  }

  /**
   * utime + stime of a process's or thread's {@code stat} line, in seconds (100 ticks a second).
   */
  private static double cpuSeconds(String stat) {
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
  }

  /** "mean (min-max)" CPU milliseconds per measured put over the processes, or "-" for none. */
  private String perPut(double[] before, double[] after) {
    if (before.length == 0) {
      return "-";
    }
    double sum = 0;
    double min = Double.MAX_VALUE;
    double max = 0;
    for (int i = 0; i < before.length; i++) {
      double ms = (after[i] - before[i]) * 1000 / puts;
      sum += ms;
      min = Math.min(min, ms);
      max = Math.max(max, ms);
    }
    return String.format(Locale.ROOT, "%.2f (%.2f-%.2f)", sum / before.length, min, max);
  }

  private static double etcdCpuSeconds(EtcdCluster etcd) throws IOException {
    double total = 0;
    for (int i = 0; i < 3; i++) {
      total += cpuSeconds(etcd.pid(i));
    }
    return total;
  }
}
