package io.github.jsonmmap;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The writer's wake-up of readers: a modification time bump, through a descriptor on Linux. */
class ReaderNotifierTest {

  private static final FileTime LONG_AGO = FileTime.from(Instant.parse("2001-01-01T00:00:00Z"));

  @TempDir Path dir;

  private final ReaderNotifier notifier = new ReaderNotifier();

  @AfterEach
  void close() {
    notifier.close();
  }

  private static void assumeLinux() {
    Assumptions.assumeTrue(
        System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux"),
        "futimens through a descriptor is Linux only; elsewhere the path fallback runs");
  }

  private Path fileTouchedLongAgo(String name) throws IOException {
    Path file = Files.write(dir.resolve(name), new byte[] {1});
    Files.setLastModifiedTime(file, LONG_AGO);
    return file;
  }

  private static boolean touchedNow(Path file) throws IOException {
    return Files.getLastModifiedTime(file).toInstant().isAfter(Instant.now().minusSeconds(3600));
  }

  @Test
  void touchSetsTheModificationTimeToNowThroughADescriptorOfTheHeldFile() throws IOException {
    assumeLinux();
    Path file = fileTouchedLongAgo("a.json");

    notifier.touch(file, SafeFiles.fileKey(file));

    assertThat(notifier.hasDescriptor()).isTrue();
    assertThat(touchedNow(file)).isTrue();
    Files.setLastModifiedTime(file, LONG_AGO);
    notifier.touch(file, SafeFiles.fileKey(file));
    assertThat(touchedNow(file)).isTrue();
  }

  @Test
  void aReplacedFileIsTouchedThroughANewDescriptor() throws IOException {
    assumeLinux();
    Path file = fileTouchedLongAgo("a.json");
    notifier.touch(file, SafeFiles.fileKey(file));
    Files.delete(file);
    Path replacement = fileTouchedLongAgo("a.json");

    notifier.touch(replacement, SafeFiles.fileKey(replacement));

    assertThat(notifier.hasDescriptor()).isTrue();
    assertThat(touchedNow(replacement)).isTrue();
  }

  @Test
  void aPathThatIsNotTheHeldFileGetsNoDescriptorButIsStillTouchedByPath() throws IOException {
    assumeLinux();
    Path held = fileTouchedLongAgo("held.json");
    Path other = fileTouchedLongAgo("other.json");

    notifier.touch(other, SafeFiles.fileKey(held));

    assertThat(notifier.hasDescriptor()).isFalse();
    assertThat(touchedNow(other)).isTrue();
    assertThat(touchedNow(held)).isFalse();
  }

  @Test
  void aSymlinkAtThePathIsNotOpenedThroughTheDescriptor() throws IOException {
    assumeLinux();
    Path target = fileTouchedLongAgo("target.json");
    Path link = Files.createSymbolicLink(dir.resolve("link.json"), target);

    notifier.touch(link, SafeFiles.fileKey(target));

    assertThat(notifier.hasDescriptor()).isFalse();
  }

  @Test
  void withoutAFileKeyTheFileIsTouchedByPath() throws IOException {
    Path file = fileTouchedLongAgo("a.json");

    notifier.touch(file, null);

    assertThat(notifier.hasDescriptor()).isFalse();
    assertThat(touchedNow(file)).isTrue();
  }

  @Test
  void closeIsIdempotentAndTheNextTouchOpensAgain() throws IOException {
    assumeLinux();
    Path file = fileTouchedLongAgo("a.json");
    notifier.touch(file, SafeFiles.fileKey(file));

    notifier.close();
    notifier.close();
    assertThat(notifier.hasDescriptor()).isFalse();
    Files.setLastModifiedTime(file, LONG_AGO);
    notifier.touch(file, SafeFiles.fileKey(file));

    assertThat(notifier.hasDescriptor()).isTrue();
    assertThat(touchedNow(file)).isTrue();
  }
}
