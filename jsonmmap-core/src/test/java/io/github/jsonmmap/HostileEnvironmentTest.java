package io.github.jsonmmap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file system changing under running readers and writers: the file deleted, replaced by rename,
 * made unreadable, swapped for a symlink (refused: see {@link TrustTest} for the other attacks),
 * created with permissions a reader lacks, and two applications pointed at one path. Each gives a
 * clear error naming the file, the last good version stays served, and the reader recovers when the
 * file is fixed.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HostileEnvironmentTest {

  private static final Duration POLL = Duration.ofMillis(50);

  private static final Duration WAIT = Duration.ofSeconds(30);

  /**
   * Root reads any file whatever its permissions (CAP_DAC_OVERRIDE), so the permission tests assert
   * the refusal only when not root and, as root, that nothing breaks.
   */
  private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

  @TempDir Path dir;

  private Path file() {
    return dir.resolve("config.json");
  }

  private JsonMmapOptions.Builder readerOptions(Path path) {
    return JsonMmapOptions.builder(path)
        .role(Role.READER)
        .pollInterval(POLL)
        .readTimeout(Duration.ofMillis(200));
  }

  private JsonMmapFile reader() {
    return JsonMmapFile.open(readerOptions(file()).build());
  }

  private static JsonMmapFile writer(Path path, Map<String, Object> initial) {
    return JsonMmapFile.open(
        JsonMmapOptions.builder(path)
            .role(Role.WRITER)
            .pollInterval(POLL)
            .initialDocument(initial)
            .build());
  }

  /** Creates a complete file at {@code path} holding {@code document} and closes its writer. */
  private static void createFile(Path path, Map<String, Object> document) {
    writer(path, document).close();
  }

  private static void awaitValue(JsonMmapFile reader, String key, Object value) {
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(10))
        .untilAsserted(() -> assertThat(reader.snapshot().get(key)).isEqualTo(value));
  }

  // ---------------------------------------------------------------- deleted

  @Test
  void readerServesTheLastGoodVersionWhenTheFileIsDeletedAndFollowsTheRecreatedFile()
      throws IOException {
    try (JsonMmapFile writer = writer(file(), Map.of("app", "first"))) {
      writer.publish(Map.of("app", "first", "n", 2));
    }
    try (JsonMmapFile reader = reader()) {
      assertThat(reader.snapshot().version()).isEqualTo(2);

      Files.delete(file());

      await()
          .atMost(WAIT)
          .until(
              () -> reader.lastError().filter(FileMissingException.class::isInstance).isPresent());
      JsonMmapException error = reader.lastError().orElseThrow();
      assertThat(error.reason()).isEqualTo("missing");
      assertThat(error.getMessage()).contains("path=" + file()).contains("deleted");
      assertThat(reader.snapshot().version()).isEqualTo(2);
      assertThat(reader.snapshot().get("n")).isEqualTo(2);

      // A new file (a new inode) whose versions start again at 1.
      try (JsonMmapFile writer = writer(file(), Map.of("app", "second"))) {
        awaitValue(reader, "app", "second");
        assertThat(reader.snapshot().version()).isEqualTo(1);
        assertThat(reader.lastError()).isEmpty();

        writer.publish(Map.of("app", "second", "n", 2));
        awaitValue(reader, "n", 2);
        assertThat(reader.snapshot().version()).isEqualTo(2);
      }
    }
  }

  @Test
  void writerWhoseFileIsDeletedSaysSoInItsLastError() throws IOException {
    try (JsonMmapFile writer = writer(file(), Map.of("app", "first"))) {
      assertThat(writer.lastError()).isEmpty();

      Files.delete(file());

      await().atMost(WAIT).until(() -> writer.lastError().isPresent());
      JsonMmapException error = writer.lastError().orElseThrow();
      assertThat(error.reason()).isEqualTo("replaced");
      assertThat(error.getMessage())
          .contains("path=" + file())
          .contains("deleted or replaced under the writer");
    }
  }

  @Test
  void writerWhoseFileIsReplacedByRenameSaysSoInItsLastError() throws IOException {
    Path other = dir.resolve("other.json");
    createFile(other, Map.of("app", "other"));
    try (JsonMmapFile writer = writer(file(), Map.of("app", "first"))) {
      Files.move(
          other, file(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

      await().atMost(WAIT).until(() -> writer.lastError().isPresent());
      assertThat(writer.lastError().orElseThrow().reason()).isEqualTo("replaced");
      assertThat(writer.lastError().orElseThrow().getMessage()).contains("path=" + file());
    }
  }

  /**
   * An operator's {@code : > config.json} (or {@code echo ... > config.json}) truncates the file in
   * place: every page the reader mapped lies past the end, and touching one is SIGBUS. The reader
   * must notice before it touches the mapping, keep its last good version, and recover when a
   * writer makes the file again.
   */
  @Test
  void readerSurvivesTheFileTruncatedToNothingInPlaceAndRecovers() throws IOException {
    createFile(file(), Map.of("app", "first"));
    try (JsonMmapFile reader = reader()) {
      assertThat(reader.snapshot().get("app")).isEqualTo("first");

      FileSurgery.truncate(file(), 0);

      // Every entry point a caller or a health check uses, right after the truncation.
      assertThat(reader.refresh().get("app")).isEqualTo("first");
      assertThat(reader.snapshot().get("app")).isEqualTo("first");
      reader.isWriterStale();
      reader.writerHeartbeatAge();
      await()
          .atMost(WAIT)
          .until(
              () -> reader.lastError().filter(CorruptFileException.class::isInstance).isPresent());
      assertThat(reader.lastError().orElseThrow().getMessage())
          .contains("path=" + file())
          .contains("truncated");
      assertThat(reader.snapshot().get("app")).isEqualTo("first");

      Files.delete(file());
      try (JsonMmapFile writer = writer(file(), Map.of("app", "second"))) {
        awaitValue(reader, "app", "second");
      }
    }
  }

  // ---------------------------------------------------------------- replaced

  @Test
  void readerSwitchesToAValidFileRenamedOverThePath() throws IOException {
    createFile(file(), Map.of("app", "first"));
    Path other = dir.resolve("other.json");
    createFile(other, Map.of("app", "other"));
    try (JsonMmapFile reader = reader()) {
      assertThat(reader.snapshot().get("app")).isEqualTo("first");

      Files.move(
          other, file(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

      awaitValue(reader, "app", "other");
      assertThat(reader.lastError()).isEmpty();
    }
  }

  /**
   * Before issue #10 the reader followed the link to the other file; a symlink the library did not
   * create is now never followed: the reader reports it and keeps the last good version.
   */
  @Test
  void readerRefusesThePathSwappedForASymlinkAndKeepsItsVersion() throws IOException {
    createFile(file(), Map.of("app", "first"));
    Path target = dir.resolve("target.json");
    createFile(target, Map.of("app", "target"));
    byte[] targetBytes = Files.readAllBytes(target);
    try (JsonMmapFile reader = reader()) {
      assertThat(reader.snapshot().get("app")).isEqualTo("first");

      Path link = dir.resolve("link.tmp");
      Files.createSymbolicLink(link, target);
      Files.move(link, file(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

      await()
          .atMost(WAIT)
          .until(
              () ->
                  reader.lastError().filter(UntrustedFileException.class::isInstance).isPresent());
      JsonMmapException error = reader.lastError().orElseThrow();
      assertThat(error.reason()).isEqualTo("untrusted");
      assertThat(error.getMessage())
          .contains("path=" + file())
          .contains("rule=the file must not be a symbolic link");
      assertThat(reader.snapshot().get("app")).isEqualTo("first");
      assertThat(Files.readAllBytes(target)).isEqualTo(targetBytes);
    }
  }

  // ---------------------------------------------------------------- permissions

  @Test
  void readerKeepsItsMappingWhenTheFileIsMadeUnreadableUnderIt() throws IOException {
    try (JsonMmapFile writer = writer(file(), Map.of("n", 1));
        JsonMmapFile reader = reader()) {
      assertThat(reader.snapshot().get("n")).isEqualTo(1);
      try {
        Files.setPosixFilePermissions(file(), PosixFilePermissions.fromString("---------"));

        // Permissions are checked when a file is opened, not on a mapping already made: the
        // running reader follows new versions (for root and for anyone else alike).
        writer.publish(Map.of("n", 2));
        awaitValue(reader, "n", 2);
        assertThat(reader.lastError()).isEmpty();

        JsonMmapException refused =
            catchThrowableOfType(JsonMmapException.class, () -> reader().close());
        if (ROOT) {
          // Root opens it regardless (see ROOT).
          assertThat(refused).isNull();
        } else {
          assertThat(refused).isNotNull();
          assertThat(refused.reason()).isEqualTo("io");
          assertThat(refused.getMessage()).contains("permission denied").contains("path=" + file());
        }
      } finally {
        Files.setPosixFilePermissions(file(), PosixFilePermissions.fromString("rw-r-----"));
      }
    }
  }

  @Test
  void readerOfAFileItMayNotReadReportsItAndAttachesWhenThePermissionsAreFixed()
      throws IOException {
    // Created the way another user's writer with a too strict umask or option would leave it.
    try (JsonMmapFile writer =
        JsonMmapFile.open(
            JsonMmapOptions.builder(file())
                .role(Role.WRITER)
                .permissions("rw-------")
                .initialDocument(Map.of("app", "strict"))
                .build())) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file())))
          .isEqualTo("rw-------");
    }
    Files.setPosixFilePermissions(file(), PosixFilePermissions.fromString("---------"));
    try (JsonMmapFile reader =
        JsonMmapFile.open(readerOptions(file()).requireFile(false).build())) {
      if (ROOT) {
        // Root reads it at once (see ROOT).
        assertThat(reader.snapshot().get("app")).isEqualTo("strict");
      } else {
        assertThat(reader.snapshot().version()).isZero();
        JsonMmapException error = reader.lastError().orElseThrow();
        assertThat(error.reason()).isEqualTo("io");
        assertThat(error.getMessage()).contains("permission denied").contains("path=" + file());
      }

      Files.setPosixFilePermissions(file(), PosixFilePermissions.fromString("rw-r--r--"));

      awaitValue(reader, "app", "strict");
      await().atMost(WAIT).until(() -> reader.lastError().isEmpty());
    }
  }

  // ---------------------------------------------------------------- two applications

  @Test
  void twoApplicationsWithDifferentNamesOnOnePathAreToldWhoseFileItIs() {
    try (JsonMmapFile billing = named(Role.WRITER, "billing")) {
      NameMismatchException reader =
          catchThrowableOfType(
              NameMismatchException.class,
              () -> JsonMmapFile.open(readerOptions(file()).name("orders").build()).close());
      assertThat(reader).isNotNull();
      assertThat(reader.reason()).isEqualTo("name-mismatch");
      assertThat(reader.getMessage())
          .contains("path=" + file())
          .contains("\"billing\"")
          .contains("\"orders\"");

      // A standby of the other application reports it, and never takes the file over.
      try (JsonMmapFile standby = named(Role.AUTO, "orders")) {
        assertThat(standby.isWriter()).isFalse();
        assertThat(standby.lastError()).get().isInstanceOf(NameMismatchException.class);
        billing.close();
        await()
            .during(Duration.ofMillis(500))
            .atMost(WAIT)
            .until(
                () ->
                    !standby.isWriter()
                        && standby
                            .lastError()
                            .filter(NameMismatchException.class::isInstance)
                            .isPresent());
      }
    }
    NameMismatchException writer =
        catchThrowableOfType(
            NameMismatchException.class, () -> named(Role.WRITER, "orders").close());
    assertThat(writer).isNotNull();
    assertThat(writer.getMessage()).contains("\"billing\"").contains("\"orders\"");

    // The file is untouched: billing's name and billing's document.
    assertThat(JsonMmapFile.inspect(file()).name()).isEqualTo("billing");
    try (JsonMmapFile reader = reader()) {
      assertThat(reader.snapshot().get("app")).isEqualTo("billing");
    }
  }

  /** Opens the file in {@code role} as the application {@code name}, whose document names it. */
  private JsonMmapFile named(Role role, String name) {
    return JsonMmapFile.open(
        JsonMmapOptions.builder(file())
            .role(role)
            .name(name)
            .heartbeatInterval(POLL)
            .pollInterval(POLL)
            .initialDocument(Map.of("app", name))
            .build());
  }

  @Test
  void readerKeepsItsApplicationsVersionWhenAnotherApplicationsFileReplacesIt() throws IOException {
    Path orders = dir.resolve("orders.json");
    JsonMmapFile.open(
            JsonMmapOptions.builder(orders)
                .role(Role.WRITER)
                .name("orders")
                .initialDocument(Map.of("app", "orders"))
                .build())
        .close();
    try (JsonMmapFile writer =
            JsonMmapFile.open(
                JsonMmapOptions.builder(file())
                    .role(Role.WRITER)
                    .name("billing")
                    .initialDocument(Map.of("app", "billing"))
                    .build());
        JsonMmapFile reader = JsonMmapFile.open(readerOptions(file()).name("billing").build())) {
      assertThat(reader.snapshot().get("app")).isEqualTo("billing");

      Files.move(
          orders, file(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

      await()
          .atMost(WAIT)
          .until(
              () -> reader.lastError().filter(NameMismatchException.class::isInstance).isPresent());
      assertThat(reader.lastError().orElseThrow().getMessage())
          .contains("path=" + file())
          .contains("\"orders\"")
          .contains("\"billing\"");
      assertThat(reader.snapshot().get("app")).isEqualTo("billing");
    }
  }
}
