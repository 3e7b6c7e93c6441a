package io.github.jsonmmap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Claims about sharing between processes, each tested with real child JVMs. */
class CrossProcessTest {

  private static final long STRESS_SECONDS = Long.getLong("jsonmmap.stress.seconds", 20);

  @TempDir Path dir;

  private Path file() {
    return dir.resolve("shared.json");
  }

  private static Map<String, Long> facts(String line) {
    Map<String, Long> facts = new HashMap<>();
    Matcher m = Pattern.compile("(\\w+)=(\\d+)").matcher(line);
    while (m.find()) {
      facts.put(m.group(1), Long.parseLong(m.group(2)));
    }
    return facts;
  }

  @Test
  void readersInOtherJvmsNeverSeeATornDocumentWhileTheWriterPublishesAndGrows() {
    Duration deadline = Duration.ofSeconds(STRESS_SECONDS * 4 + 60);
    try (ChildJvm writer =
        ChildJvm.start(
            Children.StressWriter.class, file().toString(), String.valueOf(STRESS_SECONDS))) {
      writer.awaitLine(Duration.ofSeconds(60), "ready"::equals);
      List<ChildJvm> readers = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          readers.add(
              ChildJvm.start(
                  Children.StressReader.class, file().toString(), String.valueOf(STRESS_SECONDS)));
        }
        long totalReads = 0;
        long totalApiReads = 0;
        for (ChildJvm reader : readers) {
          assertThat(reader.awaitExit(deadline)).as("%s", reader).isZero();
          String result = reader.awaitLine(Duration.ofSeconds(5), l -> l.startsWith("result"));
          Map<String, Long> facts = facts(result);
          assertThat(facts.get("invalid")).as(result).isZero();
          assertThat(facts.get("nonMonotonic")).as(result).isZero();
          assertThat(facts.get("reads")).as(result).isGreaterThanOrEqualTo(Children.MIN_READS);
          totalReads += facts.get("reads");
          totalApiReads += facts.get("apiReads");
          System.out.println("stress reader: " + result);
        }
        assertThat(writer.awaitExit(deadline)).as("%s", writer).isZero();
        String result = writer.awaitLine(Duration.ofSeconds(5), l -> l.startsWith("result"));
        System.out.println(
            "stress writer: "
                + result
                + " totalReads="
                + totalReads
                + " totalApiReads="
                + totalApiReads);
        Map<String, Long> facts = facts(result);
        assertThat(facts.get("publishes"))
            .as(result)
            .isGreaterThanOrEqualTo(Children.MIN_PUBLISHES);
        assertThat(facts.get("generation")).as("the file grew in place").isPositive();
      } finally {
        readers.forEach(ChildJvm::close);
      }
    }
  }

  @Test
  void writerKilledMidPublishLeavesTheLastCommittedVersionAndANewWriterContinues() {
    int kills = 0;
    int midPublish = 0;
    long lastVersion = 0;
    // Keep killing until several kills landed inside a publish (odd sequence left behind). Every
    // other kill waits until it finds the writer inside a publish, so how many land there does not
    // depend on how fast a loaded machine runs the writers; the others land wherever they land.
    while ((kills < 12 || midPublish < 3) && kills < 40) {
      long acked;
      try (ChildJvm writer = ChildJvm.start(Children.CrashWriter.class, file().toString())) {
        writer.awaitLine(Duration.ofSeconds(60), l -> l.startsWith("ready"));
        writer.awaitLine(Duration.ofSeconds(60), l -> l.startsWith("acked"));
        if (kills % 2 == 1) {
          killInsidePublish(writer);
        } else {
          // Let it run a random short while, then SIGKILL wherever it is.
          pause(ThreadLocalRandom.current().nextLong(5, 60));
          writer.kill();
        }
        acked =
            writer.lines().stream()
                .filter(l -> l.startsWith("acked "))
                .mapToLong(l -> Long.parseLong(l.substring(6)))
                .max()
                .orElseThrow();
      }
      kills++;
      FileInfo info = JsonMmapFile.inspect(file());
      if (info.slots().stream().anyMatch(s -> s.state().equals("writing"))) {
        midPublish++;
      }
      try (JsonMmapFile reader = JsonMmapFile.open(file(), Role.READER)) {
        Snapshot survived = reader.snapshot();
        assertThat(survived.version())
            .as("kill %d: acked %d", kills, acked)
            .isGreaterThanOrEqualTo(acked);
        assertThat(survived.version()).isGreaterThan(lastVersion);
        assertThat(Children.valid(survived)).as("kill %d: document intact", kills).isTrue();
        lastVersion = survived.version();
      }
    }
    System.out.println(
        "crash test: kills=" + kills + " midPublish=" + midPublish + " lastVersion=" + lastVersion);
    assertThat(midPublish).as("kills that landed inside a publish").isPositive();
    try (JsonMmapFile writer = JsonMmapFile.open(file(), Role.WRITER)) {
      assertThat(writer.snapshot().version()).isEqualTo(lastVersion);
      Snapshot next = writer.publish(Children.document(lastVersion + 1, 10));
      assertThat(next.version()).isEqualTo(lastVersion + 1);
    }
  }

  /**
   * Freezes the writer (SIGSTOP) at random moments until a freeze finds one of its slots being
   * written, and SIGKILLs it there; a freeze that finds none lets it go on (SIGCONT). Only the file
   * says where the kill landed: the caller inspects it afterwards.
   */
  private void killInsidePublish(ChildJvm writer) {
    for (int attempt = 0; attempt < 1000; attempt++) {
      pause(ThreadLocalRandom.current().nextLong(0, 4));
      writer.signal("STOP");
      if (slotBeingWritten()) {
        break;
      }
      writer.signal("CONT");
    }
    writer.kill();
  }

  private boolean slotBeingWritten() {
    try {
      return JsonMmapFile.inspect(file()).slots().stream()
          .anyMatch(s -> s.state().equals("writing"));
    } catch (JsonMmapException e) {
      // Frozen while growing the file, say: not inside a publish, try another moment.
      return false;
    }
  }

  /** Busy-waits: a random moment to act at, not a wait for anything. */
  private static void pause(long millis) {
    long stop = System.nanoTime() + Duration.ofMillis(millis).toNanos();
    while (System.nanoTime() < stop) {
      Thread.onSpinWait();
    }
  }

  @Test
  void secondWriterFailsFastWhileAnotherJvmHoldsTheFile() {
    try (ChildJvm holder = ChildJvm.start(Children.HoldWriter.class, file().toString(), "1000")) {
      holder.awaitLine(Duration.ofSeconds(60), l -> l.startsWith("holding"));
      long started = System.nanoTime();
      assertThatThrownBy(() -> JsonMmapFile.open(file(), Role.WRITER))
          .isInstanceOf(WriterLockedException.class)
          .hasMessageContaining("path=" + file())
          .hasMessageContaining("another process holds the writer lock")
          .hasMessageContaining("holder=\"pid=" + holder.pid());
      // A waiting open would wait as long as the holder lives (until it is killed): any bound a
      // loaded machine meets tells the two apart.
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(60));
    }
  }

  @Test
  void standbyTakesOverWhenTheWriterProcessDiesAndNeverTwoWritersAtOnce() {
    long heartbeatMillis = 200;
    List<ChildJvm> members = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        members.add(
            ChildJvm.start(
                Children.AutoMember.class, file().toString(), String.valueOf(heartbeatMillis)));
      }
      for (ChildJvm member : members) {
        member.awaitLine(Duration.ofSeconds(60), "ready"::equals);
      }
      List<Long> takeoverMillis = new ArrayList<>();
      for (int round = 0; round < 2; round++) {
        List<ChildJvm> alive = members.stream().filter(ChildJvm::isAlive).toList();
        await().atMost(Duration.ofSeconds(60)).until(() -> writers(alive).size() == 1);
        ChildJvm writer = writers(alive).get(0);
        UUID writerId = JsonMmapFile.inspect(file()).writerId();
        writer.kill();
        long killedAt = System.nanoTime();
        List<ChildJvm> survivors = alive.stream().filter(m -> m != writer).toList();
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(5))
            .until(
                () ->
                    !writerId.equals(JsonMmapFile.inspect(file()).writerId())
                        && writers(survivors).size() == 1);
        takeoverMillis.add(Duration.ofNanos(System.nanoTime() - killedAt).toMillis());
        assertThat(writers(survivors)).hasSize(1);
        ChildJvm newWriter = writers(survivors).get(0);
        // The header names the new writer, and its publishes carry on from the last version.
        try (JsonMmapFile reader = JsonMmapFile.open(file(), Role.READER)) {
          long before = reader.snapshot().version();
          await().atMost(Duration.ofSeconds(30)).until(() -> reader.refresh().version() > before);
          assertThat(reader.snapshot().get("writer")).isEqualTo((int) newWriter.pid());
        }
      }
      System.out.println(
          "failover: heartbeat=" + heartbeatMillis + "ms takeover=" + takeoverMillis + "ms");
    } finally {
      members.forEach(ChildJvm::close);
    }
  }

  /** Live members that announced they hold the writer role. */
  private static List<ChildJvm> writers(List<ChildJvm> members) {
    return members.stream()
        .filter(ChildJvm::isAlive)
        .filter(m -> m.lines().stream().anyMatch(l -> l.startsWith("writer ")))
        .toList();
  }

  @Test
  void readerInAnotherJvmIsNotifiedByFileEventsLongBeforeItsPollWouldFire() {
    assertFollowerSeesChanges("events", 60_000);
  }

  @Test
  void spinningReaderInAnotherJvmSeesEveryChange() {
    assertFollowerSeesChanges("spin", 60_000);
  }

  @Test
  void pollingReaderInAnotherJvmSeesChangesAtItsInterval() {
    assertFollowerSeesChanges("poll", 50);
  }

  private void assertFollowerSeesChanges(String mode, long pollMillis) {
    try (JsonMmapFile writer = JsonMmapFile.open(file(), Role.WRITER);
        ChildJvm follower =
            ChildJvm.start(
                Children.Follower.class, file().toString(), mode, String.valueOf(pollMillis))) {
      follower.awaitLine(Duration.ofSeconds(60), l -> l.startsWith("ready"));
      for (int i = 1; i <= 5; i++) {
        long version = writer.set("greeting.message", "hello " + i).version();
        // With a one-minute poll, only a file event (or the spin) can deliver this in time.
        String line =
            follower.awaitLine(Duration.ofSeconds(30), l -> l.startsWith("seen " + version + " "));
        assertThat(line).contains("[greeting.message]");
      }
    }
  }

  @Test
  void readerReportsTheWriterStaleWhenItsProcessDies() {
    try (ChildJvm holder = ChildJvm.start(Children.HoldWriter.class, file().toString(), "100")) {
      holder.awaitLine(Duration.ofSeconds(60), l -> l.startsWith("holding"));
      JsonMmapOptions options =
          JsonMmapOptions.builder(file()).staleAfter(Duration.ofMillis(500)).build();
      try (JsonMmapFile reader = JsonMmapFile.open(options)) {
        await().atMost(Duration.ofSeconds(30)).until(() -> !reader.isWriterStale());
        Optional<Duration> age = reader.writerHeartbeatAge();
        assertThat(age).isPresent();
        holder.kill();
        await().atMost(Duration.ofSeconds(30)).until(reader::isWriterStale);
        assertThat(reader.snapshot().get("holder")).isEqualTo((int) holder.pid());
      }
    }
  }

  @Test
  void failedSecondHandleInTheSameJvmDoesNotDropTheWriterLock() {
    JsonMmapOptions standby =
        JsonMmapOptions.builder(file())
            .role(Role.AUTO)
            .heartbeatInterval(Duration.ofMillis(50))
            .build();
    try (JsonMmapFile writer = JsonMmapFile.open(file(), Role.WRITER)) {
      assertThatThrownBy(() -> JsonMmapFile.open(file(), Role.WRITER))
          .isInstanceOf(WriterLockedException.class);
      try (JsonMmapFile auto = JsonMmapFile.open(standby)) {
        assertThat(auto.isWriter()).isFalse();
      }
      // POSIX locks belong to the process: a careless close of another channel would drop ours.
      try (ChildJvm other = ChildJvm.start(Children.TryWriter.class, file().toString())) {
        assertThat(other.awaitExit(Duration.ofSeconds(30))).isZero();
        assertThat(other.lines()).anyMatch(l -> l.startsWith("locked "));
      }
      assertThat(writer.set("still", "writer").version()).isEqualTo(2);
    }
    try (ChildJvm other = ChildJvm.start(Children.TryWriter.class, file().toString())) {
      assertThat(other.awaitExit(Duration.ofSeconds(30))).isZero();
      assertThat(other.lines()).anyMatch(l -> l.startsWith("acquired 2"));
    }
  }

  @Test
  void readerKilledMidReadAffectsNeitherTheWriterNorOtherReaders() {
    Duration deadline = Duration.ofSeconds(120);
    try (ChildJvm writer = ChildJvm.start(Children.StressWriter.class, file().toString(), "6")) {
      writer.awaitLine(Duration.ofSeconds(60), "ready"::equals);
      try (ChildJvm victim = ChildJvm.start(Children.StressReader.class, file().toString(), "6");
          ChildJvm survivor = ChildJvm.start(Children.StressReader.class, file().toString(), "6")) {
        assertReaderDeathIsHarmless(writer, victim, survivor, deadline);
      }
    }
  }

  private static void assertReaderDeathIsHarmless(
      ChildJvm writer, ChildJvm victim, ChildJvm survivor, Duration deadline) {
    victim.awaitLine(Duration.ofSeconds(60), "reading"::equals);
    survivor.awaitLine(Duration.ofSeconds(60), "reading"::equals);
    // The victim is inside its read loop (copying slots thousands of times a second).
    victim.kill();
    assertThat(survivor.awaitExit(deadline)).as("%s", survivor).isZero();
    Map<String, Long> read =
        facts(survivor.awaitLine(Duration.ofSeconds(5), l -> l.startsWith("result")));
    assertThat(read.get("invalid")).isZero();
    assertThat(read.get("nonMonotonic")).isZero();
    assertThat(writer.awaitExit(deadline)).as("%s", writer).isZero();
    Map<String, Long> wrote =
        facts(writer.awaitLine(Duration.ofSeconds(5), l -> l.startsWith("result")));
    assertThat(wrote.get("publishes")).isGreaterThanOrEqualTo(Children.MIN_PUBLISHES);
    assertThat(read.get("maxVersion")).isGreaterThan(1L).isLessThanOrEqualTo(wrote.get("version"));
  }
}
