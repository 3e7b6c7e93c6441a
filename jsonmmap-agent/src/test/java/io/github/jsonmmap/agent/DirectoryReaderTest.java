package io.github.jsonmmap.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The directory source's reader against what a careless or hostile local user can put into the
 * directory: links out of it, loops, files anyone may write, FIFOs, and more than it can hold.
 */
class DirectoryReaderTest {

  private static final String SECRET = "s3cret-password-of-another-file";

  @TempDir Path tmp;

  private final JsonMapper mapper = JsonMapper.builder().build();
  private final DirectoryReader reader = new DirectoryReader(mapper);

  private Path dir() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("config"));
    Files.writeString(dir.resolve("app.json"), "{\"shop\":{\"discount\":5}}");
    return dir;
  }

  private Path secretOutside() throws IOException {
    Path outside = Files.createDirectory(tmp.resolve("private"));
    Path secret = outside.resolve("shadow");
    Files.writeString(secret, SECRET);
    return secret;
  }

  private static void assertRefused(Throwable e, String reason, Path named) {
    assertThat(e).isInstanceOf(SourceException.class);
    assertThat(((SourceException) e).reason()).isEqualTo(reason);
    assertThat(e.getMessage()).contains(named.toString()).doesNotContain(SECRET);
  }

  @Test
  void aSymlinkToAFileOutsideTheDirectoryIsRefusedAndTheFileNotRead() throws Exception {
    Path dir = dir();
    Path secret = secretOutside();
    Path link = Files.createSymbolicLink(dir.resolve("password"), secret);

    assertThatThrownBy(() -> reader.read(dir))
        .satisfies(e -> assertRefused(e, "outside", link))
        .hasMessageContaining(secret.toString());

    // Relative links that climb out are the same.
    Files.delete(link);
    Path relative = Files.createSymbolicLink(dir.resolve("password"), Path.of("../private/shadow"));
    assertThatThrownBy(() -> reader.read(dir))
        .satisfies(e -> assertRefused(e, "outside", relative));
  }

  @Test
  void aNumberWhoseExponentNoDecimalHoldsIsAnInvalidFileNotACrash() throws Exception {
    Path dir = dir();
    Path file = dir.resolve("limits.json");
    Files.writeString(file, "{\"max\":1e99999999999}");

    // Decimals as the agent's mapper reads them: exactly, as BigDecimals.
    DirectoryReader decimals =
        new DirectoryReader(
            JsonMapper.builder()
                .enable(tools.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .build());
    assertThatThrownBy(() -> decimals.read(dir))
        .satisfies(e -> assertRefused(e, "invalid", file))
        .hasMessageContaining("out of range");
  }

  @Test
  void aSymlinkToADirectoryOutsideIsRefused() throws Exception {
    Path dir = dir();
    Path secret = secretOutside();
    Path link = Files.createSymbolicLink(dir.resolve("etc"), secret.getParent());

    assertThatThrownBy(() -> reader.read(dir)).satisfies(e -> assertRefused(e, "outside", link));
  }

  @Test
  void linksWithinTheDirectoryAreFollowedAsAConfigMapNeedsThem() throws Exception {
    Path dir = dir();
    Path data = Files.createDirectory(dir.resolve("..2026_12_02_01"));
    Files.writeString(data.resolve("greeting"), "hello\n");
    Files.createDirectory(data.resolve("db"));
    Files.writeString(data.resolve("db").resolve("url"), "jdbc:x");
    Files.createSymbolicLink(dir.resolve("..data"), data.getFileName());
    Files.createSymbolicLink(dir.resolve("greeting"), Path.of("..data/greeting"));
    Files.createSymbolicLink(dir.resolve("db"), Path.of("..data/db"));

    ObjectNode document = reader.read(dir).document();

    assertThat(document.path("greeting").asString()).isEqualTo("hello");
    assertThat(document.path("db").path("url").asString()).isEqualTo("jdbc:x");
    assertThat(document.path("shop").path("discount").asInt()).isEqualTo(5);
    assertThat(document.has("..data")).isFalse();
  }

  @Test
  void aLinkBackToTheDirectoryOrAParentIsALoop() throws Exception {
    Path dir = dir();
    Path self = Files.createSymbolicLink(dir.resolve("self"), Path.of("."));
    assertThatThrownBy(() -> reader.read(dir)).satisfies(e -> assertRefused(e, "loop", self));

    Files.delete(self);
    Path sub = Files.createDirectory(dir.resolve("sub"));
    Path up = Files.createSymbolicLink(sub.resolve("up"), Path.of(".."));
    assertThatThrownBy(() -> reader.read(dir)).satisfies(e -> assertRefused(e, "loop", up));
  }

  @Test
  void whatAnyUserMayWriteIsRefused() throws Exception {
    Path dir = dir();
    Path file = dir.resolve("app.json");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
    assertThatThrownBy(() -> reader.read(dir))
        .satisfies(e -> assertRefused(e, "untrusted", file))
        .hasMessageContaining("rw-rw-rw-");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

    Path sub = Files.createDirectory(dir.resolve("sub"));
    Files.setPosixFilePermissions(sub, PosixFilePermissions.fromString("rwxrwxrwx"));
    assertThatThrownBy(() -> reader.read(dir)).satisfies(e -> assertRefused(e, "untrusted", sub));
    Files.setPosixFilePermissions(sub, PosixFilePermissions.fromString("rwxr-xr-x"));

    // Sticky (as /tmp) or not: anyone may add a file.
    Process chmod = new ProcessBuilder("chmod", "1777", dir.toString()).start();
    assertThat(chmod.waitFor()).isZero();
    assertThatThrownBy(() -> reader.read(dir)).satisfies(e -> assertRefused(e, "untrusted", dir));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));

    assertThat(reader.read(dir).document().path("shop").path("discount").asInt()).isEqualTo(5);
  }

  @Test
  void aPropertyNameOfTooManySegmentsIsRefusedNotOverflowingTheStack() throws Exception {
    Path dir = dir();
    Path deep = dir.resolve("deep.properties");
    Files.writeString(deep, "a.".repeat(50_000) + "b=1\n");
    Files.writeString(dir.resolve("more.properties"), "a.".repeat(50_000) + "c=1\n");

    assertThatThrownBy(() -> reader.read(dir))
        .satisfies(e -> assertRefused(e, "too-deep", deep))
        .hasMessageContaining("limit=" + PropertyPaths.MAX_SEGMENTS);

    Files.writeString(deep, "a.".repeat(PropertyPaths.MAX_SEGMENTS - 1) + "b=1\n");
    Files.delete(dir.resolve("more.properties"));
    ObjectNode document = reader.read(dir).document();
    assertThat(document.at("/a".repeat(PropertyPaths.MAX_SEGMENTS - 1) + "/b").asString())
        .isEqualTo("1");
  }

  @Test
  void whatAnUntrustedAccountOwnsIsRefusedUnlessTrusted() throws Exception {
    Path dir = dir();
    Path file = dir.resolve("app.json");
    // Only root can give a file away; as anyone else this check cannot be set up.
    Process chown = new ProcessBuilder("chown", "54321:54321", file.toString()).start();
    assumeTrue(chown.waitFor() == 0, "chown to another account needs root");

    assertThatThrownBy(() -> reader.read(dir))
        .satisfies(e -> assertRefused(e, "untrusted", file))
        .hasMessageContaining("owner=54321")
        .hasMessageContaining("trusted-users");

    DirectoryReader trusting = new DirectoryReader(mapper, Set.of("54321"));
    assertThat(trusting.read(dir).document().path("shop").path("discount").asInt()).isEqualTo(5);

    Path sub = Files.createDirectory(dir.resolve("sub"));
    Process chownDir = new ProcessBuilder("chown", "54322", sub.toString()).start();
    assertThat(chownDir.waitFor()).isZero();
    assertThatThrownBy(() -> trusting.read(dir)).satisfies(e -> assertRefused(e, "untrusted", sub));
  }

  @Test
  void aFifoIsSkippedWithoutBlocking() throws Exception {
    Path dir = dir();
    Process mkfifo = new ProcessBuilder("mkfifo", dir.resolve("pipe").toString()).start();
    assertThat(mkfifo.waitFor()).isZero();

    ObjectNode document =
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> reader.read(dir).document());

    assertThat(document.has("pipe")).isFalse();
    assertThat(document.path("shop").path("discount").asInt()).isEqualTo(5);
  }

  @Test
  void whatIsPutAtAPathBetweenItsCheckAndItsOpenIsRefusedWithoutBlocking() throws Exception {
    assumeTrue(NonBlockingOpen.isNative(), "opened with O_NONBLOCK on 64-bit Linux only");
    Path dir = dir();
    Path file = dir.resolve("app.json");
    Object checked =
        Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey();

    // The file checked opens and reads.
    try (var ch = NonBlockingOpen.openChecked(file, checked)) {
      assertThat(ch.size()).isEqualTo(Files.size(file));
    }

    // Another file put at the path (a rename over it) is not the one checked.
    Path other = dir.resolve("other");
    Files.writeString(other, "{}");
    Files.move(other, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertThatThrownBy(() -> NonBlockingOpen.openChecked(file, checked))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("replaced between its check and its open");

    // A FIFO with no writer: open(2) without O_NONBLOCK would wait for one for ever.
    Files.delete(file);
    Process mkfifo = new ProcessBuilder("mkfifo", file.toString()).start();
    assertThat(mkfifo.waitFor()).isZero();
    assertTimeoutPreemptively(
        Duration.ofSeconds(10),
        () ->
            assertThatThrownBy(() -> NonBlockingOpen.openChecked(file, checked))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("not a regular file"));

    // A link: not followed.
    Files.delete(file);
    Files.createSymbolicLink(file, secretOutside());
    assertThatThrownBy(() -> NonBlockingOpen.openChecked(file, null))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("cannot open");
  }

  @Test
  void aFileOverTheLimitIsRefusedWithoutBeingRead() throws Exception {
    Path dir = dir();
    Path huge = dir.resolve("huge");
    try (RandomAccessFile f = new RandomAccessFile(huge.toFile(), "rw")) {
      f.setLength(DirectoryReader.MAX_FILE_SIZE + 1);
    }

    assertThatThrownBy(() -> reader.read(dir))
        .satisfies(e -> assertRefused(e, "too-large", huge))
        .hasMessageContaining("source file too large");
  }

  @Test
  void theFilesTogetherAndTheEntriesAreBounded() throws Exception {
    Path dir = dir();
    for (int i = 0; i < 4; i++) {
      Files.write(dir.resolve("part" + i), new byte[300], java.nio.file.StandardOpenOption.CREATE);
    }
    DirectoryReader small = new DirectoryReader(mapper, Set.of(), 400, 1000, 100);
    assertThatThrownBy(() -> small.read(dir))
        .satisfies(e -> assertRefused(e, "too-large", dir.resolve("part3")))
        .hasMessageContaining("all files together");

    DirectoryReader few = new DirectoryReader(mapper, Set.of(), 400, 10_000, 4);
    assertThatThrownBy(() -> few.read(dir))
        .satisfies(e -> assertRefused(e, "too-many", dir))
        .hasMessageContaining("limit=4");

    DirectoryReader enough = new DirectoryReader(mapper, Set.of(), 400, 10_000, 5);
    assertThat(enough.read(dir).document().path("part0").asString())
        .isEqualTo(new String(new byte[300], StandardCharsets.UTF_8));
  }
}
