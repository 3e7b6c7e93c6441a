package io.github.jsonmmap.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import io.github.jsonmmap.Role;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet for real: a 3-member etcd cluster and three simulated hosts, each with its own directory,
 * an agent (the executable jar, in its own JVM), two reader JVMs and a reader in this JVM. Puts
 * reach every reader; member and agent failures are survived.
 */
class EtcdFleetIT {

  private static final Duration DEADLINE = Duration.ofSeconds(120);
  private static final String KEY = "/jsonmmap/app";
  private static final String PREFIX = "/jsonmmap/props/";
  private static final int HOSTS = 3;

  @TempDir Path tmp;

  private final List<AutoCloseable> resources = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();
  private EtcdCluster etcd;
  private final Host[] hosts = new Host[HOSTS];

  /** One simulated host: its directory, file, agent and readers. */
  private final class Host {
    final int index;
    final Path file;
    int port = -1;
    Child agent;
    JsonMmapFile reader;

    /** The host's first reader JVM; {@link #childReaders} holds both. */
    Child childReader;

    final List<Child> childReaders = new ArrayList<>();

    Host(int index) throws IOException {
      this.index = index;
      Path dir = tmp.resolve("host" + index);
      Files.createDirectories(dir);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
      this.file = dir.resolve("app.json");
    }

    void startAgent() {
      List<String> endpoints = new ArrayList<>(etcd.endpoints());
      java.util.Collections.rotate(endpoints, -index);
      agent =
          Child.agent(
              "agent" + index,
              List.of(),
              List.of(
                  "--jsonmmap.agent.source=etcd",
                  "--jsonmmap.agent.etcd.endpoints=" + String.join(",", endpoints),
                  "--jsonmmap.agent.etcd.key=" + KEY,
                  "--jsonmmap.agent.etcd.prefix=" + PREFIX,
                  "--jsonmmap.agent.file=" + file,
                  "--server.port=0",
                  "--server.address=127.0.0.1",
                  "--logging.structured.format.console="));
      resources.add(agent);
      port = agent.awaitHttpPort(DEADLINE);
    }

    void awaitAgentUp() {
      await("agent " + index + " up")
          .atMost(DEADLINE)
          .ignoreExceptions()
          .until(() -> status().contains("\"sourceUp\":true"));
    }

    String status() throws IOException, InterruptedException {
      return get("/actuator/jsonmmapagent");
    }

    String get(String path) throws IOException, InterruptedException {
      return http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                  .timeout(Duration.ofSeconds(30))
                  .build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    }

    void openReaders() {
      reader = JsonMmapFile.open(JsonMmapOptions.of(file, Role.READER));
      resources.add(reader);
      for (int i = 0; i < 2; i++) {
        Child child = Child.jvm("reader" + index + "-" + i, ReaderMain.class, file.toString());
        resources.add(child);
        childReaders.add(child);
      }
      childReader = childReaders.get(0);
      await("readers " + index + " ready")
          .atMost(DEADLINE)
          .until(() -> childReaders.stream().allMatch(child -> child.hasLine("ready")));
    }

    boolean readersSee(String fragment) {
      return reader.refresh().json().contains(fragment)
          && childReaders.stream()
              .allMatch(child -> child.lastLineStartingWith("version=").contains(fragment));
    }
  }

  @BeforeEach
  void startCluster() throws IOException {
    Assumptions.assumeTrue(
        EtcdCluster.available(),
        "the etcd binary is not on the PATH (apt-get install etcd-server; .ci/run installs it)");
    etcd = new EtcdCluster(tmp.resolve("etcd"), 3);
    resources.add(etcd);
  }

  @AfterEach
  void stopEverything() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  private void awaitAllReadersSee(String fragment) {
    for (Host host : hosts) {
      await("host " + host.index + " readers see " + fragment)
          .atMost(DEADLINE)
          .until(() -> host.readersSee(fragment));
    }
  }

  @Test
  void fleetFollowsEtcdThroughMemberAndAgentFailures() throws Exception {
    long first = etcd.put(KEY, "{\"greeting\":\"hello\",\"n\":0}");
    for (int i = 0; i < HOSTS; i++) {
      hosts[i] = new Host(i);
      hosts[i].startAgent();
    }
    for (Host host : hosts) {
      host.awaitAgentUp();
      host.openReaders();
    }
    awaitAllReadersSee("\"n\":0");
    assertThat(hosts[0].reader.snapshot().get("_jsonmmap.etcdRevision")).isEqualTo((int) first);

    // A put reaches all nine readers (two JVMs and one in here per host), with its revision.
    long one = etcd.put(KEY, "{\"greeting\":\"hello\",\"n\":1}");
    awaitAllReadersSee("\"n\":1");
    for (Host host : hosts) {
      assertThat(host.reader.snapshot().get("_jsonmmap.etcdRevision")).isEqualTo((int) one);
      assertThat(host.status()).contains("\"etcdRevision\":" + one);
    }
    assertThat(hosts[1].get("/actuator/metrics/jsonmmap.agent.revision")).contains("" + one);

    // Keys under the prefix become properties.
    etcd.put(PREFIX + "feature/level", "3");
    awaitAllReadersSee("\"feature\":{\"level\":\"3\"}");

    // One member dies: changes keep flowing through the quorum; it rejoins.
    etcd.kill(0);
    etcd.put(KEY, "{\"greeting\":\"hello\",\"n\":2}");
    awaitAllReadersSee("\"n\":2");
    etcd.start(0, "existing");

    // The member serving agents' watches dies: they start over on the others and miss nothing.
    await().atMost(DEADLINE).until(() -> totalWatchStreams() >= HOSTS);
    int watched = etcd.memberWithMostWatchStreams();
    assertThat(etcd.metric(watched, "etcd_debugging_mvcc_watch_stream_total")).isPositive();
    etcd.kill(watched);
    etcd.put(KEY, "{\"greeting\":\"hello\",\"n\":3}");
    awaitAllReadersSee("\"n\":3");
    etcd.start(watched, "existing");

    // An agent dies; etcd changes twice; the restarted agent catches up with one new version.
    Host host0 = hosts[0];
    long before = host0.reader.refresh().version();
    host0.agent.kill();
    etcd.put(KEY, "{\"greeting\":\"hello\",\"n\":4}");
    etcd.put(KEY, "{\"greeting\":\"bye\",\"n\":5}");
    awaitReadersOf(hosts[1], "\"n\":5");
    assertThat(host0.reader.refresh().version()).isEqualTo(before);
    host0.startAgent();
    await().atMost(DEADLINE).until(() -> host0.readersSee("\"n\":5"));
    assertThat(host0.reader.snapshot().version()).isEqualTo(before + 1);
    assertThat(host0.childReader.linesStartingWith("version=" + (before + 1))).hasSize(1);
    assertThat(host0.childReader.linesStartingWith("version=" + (before + 2))).isEmpty();

    // A restart with nothing new in etcd publishes nothing.
    Host host1 = hosts[1];
    long steady = host1.reader.refresh().version();
    host1.agent.stop(Duration.ofSeconds(30));
    host1.startAgent();
    host1.awaitAgentUp();
    assertThat(host1.status()).contains("\"publishes\":0");
    assertThat(host1.reader.refresh().version()).isEqualTo(steady);

    // A put of an unchanged value makes no version: of two puts, only the real change publishes.
    long unchanged = host1.reader.refresh().version();
    etcd.put(KEY, "{\"greeting\":\"bye\",\"n\":5}");
    etcd.put(PREFIX + "feature/level", "4");
    awaitAllReadersSee("\"level\":\"4\"");
    assertThat(host1.reader.snapshot().version()).isEqualTo(unchanged + 1);

    // Invalid JSON in etcd is rejected and reported, never published; so is a document past the
    // nesting bound (the cost of taking it in stays bounded).
    Host host2 = hosts[2];
    long good = host2.reader.refresh().version();
    etcd.put(KEY, "{\"deep\":" + "[".repeat(2000) + "]".repeat(2000) + "}");
    await()
        .atMost(DEADLINE)
        .ignoreExceptions()
        .until(() -> host2.status().contains("StreamConstraintsException"));
    assertThat(host2.reader.refresh().version()).isEqualTo(good);
    etcd.put(KEY, "{\"greeting\":");
    await()
        .atMost(DEADLINE)
        .ignoreExceptions()
        .until(() -> host2.get("/actuator/health").contains("\"status\":\"DOWN\""));
    assertThat(host2.status()).contains("not valid JSON").doesNotContain("greeting");
    assertThat(host2.reader.refresh().version()).isEqualTo(good);
    etcd.put(KEY, "{\"greeting\":\"back\",\"n\":6}");
    awaitAllReadersSee("\"n\":6");
    assertThat(host2.reader.snapshot().version()).isEqualTo(good + 1);
    await()
        .atMost(DEADLINE)
        .ignoreExceptions()
        .until(() -> host2.get("/actuator/health").contains("\"status\":\"UP\""));
  }

  private long totalWatchStreams() {
    long total = 0;
    for (int i = 0; i < 3; i++) {
      total += Math.max(0, etcd.metric(i, "etcd_debugging_mvcc_watch_stream_total"));
    }
    return total;
  }

  private static void awaitReadersOf(Host host, String fragment) {
    await("host " + host.index + " readers see " + fragment)
        .atMost(DEADLINE)
        .until(() -> host.readersSee(fragment));
  }
}
