package io.github.jsonmmap.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.spy;

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
}
