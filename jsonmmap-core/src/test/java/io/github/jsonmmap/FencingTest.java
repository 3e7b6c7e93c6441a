package io.github.jsonmmap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One writer even when the lock file goes (issue #11.1): writers prove before every publish that
 * they still are the writer, and step down otherwise. Cross-process claims run in child JVMs; each
 * publisher logs every acknowledged version with its CRC-32 and the parent checks the invariant:
 * every acknowledged version is the file's final version (with the same bytes) or below it, and no
 * version was acknowledged twice.
 */
class FencingTest {

  private static final Duration START = Duration.ofSeconds(60);
  private static final Duration TAKEOVER = Duration.ofSeconds(30);

  @TempDir Path dir;

  private Path file() {
    return dir.resolve("fenced.json");
  }

  private Path lock() {
    return dir.resolve("fenced.json.lock");
  }

  private Path stopPublishers() {
    return dir.resolve("stop-publishers");
  }

  private Path stopWatcher() {
    return dir.resolve("stop-watcher");
  }

  private ChildJvm publisher(Role role, String tag) {
    return ChildJvm.start(
        Children.FencedPublisher.class,
        file().toString(),
        role.name(),
        stopPublishers().toString(),
        "50",
        tag);
  }

  private ChildJvm watcher() {
    return ChildJvm.start(
        Children.ChecksumWatcher.class, file().toString(), stopWatcher().toString());
  }

  private static long count(ChildJvm child, String prefix) {
    return child.lines().stream().filter(l -> l.startsWith(prefix)).count();
  }

  private static void awaitCount(ChildJvm child, String prefix, long atLeast) {
    await()
        .atMost(TAKEOVER)
        .pollInterval(Duration.ofMillis(10))
        .failFast("child exited", () -> !child.isAlive())
        .until(() -> count(child, prefix) >= atLeast);
  }

  private static long version(String ackLine) {
    return Long.parseLong(ackLine.split(" ")[1]);
  }

  private static long firstAck(ChildJvm child) {
    return child.lines().stream()
        .filter(l -> l.startsWith("acked "))
        .mapToLong(FencingTest::version)
        .min()
        .orElseThrow();
  }

  private static Map<String, Long> facts(String line) {
    Map<String, Long> facts = new HashMap<>();
    Matcher m = Pattern.compile("(\\w+)=(\\d+)").matcher(line);
    while (m.find()) {
      facts.put(m.group(1), Long.parseLong(m.group(2)));
    }
    return facts;
  }

  /** Stops the publishers, then the watcher, and checks the invariant and the watcher's view. */
  private void finish(ChildJvm watcher, ChildJvm... publishers) throws IOException {
    Files.createFile(stopPublishers());
    for (ChildJvm p : publishers) {
      assertThat(p.awaitExit(START)).as("%s", p).isZero();
    }
    Files.createFile(stopWatcher());
    assertThat(watcher.awaitExit(START)).as("%s", watcher).isZero();

    Snapshot last;
    try (JsonMmapFile reader = JsonMmapFile.open(file(), Role.READER)) {
      last = reader.snapshot();
    }
    long finalVersion = last.version();
    long finalCrc = Children.crc(last.bytes());

    Map<Long, Long> acked = new HashMap<>();
    for (ChildJvm p : publishers) {
      for (String line : p.lines()) {
        if (!line.startsWith("acked ")) {
          continue;
        }
        String[] parts = line.split(" ");
        long version = Long.parseLong(parts[1]);
        long crc = Long.parseLong(parts[2]);
        Long before = acked.put(version, crc);
        assertThat(before).as("version %d acknowledged twice", version).isNull();
        assertThat(version)
            .as("acknowledged version above the file's final version")
            .isLessThanOrEqualTo(finalVersion);
        if (version == finalVersion) {
          assertThat(crc)
              .as("the final version holds other bytes than acknowledged")
              .isEqualTo(finalCrc);
        }
      }
    }
    assertThat(acked).as("acknowledged publishes").hasSizeGreaterThan(100);

    String result = watcher.awaitLine(Duration.ofSeconds(5), l -> l.startsWith("result"));
    Map<String, Long> seen = facts(result);
    assertThat(seen.get("checksum")).as(result).isZero();
    assertThat(seen.get("diverged")).as(result).isZero();
    assertThat(seen.get("nonMonotonic")).as(result).isZero();
    assertThat(seen.get("version")).as("reader converges: %s", result).isEqualTo(finalVersion);
    assertThat(seen.get("crc")).as("reader converges: %s", result).isEqualTo(finalCrc);
    System.out.println(
        "fencing: acked=" + acked.size() + " finalVersion=" + finalVersion + " watcher: " + result);
  }

  private void breakLock(String how) throws IOException {
    if (how.equals("delete")) {
      Files.delete(lock());
    } else {
      Path other = dir.resolve("other.lock");
      Files.writeString(other, "");
      Files.move(other, lock(), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"delete", "replace"})
  void aStandbyTakesOverWhenTheLockFileGoesAndTheOldWriterStepsDownWithoutLosingAnAck(String how)
      throws IOException {
    try (ChildJvm a = publisher(Role.AUTO, "a")) {
      a.awaitLine(START, "writer"::equals);
      try (ChildJvm b = publisher(Role.AUTO, "b");
          ChildJvm watcher = watcher()) {
        b.awaitLine(START, "ready"::equals);
        watcher.awaitLine(START, "reading"::equals);
        awaitCount(a, "acked ", 200);

        breakLock(how);
        a.awaitLine(TAKEOVER, l -> l.startsWith("fenced "));
        assertThat(
                a.lines().stream().filter(l -> l.startsWith("fenced ")).findFirst().orElseThrow())
            // Found at a publish ("no longer the writer"), or at the heartbeat before it, when the
            // publish then meets a handle that already stepped down ("not the writer ... fenced=").
            .containsPattern("no longer the writer|not the writer: .* fenced=")
            // Deleted, or replaced by the standby's new lock file by the time the writer looked.
            .containsPattern("lock file (deleted|replaced)");
        // Either standby may win the new lock: the one that waited, or the one just fenced off.
        await().atMost(TAKEOVER).until(() -> count(a, "writer") + count(b, "writer") >= 2);
        long acks = count(a, "acked ") + count(b, "acked ");
        await().atMost(TAKEOVER).until(() -> count(a, "acked ") + count(b, "acked ") >= acks + 200);

        // Again: the writer steps down at its next publish or heartbeat and one of the two
        // standbys takes over with a new lock file.
        breakLock(how);
        await().atMost(TAKEOVER).until(() -> count(a, "fenced ") + count(b, "fenced ") >= 2);
        await().atMost(TAKEOVER).until(() -> count(a, "writer") + count(b, "writer") >= 3);
        long again = count(a, "acked ") + count(b, "acked ");
        await()
            .atMost(TAKEOVER)
            .until(() -> count(a, "acked ") + count(b, "acked ") >= again + 200);

        finish(watcher, a, b);
      }
    }
  }

  @Test
  void aWriterFrozenWhileAStandbyTookOverNeverOverwritesItWhenItResumes() throws IOException {
    try (ChildJvm a = publisher(Role.AUTO, "a")) {
      a.awaitLine(START, "writer"::equals);
      try (ChildJvm b = publisher(Role.AUTO, "b");
          ChildJvm watcher = watcher()) {
        b.awaitLine(START, "ready"::equals);
        watcher.awaitLine(START, "reading"::equals);
        awaitCount(a, "acked ", 200);

        a.signal("STOP");
        try {
          Files.delete(lock());
          b.awaitLine(TAKEOVER, "writer"::equals);
          awaitCount(b, "acked ", 200);
        } finally {
          a.signal("CONT");
        }
        a.awaitLine(TAKEOVER, l -> l.startsWith("fenced "));
        awaitCount(b, "acked ", count(b, "acked ") + 200);
        // The frozen writer never acknowledged anything once the standby had taken over.
        long firstOfB = firstAck(b);
        assertThat(a.lines().stream().filter(l -> l.startsWith("acked ")).map(FencingTest::version))
            .allMatch(v -> v < firstOfB);

        finish(watcher, a, b);
      }
    }
  }

  @Test
  void twoWriterProcessesAfterTheLockFileIsRemovedNeverCorruptWhatReadersSee() throws IOException {
    try (ChildJvm first = publisher(Role.WRITER, "first")) {
      first.awaitLine(START, "writer"::equals);
      try (ChildJvm watcher = watcher()) {
        watcher.awaitLine(START, "reading"::equals);
        awaitCount(first, "acked ", 500);

        Files.delete(lock());
        try (ChildJvm second = publisher(Role.WRITER, "second")) {
          second.awaitLine(START, "writer"::equals);
          first.awaitLine(TAKEOVER, l -> l.startsWith("fenced "));
          awaitCount(second, "acked ", 2000);
          // A fenced WRITER handle stays a reader: it never writes again.
          assertThat(count(first, "writer")).isEqualTo(1);

          finish(watcher, first, second);
        }
      }
    }
  }

  // ---------------------------------------------------------------- in one JVM

  private JsonMmapOptions.Builder options(Role role) {
    return JsonMmapOptions.builder(file()).role(role).heartbeatInterval(Duration.ofMillis(50));
  }

  @Test
  void aWriterWhoseLockFileWasReplacedStepsDownAndReadsOn() throws IOException {
    try (JsonMmapFile writer = JsonMmapFile.open(options(Role.WRITER).build())) {
      writer.set("a", 1);
      breakLock("replace");

      assertThatThrownBy(() -> writer.set("a", 2))
          .isInstanceOf(NotWriterException.class)
          .hasMessageContaining("path=" + file())
          .hasMessageContaining("lock file replaced");
      assertThat(writer.isWriter()).isFalse();
      assertThat(writer.lastError())
          .get()
          .extracting(JsonMmapException::reason)
          .isEqualTo("fenced");
      assertThat(writer.snapshot().get("a")).isEqualTo(1);
      assertThatThrownBy(() -> writer.set("a", 2))
          .isInstanceOf(NotWriterException.class)
          .hasMessageContaining("fenced=");

      try (JsonMmapFile next = JsonMmapFile.open(options(Role.WRITER).build())) {
        next.set("a", 3);
      }
      await().atMost(TAKEOVER).until(() -> Integer.valueOf(3).equals(writer.refresh().get("a")));
      // The free lock does not tempt a WRITER handle that was fenced off: only standbys take over.
      await()
          .during(Duration.ofMillis(500))
          .atMost(Duration.ofSeconds(5))
          .until(() -> !writer.isWriter());
    }
  }

  @Test
  void aWriterIsNotWokenByItsOwnPublishesAndHearsEventsAgainOnceFencedOff() throws IOException {
    Duration hour = Duration.ofHours(1);
    try (JsonMmapFile old = JsonMmapFile.open(options(Role.WRITER).pollInterval(hour).build())) {
      old.set("a", 1);
      // Events in the directory would only be the writer's own publishes: nothing watches it.
      assertThat(Watcher.instance().watches(dir)).isFalse();
      try (JsonMmapFile standby =
          JsonMmapFile.open(options(Role.AUTO).pollInterval(hour).build())) {
        assertThat(Watcher.instance().watches(dir)).as("the standby reads by events").isTrue();
        old.set("a", 2);
        // An hour-long poll: only an event brings a version to the standby.
        await()
            .atMost(TAKEOVER)
            .until(() -> Integer.valueOf(2).equals(standby.snapshot().get("a")));

        Files.delete(lock());
        await().atMost(TAKEOVER).until(() -> !old.isWriter());
        await().atMost(TAKEOVER).until(standby::isWriter);
        standby.set("a", 3);
        // The fenced writer reads on, by events again.
        await().atMost(TAKEOVER).until(() -> Integer.valueOf(3).equals(old.snapshot().get("a")));
        assertThat(Watcher.instance().watches(dir)).isTrue();
      }
      // The new writer is gone; the old one, a reader now, still watches.
      assertThat(Watcher.instance().watches(dir)).isTrue();
    }
    assertThat(Watcher.instance().watches(dir)).isFalse();
  }

  @Test
  void aWriterNoticesAtItsNextHeartbeatThatItsLockFileWasDeletedAndAStandbyTakesOver()
      throws IOException {
    try (JsonMmapFile old = JsonMmapFile.open(options(Role.WRITER).build());
        JsonMmapFile standby = JsonMmapFile.open(options(Role.AUTO).build())) {
      old.set("a", 1);
      assertThat(standby.isWriter()).isFalse();
      Files.delete(lock());

      await().atMost(TAKEOVER).until(() -> !old.isWriter());
      assertThat(old.lastError()).get().extracting(JsonMmapException::reason).isEqualTo("fenced");
      assertThat(old.lastError().orElseThrow().getMessage()).contains("lock file deleted");
      await().atMost(TAKEOVER).until(standby::isWriter);
      standby.set("a", 2);
      await().atMost(TAKEOVER).until(() -> Integer.valueOf(2).equals(old.refresh().get("a")));
      assertThat(old.isWriter()).isFalse();
    }
  }
}
