package io.github.jsonmmap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The file system trust rules of issue #10, one attack a test, through the public API: files and
 * directories another account planted, symlinks, FIFOs and devices at the path, modes under any
 * umask, readers in another account, and the name of a lock's real holder.
 *
 * <p>Tests that need a second account create {@value #ACCOUNT} when running as root (as CI does)
 * and are skipped with a message otherwise.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TrustTest {

  /** The unprivileged account these tests plant files as. */
  static final String ACCOUNT = "jmtrust";

  private static final Duration QUICK = Duration.ofSeconds(30);

  private static final Duration CHILD = Duration.ofSeconds(90);

  private static final boolean ROOT = uidOf(Path.of("/proc/self")) == 0;

  @TempDir Path dir;

  // ---------------------------------------------------------------- planted by another user

  @Test
  void directoryAnotherUserPreCreatedInAStickyDirectoryIsRefusedToRootWriterAndReader()
      throws Exception {
    Account mallory = account();
    Path sticky = stickyDirectory();
    Path planted = Files.createDirectory(sticky.resolve("jsonmmap"));
    Path file = planted.resolve("app.json");
    moveValidFileTo(file);
    chown(planted, mallory);
    chown(file, mallory);
    byte[] before = Files.readAllBytes(file);

    for (Role role : new Role[] {Role.WRITER, Role.READER}) {
      UntrustedFileException refused = refusedOpen(file, role);
      assertThat(refused.getMessage())
          .as("role=%s", role)
          .startsWith("untrusted directory: path=" + planted + " ")
          .contains("owner=" + ACCOUNT + "(" + mallory.uid() + ")")
          .contains("mode=rwxr-xr-x")
          .contains(
              "rule=a directory in a world-writable sticky directory must be owned by root or by"
                  + " this user (uid=0)")
          .contains("file=" + file);
    }
    assertThat(Files.readAllBytes(file)).isEqualTo(before);
    assertThat(Files.exists(planted.resolve("app.json.lock"), LinkOption.NOFOLLOW_LINKS)).isFalse();
  }

  @Test
  void fileAnotherUserPreCreatedInAStickyDirectoryIsRefusedToRootWriterAndReader()
      throws Exception {
    Account mallory = account();
    Path sticky = stickyDirectory();
    Path file = sticky.resolve("app.json");
    moveValidFileTo(file);
    chown(file, mallory);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    byte[] before = Files.readAllBytes(file);

    for (Role role : new Role[] {Role.WRITER, Role.READER}) {
      UntrustedFileException refused = refusedOpen(file, role);
      assertThat(refused.getMessage())
          .as("role=%s", role)
          .startsWith("untrusted file: path=" + file + " ")
          .contains("owner=" + ACCOUNT + "(" + mallory.uid() + ")")
          .contains("mode=rw-r--r--")
          .contains(
              "rule=a file in a world-writable sticky directory must be owned by root or by this"
                  + " user (uid=0)");
    }
    UntrustedFileException inspected =
        catchThrowableOfType(UntrustedFileException.class, () -> JsonMmapFile.inspect(file));
    assertThat(inspected).isNotNull();
    assertThat(Files.readAllBytes(file)).isEqualTo(before);
  }

  @Test
  void accountNamedInTrustedUsersMayOwnTheFileAReaderReads() throws Exception {
    Account app = account();
    Path sticky = stickyDirectory();
    Path file = sticky.resolve("app.json");
    moveValidFileTo(file);
    chown(file, app);

    try (JsonMmapFile reader =
        JsonMmapFile.open(JsonMmapOptions.builder(file).trustedUsers(Set.of(ACCOUNT)).build())) {
      assertThat(reader.snapshot().get("app")).isEqualTo("valid");
    }
  }

  @Test
  void writerRefusesAFileAnotherAccountOwnsEvenInItsOwnPrivateDirectory() throws Exception {
    Account other = account();
    Path file = dir.resolve("app.json");
    moveValidFileTo(file);
    chown(file, other);

    UntrustedFileException refused = refusedOpen(file, Role.WRITER);
    assertThat(refused.getMessage())
        .startsWith("untrusted file: path=" + file + " ")
        .contains("owner=" + ACCOUNT + "(" + other.uid() + ")")
        .contains("mode=rw-r-----")
        .contains("rule=a writer opens only a file owned by this user (uid=0)");

    // Only root could have put it in root's private directory: a reader takes it.
    try (JsonMmapFile reader = JsonMmapFile.open(file, Role.READER)) {
      assertThat(reader.snapshot().get("app")).isEqualTo("valid");
    }
  }

  @Test
  void writerRefusesAFileWithASecondHardLink() throws Exception {
    Path file = dir.resolve("app.json");
    moveValidFileTo(file);
    Files.createLink(dir.resolve("second-name"), file);

    UntrustedFileException refused = refusedOpen(file, Role.WRITER);
    assertThat(refused.getMessage())
        .startsWith("untrusted file: path=" + file + " ")
        .contains("rule=a writer opens only a file with one hard link (nlink=2)");
  }

  @Test
  void directoryWritableByOthersWithoutTheStickyBitIsRefused() throws Exception {
    Path open = Files.createDirectory(dir.resolve("open"));
    Files.setAttribute(open, "unix:mode", 0777, LinkOption.NOFOLLOW_LINKS);
    Path file = open.resolve("app.json");

    UntrustedFileException refused = refusedOpen(file, Role.WRITER);
    assertThat(refused.getMessage())
        .startsWith("untrusted directory: path=" + open + " ")
        .contains("mode=rwxrwxrwx")
        .contains(
            "rule=a directory on the path must not be writable by group or others unless it is"
                + " sticky");
    assertThat(Files.exists(file, LinkOption.NOFOLLOW_LINKS)).isFalse();

    // The documented opt-out for special deployments.
    try (JsonMmapFile writer =
        JsonMmapFile.open(
            JsonMmapOptions.builder(file).role(Role.WRITER).strictModes(false).build())) {
      assertThat(writer.isWriter()).isTrue();
    }
  }

  @Test
  void strictModesOffSkipsOwnerAndModeChecksOnlyAndWarnsOncePerFile() throws Exception {
    Logger logger = Logger.getLogger(SafeFiles.class.getName());
    List<LogRecord> records = new CopyOnWriteArrayList<>();
    Handler handler =
        new Handler() {
          @Override
          public void publish(LogRecord logRecord) {
            records.add(logRecord);
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    logger.addHandler(handler);
    try {
      Path file = dir.resolve("app.json");
      moveValidFileTo(file);
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
      JsonMmapOptions lax = JsonMmapOptions.builder(file).strictModes(false).build();
      for (int i = 0; i < 3; i++) {
        try (JsonMmapFile reader = JsonMmapFile.open(lax)) {
          assertThat(reader.snapshot().get("app")).isEqualTo("valid");
        }
      }
      assertThat(records).filteredOn(r -> r.getLevel() == Level.WARNING).hasSize(1);

      Path link = dir.resolve("link.json");
      Files.createSymbolicLink(link, file);
      Path fifo = dir.resolve("fifo.json");
      run(List.of("mkfifo", fifo.toString()), Map.of());
      for (Path refusedPath : List.of(link, fifo)) {
        UntrustedFileException refused =
            quickly(
                () ->
                    catchThrowableOfType(
                        UntrustedFileException.class,
                        () ->
                            JsonMmapFile.open(
                                    JsonMmapOptions.builder(refusedPath).strictModes(false).build())
                                .close()));
        assertThat(refused).as("%s refused with strict modes off", refusedPath).isNotNull();
      }
    } finally {
      logger.removeHandler(handler);
    }
  }

  // ---------------------------------------------------------------- symlinks

  @Test
  void symlinkedDataFileIsRefusedAndItsTargetIsUntouched() throws Exception {
    Path victim = allZeroVictim();
    Path file = dir.resolve("app.json");
    Files.createSymbolicLink(file, victim);

    for (Role role : new Role[] {Role.WRITER, Role.READER}) {
      UntrustedFileException refused = refusedOpen(file, role);
      assertThat(refused.getMessage())
          .as("role=%s", role)
          .startsWith("untrusted file: path=" + file + " ")
          .contains("rule=the file must not be a symbolic link");
    }
    assertThat(catchThrowableOfType(UntrustedFileException.class, () -> JsonMmapFile.inspect(file)))
        .isNotNull();
    assertVictimUntouched(victim);
  }

  @Test
  void symlinkedLockFileIsRefusedAndItsTargetIsUntouched() throws Exception {
    Path victim = allZeroVictim();
    Path file = dir.resolve("app.json");
    Files.createSymbolicLink(dir.resolve("app.json.lock"), victim);

    UntrustedFileException refused = refusedOpen(file, Role.WRITER);
    assertThat(refused.getMessage())
        .startsWith("untrusted file: path=" + dir.resolve("app.json.lock") + " ")
        .contains("rule=the file must not be a symbolic link");
    assertVictimUntouched(victim);
  }

  @Test
  void symlinkedAncestorAnotherUserOwnsIsRefusedAndATrustedOneIsFollowed() throws Exception {
    Account mallory = account();
    Path sticky = stickyDirectory();
    Path victimDirectory = Files.createDirectory(dir.resolve("victim-directory"));
    Path link = Files.createSymbolicLink(sticky.resolve("config"), victimDirectory);
    chown(link, mallory);

    UntrustedFileException refused = refusedOpen(link.resolve("app.json"), Role.WRITER);
    assertThat(refused.getMessage())
        .startsWith("untrusted symlink: path=" + link + " ")
        .contains("owner=" + ACCOUNT + "(" + mallory.uid() + ")")
        .contains("rule=a symlink in a world-writable sticky directory must be owned by root");
    try (var entries = Files.list(victimDirectory)) {
      assertThat(entries).isEmpty();
    }

    // A link root made in root's own directory is the operator's choice: followed.
    Path real = Files.createDirectory(dir.resolve("real"));
    Path alias = Files.createSymbolicLink(dir.resolve("alias"), real);
    try (JsonMmapFile writer =
        JsonMmapFile.open(
            JsonMmapOptions.builder(alias.resolve("app.json"))
                .role(Role.WRITER)
                .initialDocument(Map.of("app", "aliased"))
                .build())) {
      assertThat(writer.snapshot().get("app")).isEqualTo("aliased");
    }
    assertThat(Files.isRegularFile(real.resolve("app.json"), LinkOption.NOFOLLOW_LINKS)).isTrue();
  }

  @Test
  void symlinkLoopIsRefusedAfterFortyLinksAndRelativeLinksWithDotDotResolve() throws Exception {
    Path loop = dir.resolve("loop");
    Files.createSymbolicLink(loop, Path.of("loop"));

    UntrustedFileException refused = refusedOpen(loop.resolve("app.json"), Role.READER);
    assertThat(refused.getMessage())
        .startsWith("untrusted symlink: path=" + loop + " ")
        .contains("rule=at most 40 symbolic links are followed on a path");

    Path real = Files.createDirectories(dir.resolve("deep").resolve("real"));
    Path up = Files.createSymbolicLink(dir.resolve("up"), Path.of("deep/../deep/./real"));
    try (JsonMmapFile writer = JsonMmapFile.open(up.resolve("app.json"), Role.WRITER)) {
      assertThat(writer.isWriter()).isTrue();
    }
    assertThat(Files.isRegularFile(real.resolve("app.json"), LinkOption.NOFOLLOW_LINKS)).isTrue();
  }

  // ---------------------------------------------------------------- FIFOs and devices

  @Test
  void fifoAtTheDataPathIsRefusedAtOnceByEveryEntryPoint() throws Exception {
    Path file = dir.resolve("app.json");
    run(List.of("mkfifo", file.toString()), Map.of());

    for (Role role : new Role[] {Role.WRITER, Role.READER}) {
      UntrustedFileException refused = quickly(() -> refusedOpen(file, role));
      assertThat(refused.getMessage())
          .as("role=%s", role)
          .startsWith("untrusted file: path=" + file + " ")
          .contains("rule=the file must be a regular file, not a fifo");
    }
    UntrustedFileException inspected =
        quickly(
            () ->
                catchThrowableOfType(
                    UntrustedFileException.class, () -> JsonMmapFile.inspect(file)));
    assertThat(inspected).isNotNull();
    // An optional reader waiting for the file reports it rather than hanging at start-up.
    quickly(
        () -> {
          try (JsonMmapFile reader =
              JsonMmapFile.open(JsonMmapOptions.builder(file).requireFile(false).build())) {
            assertThat(reader.lastError()).get().isInstanceOf(UntrustedFileException.class);
          }
          return null;
        });
  }

  @Test
  void fifoAtTheLockPathIsRefusedAtOnce() throws Exception {
    Path file = dir.resolve("app.json");
    Path lock = dir.resolve("app.json.lock");
    run(List.of("mkfifo", lock.toString()), Map.of());

    UntrustedFileException refused = quickly(() -> refusedOpen(file, Role.WRITER));
    assertThat(refused.getMessage())
        .startsWith("untrusted file: path=" + lock + " ")
        .contains("rule=the file must be a regular file, not a fifo");
  }

  @Test
  void runningReaderRefusesAFifoRenamedOverItsFileAndKeepsServing() throws Exception {
    Path file = dir.resolve("app.json");
    moveValidFileTo(file);
    Path fifo = dir.resolve("fifo.tmp");
    run(List.of("mkfifo", fifo.toString()), Map.of());
    JsonMmapFile reader =
        JsonMmapFile.open(
            JsonMmapOptions.builder(file).pollInterval(Duration.ofMillis(50)).build());
    try {
      assertThat(reader.snapshot().get("app")).isEqualTo("valid");

      Files.move(fifo, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

      await()
          .atMost(QUICK)
          .until(
              () ->
                  reader.lastError().filter(UntrustedFileException.class::isInstance).isPresent());
      assertThat(reader.lastError().orElseThrow().getMessage())
          .contains("path=" + file)
          .contains("not a fifo");
      assertThat(reader.snapshot().get("app")).isEqualTo("valid");
    } finally {
      quickly(
          () -> {
            reader.close();
            return null;
          });
    }
  }

  @Test
  void characterDeviceAtThePathIsRefused() throws Exception {
    assumeTrue(ROOT, "mknod needs root: the character device case is skipped when not root");
    Path file = dir.resolve("app.json");
    run(List.of("mknod", file.toString(), "c", "1", "3"), Map.of());

    for (Role role : new Role[] {Role.WRITER, Role.READER}) {
      UntrustedFileException refused = quickly(() -> refusedOpen(file, role));
      assertThat(refused.getMessage())
          .as("role=%s", role)
          .contains("rule=the file must be a regular file, not a character device");
    }
  }

  // ---------------------------------------------------------------- modes

  @ParameterizedTest(name = "umask {0}")
  @ValueSource(strings = {"000", "077"})
  void writerCreatesExactModesWhateverTheUmask(String umask) throws Exception {
    Path file = dir.resolve("a").resolve("b").resolve("app.json");
    List<String> command =
        new ArrayList<>(List.of("sh", "-c", "umask " + umask + "; exec \"$0\" \"$@\""));
    command.addAll(java(TrustChildren.Create.class, classPath(), file.toString()));

    assertThat(run(command, Map.of())).contains("created 1");

    assertThat(modeOf(dir.resolve("a"))).isEqualTo("rwxr-x---");
    assertThat(modeOf(dir.resolve("a").resolve("b"))).isEqualTo("rwxr-x---");
    assertThat(modeOf(file)).isEqualTo("rw-r-----");
    assertThat(modeOf(dir.resolve("a").resolve("b").resolve("app.json.lock")))
        .isEqualTo("rw-------");
  }

  @Test
  void ownerOnlyFileGetsOwnerOnlyDirectoriesAndTheLockFileIsAlwaysOwnerOnly() throws Exception {
    Path file = dir.resolve("private").resolve("app.json");
    try (JsonMmapFile writer =
        JsonMmapFile.open(
            JsonMmapOptions.builder(file).role(Role.WRITER).permissions("rw-------").build())) {
      assertThat(writer.isWriter()).isTrue();
    }
    assertThat(modeOf(file.getParent())).isEqualTo("rwx------");
    assertThat(modeOf(file)).isEqualTo("rw-------");
    assertThat(modeOf(dir.resolve("private").resolve("app.json.lock"))).isEqualTo("rw-------");
  }

  @Test
  void lockFileLeftReadableByTheGroupIsMadeOwnerOnlyAgain() throws Exception {
    Path file = dir.resolve("app.json");
    Path lock = dir.resolve("app.json.lock");
    Files.createFile(
        lock, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r-----")));
    try (JsonMmapFile writer = JsonMmapFile.open(file, Role.WRITER)) {
      assertThat(writer.isWriter()).isTrue();
    }
    assertThat(modeOf(lock)).isEqualTo("rw-------");
  }

  @Test
  void worldWritablePermissionsAreRefusedAndGroupWritableOnlyWithoutStrictModes() {
    Path file = dir.resolve("app.json");
    assertThatThrownBy(() -> JsonMmapOptions.builder(file).permissions("rw-rw-rw-").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("permissions must never be world-writable: permissions=rw-rw-rw-");
    assertThatThrownBy(
            () -> JsonMmapOptions.builder(file).strictModes(false).permissions("rw-r--rw-").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("world-writable");
    assertThatThrownBy(() -> JsonMmapOptions.builder(file).permissions("rw-rw----").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("permissions=rw-rw----")
        .hasMessageContaining("strictModes=false");
    assertThat(
            JsonMmapOptions.builder(file)
                .strictModes(false)
                .permissions("rw-rw----")
                .build()
                .permissions())
        .hasSize(4);
  }

  @Test
  void defaultDirectoryIsThePrivateRuntimeDirectoryElseAPerUserOne() throws Exception {
    Path runtime = Files.createDirectory(dir.resolve("runtime"));
    Files.setAttribute(runtime, "unix:mode", 0700, LinkOption.NOFOLLOW_LINKS);
    Map<String, String> env = Map.of("XDG_RUNTIME_DIR", runtime.toString());
    long uid = uidOf(Path.of("/proc/self"));

    assertThat(run(java(TrustChildren.DefaultDirectory.class, classPath()), env))
        .contains("default=" + runtime.resolve("jsonmmap"));
    Path file = runtime.resolve("jsonmmap").resolve("app.json");
    assertThat(run(java(TrustChildren.Create.class, classPath(), file.toString()), env))
        .contains("created 1");
    assertThat(modeOf(runtime.resolve("jsonmmap"))).isEqualTo("rwx------");

    // A runtime directory others may enter is not private: the per-user directory instead.
    Files.setAttribute(runtime, "unix:mode", 0755, LinkOption.NOFOLLOW_LINKS);
    assertThat(run(java(TrustChildren.DefaultDirectory.class, classPath()), env))
        .contains("default=/dev/shm/jsonmmap-" + uid);
  }

  // ---------------------------------------------------------------- across accounts

  @Test
  void readerInTheFilesGroupReadsAFileRootOwnsFromAnotherAccount() throws Exception {
    Account reader = account();
    Files.setAttribute(dir, "unix:mode", 0755, LinkOption.NOFOLLOW_LINKS);
    Path shared = dir.resolve("shared");
    Path file = shared.resolve("app.json");
    try (JsonMmapFile writer =
        JsonMmapFile.open(
            JsonMmapOptions.builder(file)
                .role(Role.WRITER)
                .initialDocument(Map.of("app", "shared"))
                .build())) {
      assertThat(modeOf(shared)).isEqualTo("rwxr-x---");
      assertThat(modeOf(file)).isEqualTo("rw-r-----");
      Files.setAttribute(shared, "unix:gid", reader.gid(), LinkOption.NOFOLLOW_LINKS);
      Files.setAttribute(file, "unix:gid", reader.gid(), LinkOption.NOFOLLOW_LINKS);

      List<String> command =
          new ArrayList<>(
              List.of(
                  "setpriv",
                  "--reuid=" + reader.uid(),
                  "--regid=" + reader.gid(),
                  "--clear-groups"));
      command.addAll(java(TrustChildren.Read.class, readableClassPath(), file.toString()));
      assertThat(run(command, Map.of())).contains("app=shared");
    }
  }

  // ---------------------------------------------------------------- lock holder

  @Test
  void lockHolderNamesThePidOfTheChildJvmHoldingTheLock() throws Exception {
    Path file = dir.resolve("app.json");
    try (ChildJvm holder = ChildJvm.start(Children.HoldWriter.class, file.toString(), "1000")) {
      holder.awaitLine(CHILD, line -> line.startsWith("holding"));

      assertThat(SafeFiles.lockHolderPid(dir.resolve("app.json.lock"))).hasValue(holder.pid());
      assertThat(SafeFiles.lockHolder(dir.resolve("app.json.lock")))
          .isEqualTo("pid=" + holder.pid() + " comm=java");
      assertThat(catchThrowableOfType(WriterLockedException.class, () -> refusedOpenAny(file)))
          .isNotNull();
    }
    assertThat(SafeFiles.lockHolder(dir.resolve("app.json.lock"))).isEqualTo("unknown");
  }

  // ---------------------------------------------------------------- helpers

  private record Account(int uid, int gid) {}

  /** The test account, created when missing; skips the test (saying why) when not root. */
  private static Account account() throws Exception {
    assumeTrue(
        ROOT,
        "needs root to create the account "
            + ACCOUNT
            + " and to give it files: the cross-account part is skipped when not root");
    if (runExit(List.of("id", "-u", ACCOUNT)) != 0) {
      // Exit 9: another test JVM created it meanwhile. Exit 1 or 10: another useradd or groupadd
      // (another build's test creating its own account) holds /etc/passwd or /etc/group: again.
      List<Integer> exits = new ArrayList<>();
      await("useradd " + ACCOUNT + " with /etc/passwd and /etc/group free")
          .atMost(CHILD)
          .pollInterval(Duration.ofMillis(200))
          .until(
              () -> {
                exits.add(
                    runExit(
                        List.of(
                            "useradd",
                            "--system",
                            "--no-create-home",
                            "--shell",
                            "/usr/sbin/nologin",
                            ACCOUNT)));
                return !List.of(1, 10).contains(exits.get(exits.size() - 1));
              });
      assertThat(exits.get(exits.size() - 1)).as("useradd exits %s", exits).isIn(0, 9);
    }
    return new Account(
        Integer.parseInt(run(List.of("id", "-u", ACCOUNT), Map.of()).strip()),
        Integer.parseInt(run(List.of("id", "-g", ACCOUNT), Map.of()).strip()));
  }

  /** A root-owned world-writable sticky directory, like /tmp, inside the private temp dir. */
  private Path stickyDirectory() throws IOException {
    Path sticky = Files.createDirectory(dir.resolve("sticky"));
    Files.setAttribute(sticky, "unix:mode", 01777, LinkOption.NOFOLLOW_LINKS);
    return sticky;
  }

  /** Makes a complete jsonmmap file holding {"app":"valid"} and moves it to {@code target}. */
  private void moveValidFileTo(Path target) throws IOException {
    Path source = Files.createTempDirectory(dir, "source").resolve("app.json");
    JsonMmapFile.open(
            JsonMmapOptions.builder(source)
                .role(Role.WRITER)
                .initialDocument(Map.of("app", "valid"))
                .build())
        .close();
    Files.move(source, target);
  }

  /** A root file of zeros elsewhere, as in the report: "jsonmmap set" once initialised one. */
  private Path allZeroVictim() throws IOException {
    Path victim = Files.createDirectory(dir.resolve("elsewhere")).resolve("victim");
    Files.write(victim, new byte[8192]);
    Files.setPosixFilePermissions(victim, PosixFilePermissions.fromString("rw-------"));
    return victim;
  }

  private static void assertVictimUntouched(Path victim) throws IOException {
    assertThat(Files.readAllBytes(victim)).isEqualTo(new byte[8192]);
    assertThat(modeOf(victim)).isEqualTo("rw-------");
  }

  private static void chown(Path path, Account account) throws IOException {
    Files.setAttribute(path, "unix:uid", account.uid(), LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(path, "unix:gid", account.gid(), LinkOption.NOFOLLOW_LINKS);
  }

  private static UntrustedFileException refusedOpen(Path file, Role role) {
    UntrustedFileException refused =
        catchThrowableOfType(
            UntrustedFileException.class,
            () ->
                JsonMmapFile.open(
                        JsonMmapOptions.builder(file)
                            .role(role)
                            .initialDocument(Map.of("app", "overwritten"))
                            .build())
                    .close());
    assertThat(refused).as("%s opening %s is refused", role, file).isNotNull();
    assertThat(refused.reason()).isEqualTo("untrusted");
    return refused;
  }

  private static void refusedOpenAny(Path file) {
    JsonMmapFile.open(file, Role.WRITER).close();
  }

  /** Runs {@code action} on another thread and fails if it does not return within a deadline. */
  private static <T> T quickly(Callable<T> action) {
    return assertTimeoutPreemptively(QUICK, action::call, "blocked: a FIFO or device was opened");
  }

  private static String modeOf(Path path) throws IOException {
    return SafeFiles.modeString(
        (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS));
  }

  private static int uidOf(Path path) {
    try {
      return (Integer) Files.getAttribute(path, "unix:uid");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> java(Class<?> main, String classPath, String... args) {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m",
                "-XX:+UseSerialGC",
                "-XX:-UsePerfData",
                "-cp",
                classPath,
                main.getName()));
    command.addAll(Arrays.asList(args));
    return command;
  }

  private static String classPath() {
    String surefire = System.getProperty("surefire.test.class.path");
    return surefire != null && !surefire.isEmpty()
        ? surefire
        : System.getProperty("java.class.path");
  }

  /**
   * The class path with its jars copied where another account can read them (the local Maven
   * repository is usually under root's private home).
   */
  private String readableClassPath() throws IOException {
    Path lib = Files.createDirectory(dir.resolve("lib"));
    Files.setAttribute(lib, "unix:mode", 0755, LinkOption.NOFOLLOW_LINKS);
    List<String> entries = new ArrayList<>();
    int n = 0;
    for (String entry : classPath().split(File.pathSeparator)) {
      Path path = Path.of(entry);
      if (Files.isRegularFile(path)) {
        Path copy = lib.resolve((n++) + "-" + path.getFileName());
        Files.copy(path, copy);
        Files.setAttribute(copy, "unix:mode", 0644, LinkOption.NOFOLLOW_LINKS);
        entries.add(copy.toString());
      } else {
        entries.add(entry);
      }
    }
    return String.join(File.pathSeparator, entries);
  }

  /** Runs a command to its end (bounded), returning its output; fails on a non-zero exit. */
  private static String run(List<String> command, Map<String, String> env) throws Exception {
    Result result = execute(command, env);
    assertThat(result.exit()).as("exit of %s: %s", command, result.output()).isZero();
    return result.output();
  }

  private static int runExit(List<String> command) throws Exception {
    return execute(command, Map.of()).exit();
  }

  private record Result(int exit, String output) {}

  private static Result execute(List<String> command, Map<String, String> env) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    Map<String, String> environment = new HashMap<>(env);
    builder.environment().putAll(environment);
    Process process = builder.start();
    try (InputStream in = process.getInputStream()) {
      CompletableFuture<String> output =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                  return "<output unreadable: " + e + ">";
                }
              });
      if (!process.waitFor(CHILD.toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        throw new AssertionError("did not finish within " + CHILD + ": " + command);
      }
      return new Result(process.exitValue(), output.get(10, TimeUnit.SECONDS));
    } finally {
      if (process.isAlive()) {
        process.destroyForcibly();
      }
    }
  }
}
