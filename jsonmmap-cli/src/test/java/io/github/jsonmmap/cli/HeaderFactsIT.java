package io.github.jsonmmap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.Role;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the format 1.1 header says reaches the operator: a clean close, and one version number
 * holding two documents (two writers), which {@code verify} refuses (issue #11).
 */
class HeaderFactsIT {

  /** Offset of the current word and of the slot descriptors (FORMAT.md section 3). */
  private static final int CURRENT_OFFSET = 48;

  private static final int[] SLOT_VERSION_OFFSETS = {256 + 8, 320 + 8};

  @TempDir Path dir;

  @Test
  void inspectSaysTheLastWriterClosedCleanly() {
    Path file = dir.resolve("app.json");
    Fixture.create(file, "{\"a\":1}");

    String text = Cli.run(dir, "inspect", "app.json").ok();

    assertThat(text).containsPattern("(?m)^writer +none, closed cleanly at \\d{4}-");
    assertThat(Cli.run(dir, "inspect", "app.json", "--json").ok())
        .containsPattern("\"closedCleanlyMicros\": ?[1-9]");
  }

  @Test
  void inspectSaysALiveWriterIsAliveNotClosed() {
    Path file = dir.resolve("app.json");
    try (JsonMmapFile writer = JsonMmapFile.open(file, Role.WRITER)) {
      writer.set("a", 1);

      String text = Cli.run(dir, "inspect", "app.json").ok();

      assertThat(text).contains("(alive)").doesNotContain("closed cleanly");
    }
  }

  @Test
  void inspectShowsWhereTheCurrentVersionCameFromWhenTheWriterSaysSo() {
    Path file = dir.resolve("app.json");
    Fixture.create(file, "{\"a\":1,\"_jsonmmap\":{\"source\":\"etcd\",\"etcdRevision\":42}}");

    assertThat(Cli.run(dir, "inspect", "app.json").ok())
        .containsPattern("(?m)^source +\\{\"source\":\"etcd\",\"etcdRevision\":42\\}$");
    assertThat(Cli.run(dir, "inspect", "app.json", "--json").ok()).contains("\"etcdRevision\": 42");
  }

  @Test
  void verifyRefusesAFileWhoseTwoSlotsHoldOneVersionWithTwoDocuments() throws IOException {
    Path file = dir.resolve("app.json");
    Fixture.create(file, "{\"a\":1}", "{\"a\":2}");
    long current = readLong(file, CURRENT_OFFSET);
    int other = 1 - (int) (current & 1);
    // What two writers that both acknowledged one version leave behind: the other slot holds the
    // current version number with its own (intact, checksummed) document.
    writeLong(file, SLOT_VERSION_OFFSETS[other], current >>> 1);

    String line = Cli.run(dir, "verify", "app.json").fails(1);

    assertThat(line).contains("diverged").contains("version " + (current >>> 1));
    assertThat(Cli.run(dir, "inspect", "app.json").ok()).containsPattern("(?m)^FAULT +diverged");
  }

  private static long readLong(Path file, long position) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      ch.read(b, position);
      return b.getLong(0);
    }
  }

  private static void writeLong(Path file, long position, long value) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, value), position);
    }
  }
}
