package io.github.jsonmmap.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import io.github.jsonmmap.Role;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ConfigurableApplicationContext;

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

  private ConfigurableApplicationContext agent(Path directory, Path file) {
    ConfigurableApplicationContext context =
        new SpringApplicationBuilder(AgentApplication.class)
            .run(
                "--jsonmmap.agent.source=directory",
                "--jsonmmap.agent.directory.path=" + directory,
                "--jsonmmap.agent.file=" + file,
                "--server.port=0",
                "--logging.structured.format.console=");
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
    await()
        .atMost(DEADLINE)
        .until(() -> Integer.valueOf(10).equals(reader.refresh().get("limits.rate")));
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
    await()
        .atMost(DEADLINE)
        .until(() -> Integer.valueOf(20).equals(reader.refresh().get("limits.rate")));
    assertThat(reader.snapshot().version()).isEqualTo(good + 1);
    assertThat(health.health().getStatus()).isEqualTo(Status.UP);
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

  private static void deleteTree(Path dir) throws IOException {
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
