package io.github.jsonmmap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapInbox;
import io.github.jsonmmap.Role;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Write commands while a live writer (another JVM) holds the lock: they go through its inbox, its
 * validators decide, and the exit codes say what happened.
 */
class InboxIT {

  @TempDir Path dir;

  private Path file;

  @BeforeEach
  void create() {
    file = dir.resolve("app.json");
    Fixture.create(file, "{\"greeting\":\"hello\"}");
  }

  @Test
  void somethingAtTheSocketPathThatIsNotTheWritersSocketIsNeverTalkedTo() throws Exception {
    Path socket = dir.resolve("app.json.sock");
    Path elsewhere = dir.resolve("elsewhere");
    Files.writeString(elsewhere, "not a socket");
    for (Runnable plant :
        List.<Runnable>of(
            () -> uncheck(() -> Files.writeString(socket, "a regular file")),
            () -> uncheck(() -> Files.createSymbolicLink(socket, elsewhere)))) {
      Files.deleteIfExists(socket);
      plant.run();
      long before = Fixture.read(file).version();

      Cli.Result result = Cli.run(dir, "set", "app.json", "greeting", "\"hi " + before + "\"");

      // No writer runs: the command takes the lock itself, after saying why it did not use it.
      assertThat(result.exitCode()).as(result.stderr()).isZero();
      assertThat(result.stdout()).isEqualTo(String.valueOf(before + 1));
      assertThat(result.stderr()).contains("not the writer's inbox, not used");
    }
    assertThat(Files.readString(elsewhere)).isEqualTo("not a socket");
  }

  private interface IoAction {
    void run() throws java.io.IOException;
  }

  private static void uncheck(IoAction action) {
    try {
      action.run();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void setGoesThroughTheLiveWriterAndReadersSeeIt() throws Exception {
    try (InboxWriter writer = InboxWriter.start(file, Role.WRITER).await("serving");
        JsonMmapFile reader = JsonMmapFile.open(file, Role.READER)) {
      long before = reader.refresh().version();

      String out = Cli.run(dir, "set", "app.json", "feature.on", "true").ok();

      assertThat(out).isEqualTo(String.valueOf(before + 1));
      assertThat(reader.refresh().version()).isEqualTo(before + 1);
      assertThat(reader.snapshot().get("feature.on")).isEqualTo(true);
      assertThat(writer.isAlive()).as("the writer keeps the role").isTrue();

      assertThat(Cli.run(dir, "merge", "app.json", "{\"feature\":{\"level\":3}}").ok())
          .isEqualTo(String.valueOf(before + 2));
      assertThat(Cli.run(dir, "remove", "app.json", "greeting").ok())
          .isEqualTo(String.valueOf(before + 3));
      assertThat(Cli.run(dir, "rollback", "app.json").ok()).isEqualTo(String.valueOf(before + 4));
      assertThat(Cli.run(dir, "put", "app.json", "{\"only\":1}").ok())
          .isEqualTo(String.valueOf(before + 5));
      assertThat(reader.refresh().tree().toString()).isEqualTo("{\"only\":1}");
    }
  }

  @Test
  void validatorRejectionExitsSixWithTheReasonsAndWritesNothing() throws Exception {
    try (InboxWriter writer = InboxWriter.start(file, Role.WRITER).await("serving")) {
      long before = Fixture.read(file).version();

      Cli.Result result = Cli.run(dir, "set", "app.json", "forbidden", "1");

      assertThat(result.exitCode()).as("stderr=%s", result.err()).isEqualTo(6);
      assertThat(result.out()).isEmpty();
      assertThat(result.err().get(0))
          .startsWith("jsonmmap: rejected by the writer's validators, nothing written: path=");
      assertThat(result.err()).contains("  - forbidden must not be set");
      assertThat(Fixture.read(file).version()).isEqualTo(before);
    }
  }

  @Test
  void expectVersionIsACompareAndSet() throws Exception {
    try (InboxWriter writer = InboxWriter.start(file, Role.WRITER).await("serving")) {
      long current = Fixture.read(file).version();

      String conflict =
          Cli.run(dir, "set", "app.json", "k", "v", "--expect-version", String.valueOf(current - 1))
              .fails(7);
      assertThat(conflict).contains("expected=" + (current - 1)).contains("current=" + current);
      assertThat(Fixture.read(file).version()).isEqualTo(current);

      assertThat(
              Cli.run(dir, "set", "app.json", "k", "v", "--expect-version", String.valueOf(current))
                  .ok())
          .isEqualTo(String.valueOf(current + 1));
    }
    // With no live writer the command takes the lock itself, and the check holds there too.
    long current = Fixture.read(file).version();
    Cli.run(dir, "remove", "app.json", "k", "--expect-version", "1").fails(7);
    assertThat(Cli.run(dir, "remove", "app.json", "k", "--expect-version", "" + current).ok())
        .isEqualTo(String.valueOf(current + 1));
  }

  @Test
  void writerKilledMidRequestIsReportedAsNotCommitted() throws Exception {
    long before;
    try (InboxWriter writer = InboxWriter.start(file, Role.WRITER).await("serving");
        Cli cli = Cli.start(dir, "set", "app.json", "block", "1")) {
      before = Fixture.read(file).version();
      writer.await("blocking");

      writer.kill();

      Cli.Result result = cli.await();
      assertThat(result.exitCode()).as("stderr=%s", result.err()).isEqualTo(8);
      assertThat(result.err()).singleElement().asString().contains("not committed");
      assertThat(Fixture.read(file).version()).isEqualTo(before);
    }
    // The dead writer's socket is stale: the next command takes the lock itself.
    assertThat(JsonMmapInbox.socketPath(file)).exists();
    assertThat(Cli.run(dir, "set", "app.json", "after", "1").ok())
        .isEqualTo(String.valueOf(before + 1));
  }

  @Test
  void afterFailoverTheCommandTalksToTheNewWriter() throws Exception {
    try (InboxWriter first = InboxWriter.start(file, Role.AUTO).await("serving");
        InboxWriter second = InboxWriter.start(file, Role.AUTO).await("ready")) {
      assertThat(Cli.run(dir, "set", "app.json", "by", "first").ok()).isNotEmpty();

      first.kill();
      second.await("serving");

      Cli.Result result = Cli.run(dir, "set", "app.json", "forbidden", "x");
      assertThat(result.exitCode()).as("the new writer's validator ran").isEqualTo(6);
      assertThat(Cli.run(dir, "set", "app.json", "by", "second").ok()).isNotEmpty();
      assertThat(Fixture.read(file).get("by")).isEqualTo("second");
      assertThat(second.isAlive()).isTrue();
    }
  }
}
