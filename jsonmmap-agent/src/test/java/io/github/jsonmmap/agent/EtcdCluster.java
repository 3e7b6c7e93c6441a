package io.github.jsonmmap.agent;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.kv.PutResponse;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.awaitility.Awaitility;

/**
 * A real etcd cluster of {@code size} members on free loopback ports, each with a data directory
 * under {@code root}. {@link #close()} kills every member this class started and waits for it to
 * exit.
 */
final class EtcdCluster implements AutoCloseable {

  private final Path root;
  private final int size;
  private final int[] clientPorts;
  private final int[] peerPorts;
  private final Child[] members;
  private final Client client;

  EtcdCluster(Path root, int size) throws IOException {
    this.root = root;
    this.size = size;
    this.clientPorts = new int[size];
    this.peerPorts = new int[size];
    this.members = new Child[size];
    java.util.Set<Integer> taken = new java.util.HashSet<>();
    for (int i = 0; i < size; i++) {
      clientPorts[i] = freePort(taken);
      peerPorts[i] = freePort(taken);
    }
    for (int i = 0; i < size; i++) {
      start(i, "new");
    }
    this.client = Client.builder().endpoints(endpoints().toArray(String[]::new)).build();
    Awaitility.await("etcd cluster answers")
        .atMost(Duration.ofSeconds(60))
        .ignoreExceptions()
        .until(
            () -> {
              client.getKVClient().get(bytes("/health")).get(2, TimeUnit.SECONDS);
              return true;
            });
  }

  /** Whether an etcd binary is on the PATH. */
  static boolean available() {
    return System.getenv("PATH") != null
        && java.util.Arrays.stream(System.getenv("PATH").split(":"))
            .anyMatch(d -> Files.isExecutable(Path.of(d, "etcd")));
  }

  /**
   * A free loopback port below Linux's ephemeral range (32768 and up by default): no outgoing
   * connection of another process is given it between this check and etcd binding it, nor while a
   * killed member is down and its restart needs the same ports again.
   */
  private static int freePort(java.util.Set<Integer> taken) throws IOException {
    java.util.concurrent.ThreadLocalRandom random =
        java.util.concurrent.ThreadLocalRandom.current();
    for (int attempt = 0; attempt < 200; attempt++) {
      int port = random.nextInt(20000, 32000);
      if (!taken.add(port)) {
        continue;
      }
      try (ServerSocket socket = new ServerSocket()) {
        socket.bind(
            new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port), 1);
        return port;
      } catch (IOException inUse) {
        // Try another one.
      }
    }
    throw new IOException("no free loopback port in 20000-31999");
  }

  private String name(int i) {
    return "m" + i;
  }

  /** Starts member i; {@code state} is {@code new} the first time, {@code existing} to rejoin. */
  void start(int i, String state) throws IOException {
    Path data = root.resolve(name(i));
    Files.createDirectories(root);
    String cluster =
        IntStream.range(0, size)
            .mapToObj(j -> name(j) + "=http://127.0.0.1:" + peerPorts[j])
            .collect(Collectors.joining(","));
    List<String> command = new ArrayList<>();
    command.add("etcd");
    command.addAll(
        List.of(
            "--name",
            name(i),
            "--data-dir",
            data.toString(),
            "--listen-client-urls",
            "http://127.0.0.1:" + clientPorts[i],
            "--advertise-client-urls",
            "http://127.0.0.1:" + clientPorts[i],
            "--listen-peer-urls",
            "http://127.0.0.1:" + peerPorts[i],
            "--initial-advertise-peer-urls",
            "http://127.0.0.1:" + peerPorts[i],
            "--initial-cluster",
            cluster,
            "--initial-cluster-state",
            state,
            "--initial-cluster-token",
            "jsonmmap-agent-test"));
    members[i] = Child.start("etcd-" + name(i), command);
  }

  /** SIGKILL member i and wait for it to exit. */
  void kill(int i) {
    members[i].kill();
  }

  List<String> endpoints() {
    return IntStream.range(0, size).mapToObj(i -> "http://127.0.0.1:" + clientPorts[i]).toList();
  }

  /** Puts a value, retrying failures (a put during an election can fail); returns its revision. */
  long put(String key, String value) {
    try {
      return client
          .getKVClient()
          .put(bytes(key), bytes(value))
          .get(5, TimeUnit.SECONDS)
          .getHeader()
          .getRevision();
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      // Retried below: a put during an election can fail, or fail ambiguously.
    }
    long[] revision = {0};
    Awaitility.await("put " + key)
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(
            () -> {
              PutResponse response =
                  client.getKVClient().put(bytes(key), bytes(value)).get(5, TimeUnit.SECONDS);
              revision[0] = response.getHeader().getRevision();
              return true;
            });
    return revision[0];
  }

  /**
   * A gauge from member i's Prometheus metrics (summed over its label sets), or -1 when the member
   * does not answer; e.g. {@code etcd_debugging_mvcc_watch_stream_total}.
   */
  long metric(int i, String name) {
    try {
      String text =
          java.net.http.HttpClient.newHttpClient()
              .send(
                  java.net.http.HttpRequest.newBuilder(
                          java.net.URI.create("http://127.0.0.1:" + clientPorts[i] + "/metrics"))
                      .timeout(Duration.ofSeconds(5))
                      .build(),
                  java.net.http.HttpResponse.BodyHandlers.ofString())
              .body();
      double sum = 0;
      for (String line : text.split("\n")) {
        if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
          sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
      return Math.round(sum);
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** The member that serves the most watch streams right now. */
  int memberWithMostWatchStreams() {
    int best = 0;
    long most = -1;
    for (int i = 0; i < size; i++) {
      long streams = metric(i, "etcd_debugging_mvcc_watch_stream_total");
      if (streams > most) {
        most = streams;
        best = i;
      }
    }
    return best;
  }

  /** The process id of member i. */
  long pid(int i) {
    return members[i].pid();
  }

  static ByteSequence bytes(String text) {
    return ByteSequence.from(text, StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    client.close();
    for (Child member : members) {
      if (member != null) {
        member.close();
      }
    }
  }
}
