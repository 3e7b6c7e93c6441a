package io.github.jsonmmap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.Role;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whatever is thrown, Errors included, a command prints one line naming the file and exits with a
 * documented code; the stack trace only with {@code --verbose} (issue #11.3).
 */
class NoStackTraceIT {

  /** A heap the document below cannot fit in. */
  private static final List<String> TINY_HEAP = List.of("-Xmx16m");

  private static final List<String> FAULTY_LOGGING =
      List.of("-Djava.util.logging.manager=" + ThrowingLogManager.class.getName());

  @TempDir Path dir;

  @Test
  void outOfMemoryIsOneLineNamingTheFileWithExitFive() {
    Path file = dir.resolve("big.json");
    try (JsonMmapFile writer = JsonMmapFile.open(file, Role.WRITER)) {
      writer.publish(Map.of("pad", "x".repeat(20_000_000)));
    }

    String line = Cli.runWithJvmOptions(dir, TINY_HEAP, "get", "big.json").fails(5);

    assertThat(line)
        .startsWith("jsonmmap: out of memory: path=" + file + " maxHeap=")
        .endsWith(
            "(the document needs more heap than this JVM has: give it more with"
                + " JSONMMAP_JAVA_OPTS=-Xmx<size>)");

    Cli.Result verbose = Cli.runWithJvmOptions(dir, TINY_HEAP, "get", "big.json", "--verbose");
    assertThat(verbose.exitCode()).isEqualTo(5);
    // --verbose also prints the library's own log lines (the watcher it chose, for one).
    assertThat(verbose.err()).contains(line);
    assertThat(verbose.err()).anyMatch(l -> l.contains("java.lang.OutOfMemoryError"));
  }

  @Test
  void unexpectedRuntimeExceptionIsOneLineNamingTheFileWithExitFive() {
    Path file = dir.resolve("app.json");
    Fixture.create(file);

    String line = Cli.runWithJvmOptions(dir, FAULTY_LOGGING, "get", "app.json").fails(5);

    assertThat(line)
        .isEqualTo(
            "jsonmmap: internal error: path="
                + file
                + " error=java.lang.IllegalStateException: injected fault for a test");

    Cli.Result verbose =
        Cli.runWithJvmOptions(dir, FAULTY_LOGGING, "set", "app.json", "a", "1", "--verbose");
    assertThat(verbose.exitCode()).isEqualTo(5);
    assertThat(verbose.err()).anyMatch(l -> l.startsWith("jsonmmap: internal error: path=" + file));
    assertThat(verbose.err()).anyMatch(l -> l.startsWith("\tat "));
    assertThat(Fixture.read(file).version()).as("nothing was written").isEqualTo(1);
  }

  @Test
  void aFailureEscapingAnotherThreadEndsTheCommandWithOneLine() {
    Path file = dir.resolve("app.json");
    Fixture.create(file);
    List<String> options = new ArrayList<>(FAULTY_LOGGING);
    options.add("-Djsonmmap.test.fault=thread");

    // watch would run until stopped: the failure ends it instead of leaving it silent.
    Cli.Result result = Cli.runWithJvmOptions(dir, options, "watch", "app.json");

    assertThat(result.exitCode()).as("stderr=%s", result.err()).isEqualTo(5);
    assertThat(result.out()).isEmpty();
    // Besides the error, at most the notice that watch started, if it got that far first.
    assertThat(result.err())
        .contains(
            "jsonmmap: internal error: error=java.lang.IllegalStateException: "
                + ThrowingLogManager.MESSAGE
                + " in=thread failing-worker")
        .hasSizeLessThanOrEqualTo(2)
        .allMatch(line -> line.startsWith("jsonmmap: "));
  }
}
