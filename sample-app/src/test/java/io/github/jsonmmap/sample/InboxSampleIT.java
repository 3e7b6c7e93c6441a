package io.github.jsonmmap.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.jsonmmap.InboxUnavailableException;
import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapInbox;
import io.github.jsonmmap.JsonMmapInbox.Reply;
import io.github.jsonmmap.JsonMmapInbox.Request;
import io.github.jsonmmap.Role;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * The sample application, run from its jar as an operator runs it, serves the writer inbox: a
 * change from another process goes through its validators (rejected with their reasons, nothing
 * written) or is committed and seen by readers.
 */
class InboxSampleIT {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /**
   * How long a request may take, on both sides: a loaded machine can keep the sample's writer off
   * the CPU for seconds, and a slow answer is not what this test is about.
   */
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

  @TempDir Path dir;

  @Test
  void sampleWriterServesTheInboxWithItsValidators() throws Exception {
    Path file = dir.resolve("sample-app.json");
    Process app = start(file);
    try {
      await("the sample app's inbox")
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(100))
          .failFast("the sample app exited", () -> !app.isAlive())
          .ignoreException(InboxUnavailableException.class)
          .until(() -> JsonMmapInbox.send(file, Request.remove("nothing"), REQUEST_TIMEOUT).ok());

      Reply rejected =
          JsonMmapInbox.send(
              file,
              Request.merge(
                  NODES
                      .objectNode()
                      .set(
                          "limits",
                          NODES.objectNode().put("burst", -1).put("requestsPerSecond", 0))),
              REQUEST_TIMEOUT);
      assertThat(rejected.error()).isEqualTo("rejected");
      assertThat(rejected.reasons())
          .containsExactlyInAnyOrder(
              "limits.requestsPerSecond must be a whole number above 0",
              "limits.burst must be a whole number, 0 or more");

      Reply ok =
          JsonMmapInbox.send(
              file, Request.set("limits.burst", NODES.numberNode(70)), REQUEST_TIMEOUT);
      assertThat(ok.ok()).as("%s", ok).isTrue();
      try (JsonMmapFile reader = JsonMmapFile.open(file, Role.READER)) {
        assertThat(reader.snapshot().version()).isEqualTo(ok.version());
        assertThat(reader.snapshot().get("limits.burst")).isEqualTo(70);
      }
    } finally {
      app.destroyForcibly();
      assertThat(app.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
  }

  private static Process start(Path file) throws Exception {
    String home = System.getProperty("jsonmmap.fleet.javaHome");
    List<String> command = new ArrayList<>();
    command.add(
        Path.of(
                home == null || home.isEmpty() ? System.getProperty("java.home") : home,
                "bin",
                "java")
            .toString());
    command.add("-Xmx256m");
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-jar");
    command.add(System.getProperty("jsonmmap.fleet.jar", "target/sample-app.jar"));
    command.add("--server.port=0");
    command.add("--jsonmmap.file=" + file);
    command.add("--jsonmmap.role=writer");
    command.add("--jsonmmap.inbox.request-timeout=" + REQUEST_TIMEOUT.toSeconds() + "s");
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(file.resolveSibling("sample-app.log").toFile())
        .start();
  }
}
