package io.github.jsonmmap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A writer commits (flips current) before it releases the slot's sequence (FORMAT.md 5.2); one that
 * dies between the two leaves the current slot odd with a complete, committed version in it. The
 * commands read it as the current version, as FORMAT.md section 8 step 2 allows, and never report
 * it as "writing".
 */
class UnreleasedSlotIT {

  private static final int CURRENT_OFFSET = 48;

  private static final int[] SLOT_SEQUENCE_OFFSETS = {256, 320};

  @TempDir Path dir;

  @Test
  void committedSlotLeftOddIsCurrentForInspectVerifyAndGet() throws IOException {
    Path file = dir.resolve("app.json");
    long version = Fixture.create(file, "{\"a\":1}", "{\"a\":2}");
    int slot = (int) (readLong(file, CURRENT_OFFSET) & 1);
    long sequence = readLong(file, SLOT_SEQUENCE_OFFSETS[slot]);
    writeLong(file, SLOT_SEQUENCE_OFFSETS[slot], sequence + 1);

    String inspect = Cli.run(dir, "inspect", "app.json").ok();
    assertThat(inspect)
        .containsPattern("(?m)^slot " + slot + " +current +version=" + version)
        .doesNotContain("writing");

    Cli.Result verify = Cli.run(dir, "verify", "app.json");
    assertThat(verify.exitCode()).as("stderr=%s", verify.err()).isZero();
    assertThat(verify.stdout()).startsWith("ok:").contains("version=" + version);
    assertThat(verify.stderr()).contains("committed but not released");

    assertThat(Cli.run(dir, "get", "app.json", "a").ok()).isEqualTo("2");
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
