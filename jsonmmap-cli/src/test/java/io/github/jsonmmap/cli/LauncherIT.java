package io.github.jsonmmap.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./jsonmmap} launcher maps its class-data sharing archive only when it could not have
 * been written by another user: the trust rules of the data file (README "Security").
 */
class LauncherIT {

  @TempDir Path root;

  private Path target;

  @BeforeEach
  void copyLauncherAndJar() throws IOException {
    Path script = findRepoRoot().resolve("jsonmmap");
    Files.copy(script, root.resolve("jsonmmap"));
    target = Files.createDirectories(root.resolve("jsonmmap-cli/target"));
    Files.copy(Cli.jar(), target.resolve("jsonmmap-cli.jar"));
    for (Path p : List.of(root, root.resolve("jsonmmap-cli"), target)) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
  }

  @Test
  void archiveIsRecordedAndUsedOnlyWhereNoOtherUserCouldHaveWrittenIt() throws IOException {
    assertThat(launch()).isEmpty();
    Path jsa = archive();
    assertThat(launch()).as("a trusted archive is used silently").isEmpty();

    Files.setPosixFilePermissions(jsa, PosixFilePermissions.fromString("rw-rw-rw-"));
    assertThat(launch())
        .contains("class-data sharing archive not used")
        .contains("writable by group or others")
        .contains("mode=666");
    Files.setPosixFilePermissions(jsa, PosixFilePermissions.fromString("rw-r--r--"));

    Path real = jsa.resolveSibling("elsewhere.jsa");
    Files.move(jsa, real);
    Files.createSymbolicLink(jsa, real);
    assertThat(launch()).contains("not used").contains("not a regular file");
    Files.delete(jsa);

    // A directory others can write: the archive is neither used nor recorded there.
    Files.move(real, jsa);
    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxrwxrwx"));
    assertThat(launch()).contains("not used").contains("in a directory writable by group");
    Files.delete(jsa);
    assertThat(launch()).contains("not used");
    assertThat(archives()).isEmpty();
  }

  @Test
  void archiveOwnedByAnotherUserIsNotUsed() throws IOException {
    assumeTrue(
        "root".equals(System.getProperty("user.name")),
        "giving the archive to another owner needs root; skipped when not root");
    launch();
    Path jsa = archive();
    Files.setAttribute(jsa, "unix:uid", 4242, LinkOption.NOFOLLOW_LINKS);
    assertThat(launch()).contains("not used").contains("owned by another user").contains("4242");
  }

  /** Runs {@code jsonmmap --version} through the launcher; returns its standard error. */
  private String launch() {
    Path out = root.resolve("out.txt");
    Path err = root.resolve("err.txt");
    ProcessBuilder builder =
        new ProcessBuilder("sh", root.resolve("jsonmmap").toString(), "--version")
            .redirectOutput(out.toFile())
            .redirectError(err.toFile());
    builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
    builder.environment().remove("JSONMMAP_CDS");
    builder.environment().remove("JSONMMAP_JAVA_OPTS");
    try {
      Process process = builder.start();
      if (!process.waitFor(Cli.TIMEOUT.toSeconds() * 2, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        fail("launcher did not finish");
      }
      String stderr = Files.readString(err, StandardCharsets.UTF_8);
      assertThat(process.exitValue()).as("exit code; stderr=%s", stderr).isZero();
      assertThat(Files.readString(out, StandardCharsets.UTF_8)).startsWith("jsonmmap ");
      return stderr;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  private Path archive() {
    List<Path> archives = archives();
    assertThat(archives).as("the archive the first run recorded").hasSize(1);
    return archives.get(0);
  }

  private List<Path> archives() {
    try (Stream<Path> files = Files.list(target)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".jsa")).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path findRepoRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("jsonmmap"))
          && Files.isDirectory(p.resolve("jsonmmap-cli"))) {
        return p;
      }
    }
    throw new IllegalStateException("repository root (with ./jsonmmap) not found");
  }
}
