package io.github.jsonmmap.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import io.github.jsonmmap.Role;
import io.github.jsonmmap.Snapshot;
import io.github.jsonmmap.spring.metrics.JsonMmapMetrics;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonMmapMetricsTest {

  private static final Duration DEADLINE = Duration.ofSeconds(60);

  @TempDir Path dir;

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private JsonMmapFile writer;
  private JsonMmapFile reader;

  @AfterEach
  void close() {
    if (reader != null) {
      reader.close();
    }
    if (writer != null) {
      writer.close();
    }
    registry.close();
  }

  @Test
  void gaugesDescribeTheCurrentVersionTaggedWithFileAndRole() {
    writer = JsonMmapFile.open(dir.resolve("app.json"), Role.WRITER);
    Snapshot snapshot = writer.publish(Map.of("greeting", "hello"));
    new JsonMmapMetrics(writer).bindTo(registry);

    Tags tags = Tags.of("file", "app.json", "role", "writer");
    assertThat(registry.get("jsonmmap.version").tags(tags).gauge().value())
        .isEqualTo(snapshot.version());
    assertThat(registry.get("jsonmmap.document.size").tags(tags).gauge().value())
        .isEqualTo(snapshot.size());
    assertThat(registry.get("jsonmmap.capacity").tags(tags).gauge().value())
        .isEqualTo(writer.info().capacity());
    assertThat(registry.get("jsonmmap.age").tags(tags).timeGauge().value(TimeUnit.SECONDS))
        .isBetween(0.0, 60.0);
    assertThat(
            registry
                .get("jsonmmap.writer.heartbeat.age")
                .tags(tags)
                .timeGauge()
                .value(TimeUnit.SECONDS))
        .isBetween(0.0, 60.0);

    writer.set("greeting", "bonjour");
    assertThat(registry.get("jsonmmap.version").tags(tags).gauge().value())
        .isEqualTo(snapshot.version() + 1);
  }

  @Test
  void everyMeterHasBaseUnitsAndADescription() {
    writer = JsonMmapFile.open(dir.resolve("app.json"), Role.WRITER);
    new JsonMmapMetrics(writer).bindTo(registry);

    assertThat(registry.getMeters())
        .allSatisfy(
            meter -> {
              assertThat(meter.getId().getName()).matches("jsonmmap(\\.[a-z]+)+");
              assertThat(meter.getId().getDescription()).isNotBlank().endsWith(".");
            });
    assertThat(registry.get("jsonmmap.document.size").gauge().getId().getBaseUnit())
        .isEqualTo("bytes");
    assertThat(registry.get("jsonmmap.capacity").gauge().getId().getBaseUnit()).isEqualTo("bytes");
    assertThat(registry.get("jsonmmap.age").timeGauge().baseTimeUnit()).isEqualTo(TimeUnit.SECONDS);
    assertThat(registry.get("jsonmmap.propagation").timer().baseTimeUnit())
        .isEqualTo(TimeUnit.SECONDS);
  }

  @Test
  void readFailuresAreRegisteredForEveryReasonAndCountedByReason() {
    reader =
        JsonMmapFile.open(
            JsonMmapOptions.builder(dir.resolve("absent.json"))
                .role(Role.READER)
                .requireFile(false)
                .build());
    new JsonMmapMetrics(reader).bindTo(registry);

    for (String reason : JsonMmapMetrics.FAILURE_REASONS) {
      assertThat(registry.get("jsonmmap.read.failures").tag("reason", reason).functionCounter())
          .isNotNull();
    }
    assertThat(
            registry
                .get("jsonmmap.read.failures")
                .tag("reason", "missing")
                .functionCounter()
                .count())
        .isEqualTo(1.0);
    assertThat(
            registry
                .get("jsonmmap.read.failures")
                .tag("reason", "checksum")
                .functionCounter()
                .count())
        .isZero();
    assertThat(
            registry
                .get("jsonmmap.read.failures")
                .tag("reason", JsonMmapMetrics.OTHER_REASON)
                .functionCounter()
                .count())
        .isZero();
    assertThat(registry.get("jsonmmap.writer.heartbeat.age").timeGauge().value()).isNaN();
    assertThat(registry.get("jsonmmap.age").timeGauge().value()).isNaN();
    assertThat(registry.get("jsonmmap.capacity").gauge().value()).isNaN();
  }

  @Test
  void readerCountsChangesAndRecordsTheirPropagationDelay() {
    Path path = dir.resolve("app.json");
    writer = JsonMmapFile.open(path, Role.WRITER);
    writer.publish(Map.of("n", 0));
    reader =
        JsonMmapFile.open(
            JsonMmapOptions.builder(path)
                .role(Role.READER)
                .pollInterval(Duration.ofMillis(10))
                .build());
    new JsonMmapMetrics(reader).bindTo(registry);
    new JsonMmapMetrics(writer).bindTo(registry);
    double changesBefore = changes("reader");

    for (int n = 1; n <= 3; n++) {
      long version = writer.set("n", n).version();
      await().atMost(DEADLINE).until(() -> reader.snapshot().version() == version);
    }

    Tags readerTags = Tags.of("role", "reader");
    assertThat(changes("reader") - changesBefore).isEqualTo(3.0);
    assertThat(registry.get("jsonmmap.propagation").tags(readerTags).timer().count()).isEqualTo(3);
    assertThat(registry.get("jsonmmap.propagation").tags(readerTags).timer().max(TimeUnit.SECONDS))
        .isBetween(0.0, DEADLINE.toSeconds() + 1.0);
    assertThat(registry.get("jsonmmap.propagation").tag("role", "writer").timer().count())
        .as("the writer's own publishes do not propagate")
        .isZero();
  }

  @Test
  void publishAndRefreshDurationsAreRecordedWhenReported() {
    writer = JsonMmapFile.open(dir.resolve("app.json"), Role.WRITER);
    JsonMmapMetrics metrics = new JsonMmapMetrics(writer);
    metrics.recordPublish(Duration.ofMillis(1));
    metrics.bindTo(registry);

    metrics.recordPublish(Duration.ofMillis(3));
    metrics.recordRefresh(Duration.ofMillis(5));

    assertThat(registry.get("jsonmmap.publish").timer().count())
        .as("durations reported before binding are dropped")
        .isEqualTo(1);
    assertThat(registry.get("jsonmmap.publish").timer().totalTime(TimeUnit.MILLISECONDS))
        .isEqualTo(3.0);
    assertThat(registry.get("jsonmmap.refresh").timer().totalTime(TimeUnit.MILLISECONDS))
        .isEqualTo(5.0);
  }

  @Test
  void aReaderHasNoPublishTimer() {
    Path path = dir.resolve("app.json");
    writer = JsonMmapFile.open(path, Role.WRITER);
    reader = JsonMmapFile.open(path, Role.READER);
    JsonMmapMetrics metrics = new JsonMmapMetrics(reader);
    metrics.bindTo(registry);

    metrics.recordPublish(Duration.ofMillis(3));

    assertThat(registry.find("jsonmmap.publish").timer()).isNull();
    assertThat(registry.get("jsonmmap.refresh").timer().count()).isZero();
  }

  @Test
  void bindingToTwoRegistriesRecordsInBoth() {
    writer = JsonMmapFile.open(dir.resolve("app.json"), Role.WRITER);
    JsonMmapMetrics metrics = new JsonMmapMetrics(writer);
    SimpleMeterRegistry other = new SimpleMeterRegistry();
    metrics.bindTo(registry);
    metrics.bindTo(other);

    metrics.recordRefresh(Duration.ofMillis(2));

    for (SimpleMeterRegistry r : List.of(registry, other)) {
      assertThat(r.get("jsonmmap.refresh").timer().count()).isEqualTo(1);
    }
    other.close();
  }

  @Test
  void gaugesReportNotANumberAfterTheFileIsClosed() {
    writer = JsonMmapFile.open(dir.resolve("app.json"), Role.WRITER);
    new JsonMmapMetrics(writer).bindTo(registry);
    writer.close();

    for (String name : List.of("jsonmmap.version", "jsonmmap.document.size", "jsonmmap.capacity")) {
      assertThat(registry.get(name).gauge().value()).as(name).isNaN();
    }
    assertThat(registry.get("jsonmmap.age").timeGauge().value()).isNaN();
    assertThat(registry.getMeters()).extracting(Meter::getId).isNotEmpty();
  }

  private double changes(String role) {
    return registry.get("jsonmmap.changes").tag("role", role).functionCounter().count();
  }
}
