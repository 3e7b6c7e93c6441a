package io.github.jsonmmap.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.spy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.github.jsonmmap.JsonMmapException;
import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import io.github.jsonmmap.Role;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The publisher on a real file: a publish that fails for a reason that may pass is retried and the
 * document is not lost; a document that can never be published is dropped and reported; only real
 * changes make versions.
 */
class DocumentPublisherTest {

  @TempDir Path tmp;

  private final List<AutoCloseable> resources = new ArrayList<>();
  private Path path;
  private JsonMmapFile writer;
  private JsonMmapFile reader;
  private JsonMapper mapper;

  @BeforeEach
  void open() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("shm"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    path = dir.resolve("app.json");
    writer = JsonMmapFile.open(JsonMmapOptions.builder(path).role(Role.WRITER).build());
    resources.add(writer);
    reader = JsonMmapFile.open(JsonMmapOptions.of(path, Role.READER));
    resources.add(reader);
    mapper = new AgentConfiguration().jsonMmapAgentMapper(writer);
  }

  @AfterEach
  void close() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  private SourceDocument state(String json, long revision) {
    return new SourceDocument((ObjectNode) mapper.readTree(json), revision, 0, System.nanoTime());
  }

  @Test
  void aPublishThatFailsIsRetriedAndItsDocumentIsNotDropped() {
    JsonMmapFile failingOnce = spy(writer);
    doThrow(new JsonMmapException("io", path, "simulated write failure: path=" + path))
        .doCallRealMethod()
        .when(failingOnce)
        .publish(any());
    DocumentPublisher publisher = new DocumentPublisher(failingOnce, "etcd", mapper);
    long before = reader.refresh().version();

    publisher.offer(state("{\"n\":1}", 7));

    assertThat(reader.refresh().version()).isEqualTo(before);
    assertThat(publisher.up()).isFalse();
    assertThat(publisher.sourceUp()).isTrue();
    assertThat(publisher.reasonTag()).isEqualTo("publish-failed");
    assertThat(publisher.publishFailure()).contains("simulated write failure");
    assertThat(publisher.errors()).isEqualTo(1);

    // What the agent's sync timer does every sync-interval.
    publisher.sync();

    assertThat(reader.refresh().version()).isEqualTo(before + 1);
    assertThat(reader.snapshot().get("n")).isEqualTo(1);
    assertThat(reader.snapshot().get("_jsonmmap.etcdRevision")).isEqualTo(7);
    assertThat(publisher.up()).isTrue();
    assertThat(publisher.reasonTag()).isEqualTo("ok");
    assertThat(publisher.publishFailure()).isNull();
    assertThat(publisher.publishes()).isEqualTo(1);
    assertThat(publisher.appliedRevision()).isEqualTo(7);

    publisher.sync();
    assertThat(reader.refresh().version()).isEqualTo(before + 1);
  }

  @Test
  void aNewerStateOfferedWhileAPublishFailsIsTheOneRetried() {
    JsonMmapFile failingOnce = spy(writer);
    doThrow(new JsonMmapException("io", path, "simulated write failure: path=" + path))
        .doCallRealMethod()
        .when(failingOnce)
        .publish(any());
    DocumentPublisher publisher = new DocumentPublisher(failingOnce, "etcd", mapper);
    long before = reader.refresh().version();

    publisher.offer(state("{\"n\":1}", 7));
    publisher.offer(state("{\"n\":2}", 8));

    assertThat(reader.refresh().version()).isEqualTo(before + 1);
    assertThat(reader.snapshot().get("n")).isEqualTo(2);
    assertThat(publisher.up()).isTrue();
  }

  @Test
  void aDocumentTheValidatorRejectsIsReportedAndNotRetried() {
    DocumentPublisher publisher = new DocumentPublisher(writer, "etcd", mapper);
    publisher.offer(state("{\"n\":1}", 7));
    long good = reader.refresh().version();
    writer.setValidator(
        tree -> {
          if (tree.has("forbidden")) {
            throw new IllegalArgumentException("forbidden key");
          }
        });

    publisher.offer(state("{\"n\":2,\"forbidden\":true}", 8));

    assertThat(publisher.up()).isFalse();
    assertThat(publisher.reasonTag()).isEqualTo("rejected");
    long errors = publisher.errors();
    publisher.sync();
    assertThat(publisher.errors()).isEqualTo(errors);
    assertThat(reader.refresh().version()).isEqualTo(good);
    assertThat(reader.snapshot().get("n")).isEqualTo(1);

    publisher.offer(state("{\"n\":3}", 9));
    assertThat(reader.refresh().version()).isEqualTo(good + 1);
    assertThat(publisher.up()).isTrue();
  }

  @Test
  void onlyRealChangesMakeVersionsAlsoForAPublisherThatDidNotWriteTheFile() {
    DocumentPublisher first = new DocumentPublisher(writer, "etcd", mapper);
    first.offer(state("{\"price\":1.50,\"n\":1}", 7));
    long version = reader.refresh().version();

    first.offer(state("{\"price\":1.50,\"n\":1}", 8));
    DocumentPublisher restarted = new DocumentPublisher(writer, "etcd", mapper);
    restarted.offer(state("{\"price\":1.50,\"n\":1}", 9));

    assertThat(reader.refresh().version()).isEqualTo(version);
    assertThat(restarted.publishes()).isZero();
    assertThat(restarted.appliedRevision()).isEqualTo(7);
    restarted.offer(state("{\"price\":1.5,\"n\":1}", 10));
    assertThat(reader.refresh().version()).isEqualTo(version + 1);
    assertThat(reader.snapshot().json()).contains("1.5,").doesNotContain("1.50");
  }

  @Test
  void publishesAreLoggedAtOnceWhenQuietAndAtMostOncePerIntervalInABurst() {
    long[] now = {0};
    DocumentPublisher publisher = new DocumentPublisher(writer, "etcd", mapper, () -> now[0]);
    Logger logger = (Logger) LoggerFactory.getLogger(DocumentPublisher.class);
    Level level = logger.getLevel();
    logger.setLevel(Level.DEBUG);
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    logger.addAppender(lines);
    try {
      publisher.offer(state("{\"n\":1}", 7));
      long first = reader.refresh().version();
      assertThat(info(lines))
          .containsExactly(
              "published: version="
                  + first
                  + " etcdRevision=7"
                  + " size="
                  + reader.snapshot().size()
                  + " source=etcd versions=1");

      // A burst: every version is published at once, the INFO lines wait for the interval.
      for (int n = 2; n <= 4; n++) {
        now[0] += 100_000_000L;
        publisher.offer(state("{\"n\":" + n + "}", 6 + n));
      }
      assertThat(reader.refresh().version()).isEqualTo(first + 3);
      publisher.sync();
      assertThat(info(lines)).hasSize(1);

      // The sync timer writes the burst's line once the interval has passed: the last version.
      now[0] = DocumentPublisher.LOG_INTERVAL.toNanos();
      publisher.sync();
      assertThat(info(lines))
          .hasSize(2)
          .last()
          .asString()
          .startsWith("published: version=" + (first + 3) + " etcdRevision=10 ")
          .endsWith(" versions=3");
      KeyValuePair versions =
          lines.list.get(lines.list.size() - 1).getKeyValuePairs().stream()
              .filter(kv -> kv.key.equals("versions"))
              .findFirst()
              .orElseThrow();
      assertThat(versions.value).isEqualTo(3);

      // Nothing new: no line; a version after a quiet interval: its line at once.
      now[0] += 5 * DocumentPublisher.LOG_INTERVAL.toNanos();
      publisher.sync();
      assertThat(info(lines)).hasSize(2);
      publisher.offer(state("{\"n\":5}", 11));
      assertThat(info(lines)).hasSize(3).last().asString().contains("etcdRevision=11 ");

      // A version inside the interval is logged when the agent stops, not lost from the log.
      now[0] += 1;
      publisher.offer(state("{\"n\":6}", 12));
      assertThat(info(lines)).hasSize(3);
      publisher.flushLog();
      assertThat(info(lines)).hasSize(4).last().asString().contains("etcdRevision=12 ");
      // Every version has its own DEBUG line.
      assertThat(reader.refresh().version()).isEqualTo(first + 5);
      assertThat(lines.list)
          .filteredOn(e -> e.getLevel() == Level.DEBUG)
          .extracting(ILoggingEvent::getFormattedMessage)
          .hasSize(6)
          .allMatch(m -> m.startsWith("published: "));
    } finally {
      logger.detachAppender(lines);
      logger.setLevel(level);
    }
  }

  private static List<String> info(ListAppender<ILoggingEvent> lines) {
    return lines.list.stream()
        .filter(e -> e.getLevel() == Level.INFO)
        .map(ILoggingEvent::getFormattedMessage)
        .toList();
  }
}
