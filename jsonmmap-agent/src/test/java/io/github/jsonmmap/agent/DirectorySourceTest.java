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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The directory source end to end: the agent (in this JVM) publishes a directory into the file, and
 * a reader in this JVM and one in a child JVM see the values.
 */
class DirectorySourceTest {

  private static final Duration DEADLINE = Duration.ofSeconds(30);

  @TempDir Path tmp;

  private final List<AutoCloseable> resources = new ArrayList<>();

  @AfterEach
  void cleanUp() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  private ConfigurableApplicationContext agent(Path directory, Path file, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--jsonmmap.agent.source=directory",
                "--jsonmmap.agent.directory.path=" + directory,
                "--jsonmmap.agent.file=" + file,
                "--server.port=0",
                "--logging.structured.format.console="));
    args.addAll(List.of(more));
    ConfigurableApplicationContext context =
        new SpringApplicationBuilder(AgentApplication.class).run(args.toArray(String[]::new));
    resources.add(context::close);
    return context;
  }

  private JsonMmapFile reader(Path file) {
    JsonMmapFile reader = JsonMmapFile.open(JsonMmapOptions.of(file, Role.READER));
    resources.add(reader);
    return reader;
  }

  private Child childReader(Path file) {
    Child child = Child.jvm("reader", ReaderMain.class, file.toString());
    resources.add(child);
    await("child reader ready").atMost(DEADLINE).until(() -> child.hasLine("ready"));
    return child;
  }

  /** Waits until {@code reader} sees {@code limits.rate} at {@code rate}. */
  private static void awaitRate(JsonMmapFile reader, int rate) {
    await()
        .atMost(DEADLINE)
        .until(() -> Integer.valueOf(rate).equals(reader.refresh().get("limits.rate")));
  }

  private static void write(Path file, String text) throws IOException {
    Files.writeString(file, text, StandardCharsets.UTF_8);
  }

  /** Lays out a directory the way the kubelet mounts a ConfigMap; returns the new data dir. */
  private static Path configMapVersion(Path mount, String stamp, Map<String, String> files)
      throws IOException {
    Path data = mount.resolve("..2026_12_01_" + stamp);
    Files.createDirectory(data);
    for (Map.Entry<String, String> e : files.entrySet()) {
      write(data.resolve(e.getKey()), e.getValue());
    }
    Path tmpLink = mount.resolve("..data_tmp");
    Files.createSymbolicLink(tmpLink, data.getFileName());
    Files.move(tmpLink, mount.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);
    for (String name : files.keySet()) {
      Path link = mount.resolve(name);
      if (!Files.isSymbolicLink(link)) {
        Files.createSymbolicLink(link, Path.of("..data").resolve(name));
      }
    }
    return data;
  }

  @Test
  void configMapDataSymlinkSwapReachesReadersWithOneVersion() throws Exception {
    Path mount = Files.createDirectory(tmp.resolve("config"));
    Path oldData =
        configMapVersion(
            mount,
            "01",
            Map.of("application.json", "{\"shop\":{\"discount\":5}}", "greeting", "hello\n"));
    Path file = tmp.resolve("shm").resolve("app.json");
    Files.createDirectories(file.getParent());
    Files.setPosixFilePermissions(
        file.getParent(), java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));

    ConfigurableApplicationContext context = agent(mount, file);
    JsonMmapFile reader = reader(file);
    await().atMost(DEADLINE).until(() -> "hello".equals(reader.refresh().get("greeting")));
    assertThat(reader.snapshot().get("shop.discount")).isEqualTo(5);
    Child child = childReader(file);
    long before = reader.snapshot().version();

    configMapVersion(
        mount,
        "02",
        Map.of("application.json", "{\"shop\":{\"discount\":7}}", "greeting", "bonjour\n"));
    deleteTree(oldData);

    await()
        .atMost(DEADLINE)
        .until(() -> child.lastLineStartingWith("version=").contains("\"discount\":7"));
    assertThat(child.lastLineStartingWith("version=")).contains("\"greeting\":\"bonjour\"");
    await().atMost(DEADLINE).until(() -> "bonjour".equals(reader.refresh().get("greeting")));
    assertThat(reader.snapshot().version()).isEqualTo(before + 1);
    assertThat(reader.snapshot().get("_jsonmmap.source")).isEqualTo("directory");
    assertThat(context.getBean(AgentHealthIndicator.class).health().getStatus())
        .isEqualTo(Status.UP);
  }

  @Test
  void halfWrittenFileIsRejectedAndTheLastGoodVersionStays() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("config"));
    Path json = dir.resolve("app.json");
    write(json, "{\"limits\":{\"rate\":10}}");
    Path file = tmp.resolve("app.jsonmmap");

    ConfigurableApplicationContext context = agent(dir, file);
    JsonMmapFile reader = reader(file);
    awaitRate(reader, 10);
    long good = reader.snapshot().version();
    DocumentPublisher publisher = context.getBean(DocumentPublisher.class);
    AgentHealthIndicator health = context.getBean(AgentHealthIndicator.class);

    write(json, "{\"limits\":{\"ra");
    await().atMost(DEADLINE).until(() -> !publisher.sourceUp());
    assertThat(health.health().getStatus()).isEqualTo(Status.DOWN);
    assertThat(publisher.sourceReason()).contains("not valid JSON").contains(json.toString());
    assertThat(reader.refresh().version()).isEqualTo(good);
    assertThat(reader.snapshot().get("limits.rate")).isEqualTo(10);

    write(json, "{\"limits\":{\"rate\":20}}");
    awaitRate(reader, 20);
    assertThat(reader.snapshot().version()).isEqualTo(good + 1);
    assertThat(health.health().getStatus()).isEqualTo(Status.UP);
  }

  @Test
  void aLinkOutOfTheDirectoryIsNeverPublishedAndTheLastGoodVersionStays() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("config"));
    write(dir.resolve("app.json"), "{\"limits\":{\"rate\":10}}");
    Path secret = Files.createDirectory(tmp.resolve("private")).resolve("token");
    write(secret, "top-secret-token");
    Path file = tmp.resolve("app.jsonmmap");

    ConfigurableApplicationContext context = agent(dir, file);
    JsonMmapFile reader = reader(file);
    awaitRate(reader, 10);
    long good = reader.snapshot().version();
    DocumentPublisher publisher = context.getBean(DocumentPublisher.class);

    Path link = Files.createSymbolicLink(dir.resolve("token"), secret);
    await().atMost(DEADLINE).until(() -> !publisher.sourceUp());
    assertThat(publisher.sourceReason()).contains("outside").contains(link.toString());
    assertThat(context.getBean(AgentHealthIndicator.class).health().getStatus())
        .isEqualTo(Status.DOWN);
    assertThat(reader.refresh().version()).isEqualTo(good);
    assertThat(reader.snapshot().get("token")).isNull();
    assertThat(Files.readString(file, StandardCharsets.ISO_8859_1))
        .doesNotContain("top-secret-token");

    Files.delete(link);
    write(dir.resolve("app.json"), "{\"limits\":{\"rate\":20}}");
    awaitRate(reader, 20);
    assertThat(publisher.sourceUp()).isTrue();
  }

  @Test
  void filesOfAnotherAccountArePublishedOnlyWhenThatAccountIsTrusted() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("config"));
    Path json = dir.resolve("app.json");
    write(json, "{\"limits\":{\"rate\":10}}");
    Process chown = new ProcessBuilder("chown", "54321", json.toString()).start();
    org.junit.jupiter.api.Assumptions.assumeTrue(
        chown.waitFor() == 0, "chown to another account needs root");

    Path refused = tmp.resolve("refused.jsonmmap");
    ConfigurableApplicationContext untrusting = agent(dir, refused);
    DocumentPublisher publisher = untrusting.getBean(DocumentPublisher.class);
    await().atMost(DEADLINE).until(() -> publisher.sourceReason().contains("untrusted account"));
    assertThat(publisher.sourceUp()).isFalse();

    Path file = tmp.resolve("app.jsonmmap");
    agent(dir, file, "--jsonmmap.agent.directory.trusted-users=nobody-here,54321");
    JsonMmapFile reader = reader(file);
    awaitRate(reader, 10);
  }

  @Test
  void aFileEditedInASubDirectoryIsSeenWithoutWaitingForThePoll() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("config"));
    Path sub = Files.createDirectories(dir.resolve("db").resolve("primary"));
    write(sub.resolve("url"), "jdbc:one\n");
    Path file = tmp.resolve("app.jsonmmap");

    // The poll would take an hour: only the sub-directory's events can bring the edits.
    agent(dir, file, "--jsonmmap.agent.directory.poll-interval=1h");
    JsonMmapFile reader = reader(file);
    await().atMost(DEADLINE).until(() -> "jdbc:one".equals(reader.refresh().get("db.primary.url")));

    write(sub.resolve("url"), "jdbc:two\n");
    await().atMost(DEADLINE).until(() -> "jdbc:two".equals(reader.refresh().get("db.primary.url")));

    // A sub-directory made after the first read is watched from the read that found it.
    Path replica = Files.createDirectory(dir.resolve("db").resolve("replica"));
    write(replica.resolve("url"), "jdbc:three\n");
    await()
        .atMost(DEADLINE)
        .until(() -> "jdbc:three".equals(reader.refresh().get("db.replica.url")));
    write(replica.resolve("url"), "jdbc:four\n");
    await()
        .atMost(DEADLINE)
        .until(() -> "jdbc:four".equals(reader.refresh().get("db.replica.url")));
  }

  @Test
  void anEditThatChangesNothingAndARestartPublishNoVersion() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("config"));
    Path json = dir.resolve("app.json");
    write(json, "{\"a\":1,\"price\":1.50}");
    write(dir.resolve("c.yaml"), "ratio: 0.25\n");
    Path file = tmp.resolve("app.jsonmmap");

    ConfigurableApplicationContext first = agent(dir, file);
    JsonMmapFile reader = reader(file);
    await().atMost(DEADLINE).until(() -> Integer.valueOf(1).equals(reader.refresh().get("a")));
    assertThat(reader.snapshot().json()).contains("\"price\":1.50").contains("\"ratio\":0.25");
    long version = reader.snapshot().version();

    write(json, "{ \"a\" : 1, \"price\": 1.50 }");
    write(dir.resolve("b.properties"), "b.c=x\n");
    await().atMost(DEADLINE).until(() -> "x".equals(reader.refresh().get("b.c")));
    assertThat(reader.snapshot().version()).isEqualTo(version + 1);
    DocumentPublisher publisher = first.getBean(DocumentPublisher.class);
    long publishes = publisher.publishes();
    write(json, "{\"a\":1,\"price\":1.50}");
    Files.setLastModifiedTime(
        dir.resolve("b.properties"),
        java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis()));
    first.close();

    ConfigurableApplicationContext second = agent(dir, file);
    DocumentPublisher again = second.getBean(DocumentPublisher.class);
    await().atMost(DEADLINE).until(again::sourceUp);
    assertThat(again.publishes()).isZero();
    assertThat(publisher.publishes()).isEqualTo(publishes);
    assertThat(reader.refresh().version()).isEqualTo(version + 1);
  }

  @Test
  void jsonYamlPropertiesAndPlainFilesMergeIntoOneDocument() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("config"));
    write(dir.resolve("a.json"), "{\"server\":{\"name\":\"a\",\"ports\":[1,2]},\"x\":1}");
    write(dir.resolve("b.yaml"), "server:\n  name: b\nfeature:\n  enabled: true\n");
    write(dir.resolve("c.properties"), "feature.level=3\n");
    write(dir.resolve("db.password"), "s3cret\n");
    Files.createDirectory(dir.resolve("nested"));
    write(dir.resolve("nested").resolve("url"), "http://x");
    write(dir.resolve(".hidden"), "ignored");

    var reader = new DirectoryReader(tools.jackson.databind.json.JsonMapper.builder().build());
    var document = reader.read(dir).document();

    assertThat(document.toString())
        .isEqualTo(
            "{\"server\":{\"name\":\"b\",\"ports\":[1,2]},\"x\":1,\"feature\":{\"enabled\":true,"
                + "\"level\":\"3\"},\"db.password\":\"s3cret\",\"nested\":{\"url\":\"http://x\"}}");
  }

  @Test
  void aStreamOfEditsIsPublishedAtABoundedRateAndEndsOnTheLastEdit() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("config"));
    Path json = dir.resolve("app.json");
    write(json, "{\"n\":0}");
    Path file = tmp.resolve("app.jsonmmap");
    Duration settle = Duration.ofMillis(20);
    ConfigurableApplicationContext context =
        agent(
            dir,
            file,
            "--jsonmmap.agent.directory.settle=" + settle.toMillis() + "ms",
            "--jsonmmap.agent.directory.max-delay=100ms",
            "--jsonmmap.agent.directory.poll-interval=1h");
    JsonMmapFile reader = reader(file);
    await().atMost(DEADLINE).until(() -> Integer.valueOf(0).equals(reader.refresh().get("n")));
    DocumentPublisher publisher = context.getBean(DocumentPublisher.class);
    long publishesBefore = publisher.publishes();
    long versionBefore = reader.snapshot().version();

    // Edits faster than settle, without a pause: a read that waited for the events to stop would
    // never come while the stream lasts.
    AtomicBoolean streaming = new AtomicBoolean(true);
    AtomicInteger written = new AtomicInteger();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long start = System.nanoTime();
    Thread editor =
        new Thread(
            () -> {
              try {
                Path temp = dir.resolve(".app.json.tmp");
                while (streaming.get()) {
                  write(temp, "{\"n\":" + (written.get() + 1) + "}");
                  Files.move(temp, json, StandardCopyOption.ATOMIC_MOVE);
                  written.incrementAndGet();
                  LockSupport.parkNanos(2_000_000);
                }
              } catch (IOException | RuntimeException e) {
                failure.set(e);
              }
            },
            "editor");
    editor.start();
    try {
      await("versions published while the edits go on")
          .atMost(Duration.ofSeconds(60))
          .until(() -> failure.get() != null || reader.refresh().version() >= versionBefore + 3);
    } finally {
      streaming.set(false);
      editor.join(30_000);
    }
    assertThat(failure.get()).isNull();
    assertThat(editor.isAlive()).isFalse();
    int last = written.get();
    assertThat(last).isGreaterThanOrEqualTo(3);

    await("the last edit published")
        .atMost(DEADLINE)
        .until(() -> Integer.valueOf(last).equals(reader.refresh().get("n")));
    long elapsed = System.nanoTime() - start;
    long publishes = publisher.publishes() - publishesBefore;
    // Two reads are at least settle apart, however loaded the machine: the rate stays bounded.
    assertThat(publishes).isBetween(3L, elapsed / settle.toNanos() + 2);
    assertThat(publisher.up()).isTrue();
  }

  @Test
  void healthShowsNoDetailsByDefaultAndNeverTheSourceOrTheFile() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("config"));
    write(dir.resolve("app.json"), "{\"a\":1}");
    Path shm = Files.createDirectory(tmp.resolve("shm"));
    Files.setPosixFilePermissions(shm, PosixFilePermissions.fromString("rwx------"));
    Path file = shm.resolve("app.json");

    ConfigurableApplicationContext context = agent(dir, file);
    DocumentPublisher publisher = context.getBean(DocumentPublisher.class);
    await().atMost(DEADLINE).until(publisher::up);
    String body = health(context);
    assertThat(body).contains("\"status\":\"UP\"").doesNotContain("components");
    assertThat(body).doesNotContain(tmp.toString());
    context.close();

    ConfigurableApplicationContext detailed =
        agent(dir, file, "--management.endpoint.health.show-details=always");
    await().atMost(DEADLINE).until(detailed.getBean(DocumentPublisher.class)::up);
    JsonNode component =
        JsonMapper.builder()
            .build()
            .readTree(health(detailed))
            .path("components")
            .path("jsonMmapAgent");
    assertThat(component.path("status").asString()).isEqualTo("UP");
    assertThat(component.path("details").propertyNames())
        .containsExactlyInAnyOrder("writer", "version", "reason");
    assertThat(component.path("details").path("reason").asString()).isEqualTo("ok");
    assertThat(component.toString()).doesNotContain(tmp.toString()).doesNotContain("directory:");
  }

  private static String health(ConfigurableApplicationContext context)
      throws IOException, InterruptedException {
    String port = context.getEnvironment().getProperty("local.server.port");
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health"))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
