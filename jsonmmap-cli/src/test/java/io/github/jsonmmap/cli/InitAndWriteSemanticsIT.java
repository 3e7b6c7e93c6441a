package io.github.jsonmmap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.jsonmmap.JsonMmapFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/cli.md: {@code init} creates a file and refuses an existing one ({@code --force} only for a
 * file that holds nothing committed); write commands never create or initialise a file; {@code init
 * --mode} is never world-writable, and group-writable only with strict modes off (issues #10.8,
 * #11.5).
 */
class InitAndWriteSemanticsIT {

  /** Every write command, with its arguments after the file. */
  private static final List<List<String>> WRITES =
      List.of(
          List.of("set", "a", "1"),
          List.of("put", "{\"a\":1}"),
          List.of("merge", "{\"a\":1}"),
          List.of("remove", "a"),
          List.of("rollback"));

  @TempDir Path dir;

  private Path file;

  @BeforeEach
  void paths() {
    file = dir.resolve("app.json");
  }

  @Test
  void writeCommandsRefuseAnEmptyFileAndLeaveItEmpty() throws IOException {
    Files.write(file, new byte[0]);

    assertEveryWriteRefusedAsNotInitialised(new byte[0]);
  }

  @Test
  void writeCommandsRefuseAnAllZeroFileAndNeverInitialiseIt() throws IOException {
    byte[] zeros = new byte[8192];
    Files.write(file, zeros);

    assertEveryWriteRefusedAsNotInitialised(zeros);
  }

  @Test
  void writeCommandsRefuseAnUnfinishedCreation() throws IOException {
    // The magic, but a format version still 0: a creator that died before finishing.
    byte[] unfinished = new byte[8192];
    ByteBuffer.wrap(unfinished)
        .order(ByteOrder.LITTLE_ENDIAN)
        .put("JSONMMAP".getBytes(StandardCharsets.US_ASCII))
        .putInt(16, 4096);
    Files.write(file, unfinished);

    assertEveryWriteRefusedAsNotInitialised(unfinished);
  }

  @Test
  void setThroughASymlinkToAnAllZeroFileDoesNotInitialiseIt() throws IOException {
    Path target = dir.resolve("target.bin");
    byte[] zeros = new byte[8192];
    Files.write(target, zeros);
    Files.createSymbolicLink(file, target);

    Cli.Result result = Cli.run(dir, "set", "app.json", "a", "1");

    assertThat(result.exitCode()).as("stderr=%s", result.err()).isEqualTo(1);
    assertThat(result.out()).isEmpty();
    assertThat(result.err()).hasSize(1);
    assertThat(Files.readAllBytes(target)).isEqualTo(zeros);
  }

  @Test
  void initRefusesAnExistingEmptyFileUnlessForced() throws IOException {
    Files.write(file, new byte[0]);

    assertThat(Cli.run(dir, "init", "app.json").fails(1))
        .isEqualTo(
            "jsonmmap: file already exists: path="
                + file
                + " size=0 (holds nothing committed: use --force to initialise it, or remove it"
                + " first)");
    assertThat(Files.size(file)).isZero();

    assertThat(Cli.run(dir, "init", "app.json", "--force").ok()).isEqualTo("1");
    assertThat(Fixture.read(file).json()).isEqualTo("{}");
  }

  @Test
  void initForceInitialisesAnAllZeroFile() throws IOException {
    Files.write(file, new byte[8192]);

    assertThat(Cli.run(dir, "init", "app.json").fails(1))
        .isEqualTo(
            "jsonmmap: file already exists: path="
                + file
                + " size=8192 (holds nothing committed: use --force to initialise it, or remove it"
                + " first)");
    assertThat(Cli.run(dir, "init", "app.json", "--force").ok()).isEqualTo("1");
    assertThat(JsonMmapFile.inspect(file).currentVersion()).isEqualTo(1);
  }

  @Test
  void initForceNeverOverwritesACommittedFileOrAForeignOne() throws IOException {
    Fixture.create(file, "{\"keep\":true}");

    assertThat(Cli.run(dir, "init", "app.json", "--force").fails(1))
        .isEqualTo(
            "jsonmmap: file already exists: path="
                + file
                + " version=2 (remove it first to start over)");
    assertThat(Fixture.read(file).json()).isEqualTo("{\"keep\":true}");

    Path foreign = dir.resolve("notes.txt");
    Files.writeString(foreign, "someone's data ".repeat(100));
    assertThat(Cli.run(dir, "init", "notes.txt", "--force").fails(1))
        .startsWith("jsonmmap: file already exists: path=" + foreign)
        .contains("not a valid jsonmmap file");
    assertThat(Files.readString(foreign)).isEqualTo("someone's data ".repeat(100));
  }

  @Test
  void initRefusesAWorldWritableModeInEverySpelling() {
    for (String mode : List.of("666", "0666", "602", "777", "0642")) {
      Cli.Result result = Cli.run(dir, "init", "app.json", "--mode", mode);

      assertThat(result.exitCode()).as("mode %s: stderr=%s", mode, result.err()).isEqualTo(2);
      assertThat(result.err().get(0))
          .startsWith("jsonmmap: Invalid value for option '--mode'")
          .contains(": world-writable file mode refused: mode=")
          .contains("a jsonmmap file is never world-writable");
      assertThat(file).doesNotExist();
    }
  }

  @Test
  void initRefusesAGroupWritableModeUnlessStrictModesAreOff() throws IOException {
    assertThat(Cli.run(dir, "init", "app.json", "--mode", "660").fails(2))
        .isEqualTo(
            "jsonmmap: group-writable file mode refused: mode=660 (any account in the file's group"
                + " could publish, and strict modes refuse such a file; allowed only with"
                + " --no-strict-modes, for special deployments)");
    assertThat(file).doesNotExist();

    assertThat(
            Cli.run(dir, "init", "app.json", "--mode", "660", "--no-strict-modes")
                .okWithoutStrictModes())
        .isEqualTo("1");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-rw----");
  }

  @Test
  void trustOptionsAreAcceptedByReadAndWriteCommands() {
    Fixture.create(file);

    assertThat(Cli.run(dir, "set", "app.json", "a", "1", "--trust-user", "root").ok())
        .isEqualTo("2");
    assertThat(
            Cli.run(dir, "get", "app.json", "a", "--trust-user", "root", "--trust-user", "nobody")
                .ok())
        .isEqualTo("1");
    assertThat(Cli.run(dir, "verify", "app.json", "--no-strict-modes").okWithoutStrictModes())
        .startsWith("ok: ");
    assertThat(Cli.run(dir, "inspect", "app.json", "--trust-user", "nobody").ok())
        .contains("version    2");
    assertThat(Cli.run(dir, "get", "app.json", "--trust-user", " ").fails(2))
        .isEqualTo("jsonmmap: --trust-user needs an account name");
  }

  private void assertEveryWriteRefusedAsNotInitialised(byte[] content) throws IOException {
    for (List<String> write : WRITES) {
      String[] args = new String[write.size() + 1];
      args[0] = write.get(0);
      args[1] = "app.json";
      for (int i = 1; i < write.size(); i++) {
        args[i + 1] = write.get(i);
      }

      assertThat(Cli.run(dir, args).fails(1))
          .as(write.get(0))
          .isEqualTo(
              "jsonmmap: file is not initialised: path="
                  + file
                  + " size="
                  + content.length
                  + " (run jsonmmap init; write commands never create or initialise a file)");
      assertThat(Files.readAllBytes(file)).as(write.get(0)).isEqualTo(content);
    }
    assertThat(dir.resolve("app.json.lock")).doesNotExist();
  }
}
