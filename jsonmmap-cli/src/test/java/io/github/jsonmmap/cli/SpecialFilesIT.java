package io.github.jsonmmap.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A FIFO, a device or a symlink to one at the path: every command refuses it at once with one line
 * naming the path and exit 1, and never blocks in open() (issue #10.3).
 */
class SpecialFilesIT {

  /** Far below Cli.TIMEOUT: a command that blocked on the FIFO would take all of that. */
  private static final Duration QUICK = Duration.ofSeconds(20);

  @TempDir Path dir;

  @Test
  void everyCommandRefusesAFifoWithoutBlocking() throws Exception {
    Path fifo = dir.resolve("app.json");
    mkfifo(fifo);

    for (List<String> command :
        List.of(
            List.of("get", "app.json"),
            List.of("inspect", "app.json"),
            List.of("verify", "app.json"),
            List.of("watch", "app.json"),
            List.of("set", "app.json", "a", "1"),
            List.of("put", "app.json", "{}"),
            List.of("init", "app.json"),
            List.of("init", "app.json", "--force"))) {
      long start = System.nanoTime();
      String line = Cli.run(dir, command.toArray(String[]::new)).fails(1);

      assertThat(Duration.ofNanos(System.nanoTime() - start)).as("%s", command).isLessThan(QUICK);
      assertThat(line).as("%s", command).contains(fifo.toString());
    }
    assertThat(dir.resolve("app.json.lock")).doesNotExist();
  }

  @Test
  void aSymlinkToAFifoAndADeviceAreRefusedToo() throws Exception {
    Path fifo = dir.resolve("pipe");
    mkfifo(fifo);
    Files.createSymbolicLink(dir.resolve("link.json"), fifo);

    assertThat(Cli.run(dir, "get", "link.json").fails(1))
        .contains(dir.resolve("link.json").toString());
    assertThat(Cli.run(dir, "inspect", "/dev/null").fails(1))
        .isEqualTo(
            "jsonmmap: not a regular file: path=/dev/null type=character-device (jsonmmap opens"
                + " only regular files)");
    assertThat(Cli.run(dir, "set", "/dev/null", "a", "1").fails(1)).contains("path=/dev/null");
  }

  @Test
  void jsonInputFromAFifoADeviceOrADirectoryIsRefusedWithoutBlocking() throws Exception {
    assertThat(Cli.run(dir, "init", "app.json").ok()).isEqualTo("1");
    Path fifo = dir.resolve("input.json");
    mkfifo(fifo);
    Files.createSymbolicLink(dir.resolve("zero.json"), Path.of("/dev/zero"));

    for (List<String> command :
        List.of(
            List.of("put", "app.json", "@input.json"),
            List.of("merge", "app.json", "@input.json"),
            List.of("put", "app.json", "@zero.json"),
            List.of("merge", "app.json", "@/dev/zero"),
            List.of("put", "app.json", "@."))) {
      long start = System.nanoTime();
      String line = Cli.run(dir, command.toArray(String[]::new)).fails(2);

      assertThat(Duration.ofNanos(System.nanoTime() - start)).as("%s", command).isLessThan(QUICK);
      assertThat(line).as("%s", command).startsWith("jsonmmap: cannot read ").contains("input=");
    }
    assertThat(Cli.run(dir, "put", "app.json", "@input.json").fails(2))
        .contains(fifo.toString())
        .contains("not a regular file")
        .contains("give -");
    assertThat(Cli.run(dir, "get", "app.json").ok()).isEqualTo("{}");
    Files.delete(dir.resolve("zero.json"));

    // The process's own descriptors are pipes with a writer: read as standard input is.
    assertThat(
            Cli.runWithStdin(dir, "{\"via\":\"dev-stdin\"}", "put", "app.json", "@/dev/stdin").ok())
        .isEqualTo("2");
    assertThat(Cli.run(dir, "get", "app.json", "via", "--raw").ok()).isEqualTo("dev-stdin");
  }

  @Test
  void jsonInputIsReadOnlyUpToTheFilesMaxSizeAndMustBeUtf8() throws Exception {
    assertThat(Cli.run(dir, "init", "app.json").ok()).isEqualTo("1");
    Path big = dir.resolve("big.json");
    // A valid document of 3 MiB: over a 1 MiB file's limit, whatever the reader would make of it.
    Files.writeString(big, "{\"pad\":\"" + "x".repeat(3 << 20) + "\"}");

    assertThat(Cli.run(dir, "put", "--max-size=1MiB", "app.json", "@big.json").fails(2))
        .isEqualTo(
            "jsonmmap: document too large: input=file "
                + big
                + " size=3.0MiB limit=1.0MiB (the file's --max-size; a document is at most a third"
                + " of it)");
    String stdin = "{\"pad\":\"" + "y".repeat(2 << 20) + "\"}";
    assertThat(Cli.runWithStdin(dir, stdin, "merge", "--max-size=1MiB", "app.json", "-").fails(2))
        .startsWith("jsonmmap: patch too large: input=stdin size=over 1.0MiB limit=1.0MiB");

    Files.write(dir.resolve("latin1.json"), "{\"city\":\"Z\u00fcrich\"}".getBytes("ISO-8859-1"));
    assertThat(Cli.run(dir, "put", "app.json", "@latin1.json").fails(2))
        .isEqualTo(
            "jsonmmap: document is not UTF-8 text: input=file " + dir.resolve("latin1.json"));
    assertThat(Cli.run(dir, "get", "app.json").ok()).isEqualTo("{}");
  }

  private static void mkfifo(Path fifo) throws IOException, InterruptedException {
    Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
    assumeTrue(
        mkfifo.waitFor(30, TimeUnit.SECONDS) && mkfifo.exitValue() == 0, "mkfifo is not available");
  }
}
