package io.github.jsonmmap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.jsonmmap.JsonMmapFile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@code watch} in one process receiving the versions other processes publish. */
class WatchIT {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  @TempDir Path dir;

  @Test
  void watchJsonPrintsOneObjectPerVersionPublishedByAnotherProcess() {
    Fixture.create(dir.resolve("app.json"));
    try (Cli watch = Cli.start(dir, "watch", "app.json", "--json")) {
      watch.awaitErr("watching " + dir.resolve("app.json") + " from version 1 (mode events)");

      Cli.run(dir, "set", "app.json", "feature.enabled", "true").ok();
      awaitLines(watch, 1);
      Cli.run(dir, "merge", "app.json", "{\"feature\":{\"enabled\":false},\"rps\":5}").ok();
      awaitLines(watch, 2);

      JsonNode first = JSON.readTree(watch.out().get(0));
      assertThat(first.get("version").asLong()).isEqualTo(2);
      assertThat(first.get("changedKeys").toString()).isEqualTo("[\"feature.enabled\"]");
      assertThat(first.get("added").toString()).isEqualTo("[\"feature.enabled\"]");
      assertThat(first.get("delayMicros").asLong())
          .isEqualTo(
              first.get("receivedAtMicros").asLong() - first.get("publishedAtMicros").asLong())
          .isGreaterThanOrEqualTo(0);

      JsonNode second = JSON.readTree(watch.out().get(1));
      assertThat(second.get("version").asLong()).isEqualTo(3);
      assertThat(second.get("changedKeys").toString()).isEqualTo("[\"feature.enabled\",\"rps\"]");
      assertThat(second.get("changed").toString()).isEqualTo("[\"feature.enabled\"]");
      assertThat(second.get("added").toString()).isEqualTo("[\"rps\"]");
      assertThat(watch.isAlive()).as("watch stays running").isTrue();
      assertThat(watch.err()).hasSize(1);
    }
  }

  @Test
  void watchPrintsReadableLinesAndExitsAfterCount() {
    Fixture.create(dir.resolve("app.json"));
    try (Cli watch =
        Cli.start(
            dir,
            "watch",
            "app.json",
            "--mode",
            "poll",
            "--poll-interval",
            "20ms",
            "--count",
            "2")) {
      watch.awaitErr("(mode poll)");

      Cli.run(dir, "set", "app.json", "a", "1").ok();
      awaitLines(watch, 1);
      Cli.run(dir, "remove", "app.json", "a").ok();

      Cli.Result result = watch.await();
      assertThat(result.exitCode()).isZero();
      List<String> lines = result.out();
      assertThat(lines).hasSize(2);
      assertThat(lines.get(0))
          .matches(
              "version=2 publishedAt=\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z"
                  + " delayMicros=\\d+ added=a");
      assertThat(lines.get(1)).startsWith("version=3 ").endsWith(" removed=a");
    }
  }

  @Test
  void watchCountPrintsExactlyNVersionsWhileAnotherProcessPublishesInATightLoop() {
    Path file = dir.resolve("app.json");
    Fixture.create(file);
    try (Cli publisher =
        Cli.startJava(dir, List.of(), TightPublisher.class.getName(), "app.json")) {
      publisher.awaitErr("publishing");
      Awaitility.await("the publisher past version 100")
          .atMost(Cli.TIMEOUT)
          .until(() -> JsonMmapFile.inspect(file).currentVersion() > 100 || !publisher.isAlive());
      assertThat(publisher.isAlive()).as("publisher; stderr=%s", publisher.err()).isTrue();

      for (String mode : List.of("spin", "poll", "events", "spin", "poll")) {
        Cli.Result result =
            Cli.run(
                dir, "watch", "app.json", "--count", "3", "--mode", mode, "--poll-interval", "1ms");

        assertThat(result.exitCode()).as("mode %s: stderr=%s", mode, result.err()).isZero();
        List<String> lines = result.out();
        assertThat(lines).as("mode %s", mode).hasSize(3);
        long previous = 0;
        for (String line : lines) {
          long version = Long.parseLong(line.substring("version=".length(), line.indexOf(' ')));
          assertThat(version).as("mode %s: %s", mode, lines).isGreaterThan(previous);
          previous = version;
        }
      }
    }
  }

  @Test
  void watchOfAMissingFileFailsAtOnce() {
    assertThat(Cli.run(dir, "watch", "app.json").fails(1))
        .isEqualTo("jsonmmap: file does not exist: path=" + dir.resolve("app.json"));
  }

  private static void awaitLines(Cli watch, int count) {
    Awaitility.await("watch printing " + count + " line(s)")
        .atMost(Cli.TIMEOUT)
        .pollInterval(Duration.ofMillis(10))
        .until(() -> watch.out().size() >= count || !watch.isAlive());
    assertThat(watch.out()).as("stdout; stderr=%s", watch.err()).hasSizeGreaterThanOrEqualTo(count);
  }
}
