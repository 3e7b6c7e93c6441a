package io.github.jsonmmap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file's directory on a nearly full file system (a 1 MiB tmpfs mounted by the test): growth
 * fails with a clear error naming the file, the committed version stays intact for every reader,
 * and a publish that fits without growth still works. Mounting needs root; elsewhere the test is
 * skipped with the reason, and it prints whether it ran.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FullDiskTest {

  @TempDir Path parent;

  private Path mount;

  @BeforeEach
  void mountSmallTmpfs() throws IOException, InterruptedException {
    boolean root = "root".equals(System.getProperty("user.name"));
    if (!root) {
      System.out.println("full disk test: skipped (not root: cannot mount a tmpfs)");
    }
    assumeTrue(root, "needs root to mount a small tmpfs");
    mount = Files.createDirectory(parent.resolve("tmpfs"));
    Run result = run("mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", mount.toString());
    if (result.exit() != 0) {
      System.out.println("full disk test: skipped (mount failed: " + result.output() + ")");
      mount = null;
    }
    assumeTrue(mount != null, () -> "mounting a tmpfs failed: " + result.output());
  }

  /**
   * Unmounts, once the garbage collector has released the closed files' mappings (a mapping keeps
   * the file system busy until its buffer is collected); lazily if they outlive the deadline.
   */
  @AfterEach
  void unmount() throws IOException, InterruptedException {
    if (mount == null) {
      return;
    }
    String target = mount.toString();
    try {
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .until(
              () -> {
                System.gc();
                return run("umount", target).exit() == 0;
              });
    } catch (ConditionTimeoutException e) {
      Run lazy = run("umount", "-l", target);
      assertThat(lazy.exit()).as("umount -l %s: %s", target, lazy.output()).isZero();
    }
  }

  @Test
  void growthOnAFullFileSystemFailsClearlyAndTheCommittedVersionStaysIntact() {
    Path file = mount.resolve("config.json");
    JsonMmapOptions options =
        JsonMmapOptions.builder(file)
            .role(Role.WRITER)
            .initialCapacity(4096)
            .maxSize(16L << 20)
            .build();
    try (JsonMmapFile writer = JsonMmapFile.open(options)) {
      Snapshot committed = writer.snapshot();
      JsonMmapException failure = null;
      List<Integer> sizes = new ArrayList<>();
      // Ever larger documents make the file grow, doubling, until the 1 MiB cannot hold it.
      for (int size = 16 * 1024; failure == null && size <= 4 << 20; size += 48 * 1024) {
        Map<String, Object> document = Map.of("size", size, "pad", "x".repeat(size));
        try {
          committed = writer.publish(document);
          sizes.add(size);
        } catch (JsonMmapException e) {
          failure = e;
        }
      }
      assertThat(failure).as("a publish failed after sizes %s", sizes).isNotNull();
      System.out.println(
          "full disk test: ran; growth failed after "
              + sizes.size()
              + " publishes (last size "
              + committed.size()
              + " bytes, version "
              + committed.version()
              + "): "
              + failure.getMessage());
      assertThat(failure).isNotInstanceOf(DocumentTooLargeException.class);
      assertThat(failure.reason()).isEqualTo("io");
      assertThat(failure.file()).isEqualTo(file);
      assertThat(failure.getMessage())
          .contains("path=" + file)
          .contains("cannot grow file")
          .containsIgnoringCase("no space left");

      // The writer still serves the committed version, and so does a fresh reader.
      assertThat(writer.snapshot().version()).isEqualTo(committed.version());
      try (JsonMmapFile reader = JsonMmapFile.open(file, Role.READER)) {
        assertThat(reader.snapshot().version()).isEqualTo(committed.version());
        assertThat(reader.snapshot().bytes()).isEqualTo(committed.bytes());
        assertThat(reader.lastError()).isEmpty();
      }

      // A document that fits without growth is still published.
      Snapshot small = writer.publish(Map.of("small", true));
      assertThat(small.version()).isEqualTo(committed.version() + 1);
      try (JsonMmapFile reader = JsonMmapFile.open(file, Role.READER)) {
        assertThat(reader.snapshot().version()).isEqualTo(small.version());
        assertThat(reader.snapshot().get("small")).isEqualTo(true);
      }
    }
    // And a writer that takes the file over afterwards adopts it intact.
    try (JsonMmapFile writer = JsonMmapFile.open(file, Role.WRITER)) {
      assertThat(writer.snapshot().get("small")).isEqualTo(true);
    }
  }

  private record Run(int exit, String output) {}

  private static Run run(String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      return new Run(-1, "timed out: " + String.join(" ", command));
    }
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Run(process.exitValue(), output.trim());
  }
}
