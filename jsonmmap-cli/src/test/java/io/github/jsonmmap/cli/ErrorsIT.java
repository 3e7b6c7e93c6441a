package io.github.jsonmmap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.jsonmmap.FileInfo;
import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.Role;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every error path of the real jar: one line on stderr naming the file and the problem, the
 * documented exit code, no stack trace unless {@code --verbose}.
 */
class ErrorsIT {

  /** FORMAT.md: the format major version, a little-endian int at byte 8 of the header. */
  private static final int FORMAT_MAJOR_OFFSET = 8;

  /** FORMAT.md: slot descriptors of 64 bytes start at 256; the sequence is their first field. */
  private static final int SLOT_0_OFFSET = 256;

  private static final int SLOT_LENGTH = 64;

  @TempDir Path dir;

  private Path file;

  @BeforeEach
  void paths() {
    file = dir.resolve("app.json");
  }

  @Test
  void missingFileIsAFileProblemForReadersAndWriters() {
    assertThat(Cli.run(dir, "get", "app.json").fails(1))
        .isEqualTo("jsonmmap: file does not exist: path=" + file);
    assertThat(Cli.run(dir, "set", "app.json", "a", "1").fails(1))
        .startsWith("jsonmmap: file does not exist: path=" + file)
        .contains("jsonmmap init");
    assertThat(Cli.run(dir, "verify", "app.json").fails(1)).contains("path=" + file);

    assertThat(file).as("a write command never creates the file").doesNotExist();
    assertThat(dir.resolve("app.json.lock")).doesNotExist();
  }

  @Test
  void garbageFileIsRefusedByEveryCommandAndNeverOverwritten() throws IOException {
    byte[] garbage = new byte[8192];
    new Random(42).nextBytes(garbage);
    Files.write(file, garbage);

    assertThat(Cli.run(dir, "get", "app.json").fails(1))
        .contains("not a jsonmmap file (bad magic): path=" + file);
    assertThat(Cli.run(dir, "verify", "app.json").fails(1)).contains("bad magic");
    assertThat(Cli.run(dir, "put", "app.json", "{}").fails(1))
        .contains("bad magic")
        .contains("refuses to overwrite");
    assertThat(Cli.run(dir, "init", "app.json").fails(1))
        .startsWith("jsonmmap: file already exists: path=" + file);

    assertThat(Files.readAllBytes(file)).isEqualTo(garbage);
  }

  @Test
  void initRefusesAnExistingFile() {
    Fixture.create(file);

    assertThat(Cli.run(dir, "init", "app.json").fails(1))
        .startsWith("jsonmmap: file already exists: path=" + file + " version=1");
  }

  @Test
  void checksumMismatchInTheCurrentSlotFailsReadAndVerify() throws IOException {
    Fixture.create(file, "{\"greeting\":\"hello\"}");
    FileInfo.SlotInfo current = currentSlot();
    flipByte(current.offset() + 2);

    assertThat(Cli.run(dir, "get", "app.json").fails(1)).contains("path=" + file);
    assertThat(Cli.run(dir, "verify", "app.json").fails(1))
        .startsWith("jsonmmap: current slot unreadable: path=" + file)
        .contains("state=corrupt");
  }

  @Test
  void unknownFormatVersionNamesBothVersions() throws IOException {
    Fixture.create(file);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.write(int32(9), FORMAT_MAJOR_OFFSET);
    }

    assertThat(Cli.run(dir, "inspect", "app.json").fails(1))
        .contains("unsupported format version: path=" + file)
        .contains("fileVersion=9.");
  }

  @Test
  void verifyWarnsButPassesWhenTheOtherSlotIsHalfWritten() throws IOException {
    Fixture.create(file, "{\"a\":1}");
    int other = 1 - currentSlot().index();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      // An odd sequence: what a writer killed in the middle of a publish leaves.
      ch.write(int32(7), SLOT_0_OFFSET + (long) other * SLOT_LENGTH);
    }

    Cli.Result result = Cli.run(dir, "verify", "app.json");
    assertThat(result.exitCode()).isZero();
    assertThat(result.stdout())
        .startsWith("ok: path=" + file + " version=2")
        .endsWith("warnings=1");
    assertThat(result.err()).singleElement().asString().startsWith("jsonmmap: warning: slot ");
  }

  @Test
  void writeFailsFastWhileAnotherProcessHoldsTheWriterLock() {
    Fixture.create(file);
    try (JsonMmapFile writer = JsonMmapFile.open(file, Role.WRITER)) {
      assertThat(Cli.run(dir, "set", "app.json", "a", "1").fails(3))
          .startsWith("jsonmmap: another process holds the writer lock: path=" + file)
          .contains("holder=\"pid=" + ProcessHandle.current().pid());
      Cli.Result waited = Cli.run(dir, "rollback", "app.json", "--wait", "300ms");
      assertThat(waited.exitCode()).isEqualTo(3);
      List<String> err = waited.err();
      assertThat(err.get(err.size() - 1))
          .as("the error once the wait has passed")
          .startsWith("jsonmmap: another process holds the writer lock: path=" + file)
          .endsWith("waited=300ms");
      assertThat(err.subList(0, err.size() - 1))
          .as("at most a notice that it waits (none when the first try took the whole wait)")
          .hasSizeLessThanOrEqualTo(1)
          .allMatch(line -> line.startsWith("jsonmmap: waiting for the writer lock: "));
      assertThat(writer.snapshot().version()).isEqualTo(1);
    }
  }

  @Test
  void writeWithWaitSucceedsOnceTheLockIsReleased() {
    Fixture.create(file);
    JsonMmapFile writer = JsonMmapFile.open(file, Role.WRITER);
    try (Cli set = Cli.start(dir, "set", "app.json", "a", "1", "--wait", "20s")) {
      set.awaitErr("waiting for the writer lock");
      writer.close();

      Cli.Result result = set.await();
      assertThat(result.exitCode()).isZero();
      assertThat(result.stdout()).isEqualTo("2");
    } finally {
      writer.close();
    }
  }

  @Test
  void badJsonInputIsAUsageError() {
    Fixture.create(file);

    assertThat(Cli.run(dir, "put", "app.json", "{\"a\": ").fails(2))
        .startsWith("jsonmmap: document is not valid JSON: input=argument");
    assertThat(Cli.run(dir, "merge", "app.json", "[1, 2]").fails(2))
        .isEqualTo("jsonmmap: patch must be a JSON object: input=argument root=array");
    assertThat(Cli.run(dir, "put", "app.json", "@nowhere.json").fails(2))
        .startsWith("jsonmmap: cannot read document: input=" + dir.resolve("nowhere.json"));
    assertThat(Cli.run(dir, "set", "app.json", "a..b", "1").fails(2))
        .isEqualTo("jsonmmap: empty name in key: key=a..b");
    // An exponent past what a decimal holds: a usage error, not a stack trace.
    assertThat(Cli.run(dir, "put", "app.json", "{\"a\":1e99999999999}").fails(2))
        .startsWith("jsonmmap: document is not valid JSON: input=argument")
        .contains("number out of range");
    assertThat(Cli.run(dir, "set", "app.json", "a", "1e99999999999").fails(2))
        .contains("number out of range")
        .contains("--string");
    assertThat(Cli.run(dir, "set", "app.json", "a", "1e99999999999", "--string").exitCode())
        .isZero();
  }

  @Test
  void badArgumentsAreUsageErrorsWithAHint() {
    Cli.Result result = Cli.run(dir, "init", "app.json", "--capacity", "lots");
    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.out()).isEmpty();
    assertThat(result.err())
        .containsExactly(
            "jsonmmap: Invalid value for option '--capacity': not a size: 'lots' (use bytes or a"
                + " unit: 64KiB, 1MiB, 1GiB)",
            "Try 'jsonmmap init --help' for more information.");

    assertThat(Cli.run(dir, "frobnicate").exitCode()).isEqualTo(2);
    assertThat(file).doesNotExist();
  }

  @Test
  void getOfAnAbsentKeyExitsFour() {
    Fixture.create(file);

    assertThat(Cli.run(dir, "get", "app.json", "nope").fails(4))
        .isEqualTo("jsonmmap: no such key: path=" + file + " key=nope version=1");
  }

  @Test
  void verboseAddsTheStackTrace() {
    Cli.Result result = Cli.run(dir, "get", "app.json", "--verbose");

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.err().get(0)).isEqualTo("jsonmmap: file does not exist: path=" + file);
    assertThat(result.err())
        .anyMatch(line -> line.startsWith("io.github.jsonmmap.FileMissingException"))
        .anyMatch(line -> line.startsWith("\tat io.github.jsonmmap."));
  }

  private FileInfo.SlotInfo currentSlot() {
    FileInfo info = JsonMmapFile.inspect(file);
    return info.slots().get(info.currentSlot());
  }

  private void flipByte(long position) throws IOException {
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer one = ByteBuffer.allocate(1);
      ch.read(one, position);
      one.put(0, (byte) (one.get(0) ^ 0x20));
      one.rewind();
      ch.write(one, position);
    }
  }

  private static ByteBuffer int32(int value) {
    return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, value);
  }
}
