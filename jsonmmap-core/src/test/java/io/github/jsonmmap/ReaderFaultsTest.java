package io.github.jsonmmap;

import static io.github.jsonmmap.FileLayout.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Faults on the read side (issue #11, items 1, 3 and 5): a file truncated and regrown under reader
 * JVMs, slots past 2 GiB or claiming nearly 2 GiB, the writer's maximum document size in a 1.1
 * header, the same version arriving twice with different content (two writers), and a version that
 * does not fit in the heap. Each is reported ({@code lastError}, {@code readFailures()}), the last
 * good version stays served, and the reader recovers or converges on the file's document.
 */
@Timeout(value = 900, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ReaderFaultsTest {

  private static final Duration POLL = Duration.ofMillis(20);

  private static final Duration WAIT = Duration.ofSeconds(60);

  /** Truncate-and-regrow rounds per watch mode. */
  private static final int ROUNDS = 25;

  @TempDir Path dir;

  private Path file() {
    return dir.resolve("config.json");
  }

  private JsonMmapFile writer() {
    return JsonMmapFile.open(JsonMmapOptions.builder(file()).role(Role.WRITER).build());
  }

  /** A reader driven by {@link JsonMmapFile#refresh()}: its poll is far away. */
  private JsonMmapFile refreshedReader() {
    return JsonMmapFile.open(
        JsonMmapOptions.builder(file())
            .role(Role.READER)
            .watchMode(WatchMode.POLL)
            .pollInterval(Duration.ofHours(1))
            .build());
  }

  private static byte[] json(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /** Commits a correct {@code document} as {@code version} into {@code slot}. */
  private static void commit(Path file, int slot, long version, byte[] document) {
    FileSurgery.commit(file, slot, version, document, FileSurgery.crc32(document));
  }

  // ---------------------------------------------------------------- truncated and regrown

  /**
   * A file truncated to nothing and written again in place, over and over, under a reader in
   * another JVM that calls every entry point in a loop: no {@link InternalError} (SIGBUS) ever
   * escapes, the reader reports each truncation and takes each regrown file in, whatever its
   * version.
   */
  @ParameterizedTest
  @EnumSource(WatchMode.class)
  void readerInAnotherJvmSurvivesTheFileTruncatedAndRegrownInALoop(WatchMode mode) {
    int images = 5;
    List<byte[]> image = new ArrayList<>();
    try (JsonMmapFile writer = writer()) {
      for (int round = 0; round < images; round++) {
        writer.publish(Map.of("round", round, "pad", "x".repeat(100 * round)));
        image.add(FileSurgery.bytes(file()));
      }
    }
    try (ChildJvm child =
        ChildJvm.start(TruncatedReader.class, file().toString(), mode.name(), "20")) {
      child.awaitLine(WAIT, "ready round 4"::equals);
      for (int i = 0; i < ROUNDS; i++) {
        Predicate<String> truncation = line -> line.endsWith("(truncated)");
        long reported = count(child, truncation);
        FileSurgery.truncate(file(), 0);
        awaitChild(child, "truncation reported in round " + i, truncation, reported);
        int round = i % images;
        Predicate<String> change = ("round " + round)::equals;
        long taken = count(child, change);
        FileSurgery.write(file(), image.get(round));
        awaitChild(child, "regrown file taken in, round " + i, change, taken);
      }
      assertThat(child.lines())
          .as("%s", child)
          .noneMatch(line -> line.startsWith("uncaught") || line.startsWith("internal-error"));
      assertThat(child.stderr()).doesNotContain("InternalError").doesNotContain("fault occurred");
      assertThat(child.isAlive()).isTrue();
    }
  }

  /** Waits until more lines than {@code before} match, failing with the child's output. */
  private static void awaitChild(
      ChildJvm child, String what, Predicate<String> match, long before) {
    try {
      await(what)
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(2))
          .until(() -> count(child, match) > before);
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(what + ": " + child, e);
    }
  }

  private static long count(ChildJvm child, Predicate<String> match) {
    return child.lines().stream().filter(match).count();
  }

  /**
   * Follows a file and calls every reader entry point in a loop, printing {@code ready round R},
   * {@code round R} for each change, {@code error REASON} when the last error changes (with {@code
   * (truncated)} when it says so), and {@code uncaught ...} or {@code internal-error ...} should
   * anything escape: {@code file mode pollMillis}.
   */
  static final class TruncatedReader {
    public static void main(String[] args) {
      PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
      Thread.setDefaultUncaughtExceptionHandler(
          (thread, e) -> out.println("uncaught " + thread.getName() + " " + e));
      JsonMmapOptions options =
          JsonMmapOptions.builder(Path.of(args[0]))
              .role(Role.READER)
              .watchMode(WatchMode.valueOf(args[1]))
              .pollInterval(Duration.ofMillis(Long.parseLong(args[2])))
              .readTimeout(Duration.ofMillis(200))
              .build();
      try (JsonMmapFile reader = JsonMmapFile.open(options)) {
        reader.addListener(change -> out.println("round " + change.current().get("round")));
        out.println("ready round " + reader.snapshot().get("round"));
        String reported = "none";
        String reportedMessage = "";
        while (true) {
          try {
            reader.refresh();
            reader.snapshot().get("round");
            reader.writerHeartbeatAge();
            reader.isWriterStale();
            try {
              reader.previous();
            } catch (JsonMmapException e) {
              // A damaged previous slot is an error like any other.
            }
            try {
              reader.info();
            } catch (JsonMmapException e) {
              // So is a damaged header.
            }
          } catch (InternalError e) {
            out.println("internal-error " + e);
          }
          String reason = reader.lastError().map(JsonMmapException::reason).orElse("none");
          // The same failure again after a change taken in is a new report, even when the moment
          // without an error between the two was too short to be seen here.
          String message =
              reader.lastError().map(JsonMmapException::getMessage).orElse("")
                  + " after change "
                  + reader.changesReceived();
          if (!reason.equals(reported) || !message.equals(reportedMessage)) {
            out.println("error " + reason + (message.contains("truncated") ? " (truncated)" : ""));
            reported = reason;
            reportedMessage = message;
          }
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
      }
    }
  }

  // ---------------------------------------------------------------- bounds

  /**
   * A slot whose bytes lie past 2 GiB in a sparse file: no mapping limit error, a clean
   * CorruptFileException recorded once, nothing thrown out of refresh(), the last good version
   * served.
   */
  @Test
  void slotPastTwoGibInASparseFileIsACleanErrorThatRefreshDoesNotThrow() throws IOException {
    try (JsonMmapFile writer = writer()) {
      writer.publish(Map.of("k", "good"));
    }
    try (JsonMmapFile reader = refreshedReader()) {
      long far = 5L << 29;
      try (RandomAccessFile raf = new RandomAccessFile(file().toFile(), "rw")) {
        raf.setLength(far + 4096);
      }
      int slot = 1 - FileSurgery.currentSlot(file());
      long version = FileSurgery.currentVersion(file()) + 1;
      FileSurgery.putLong(file(), FileSurgery.slotField(slot, SLOT_SEQUENCE_OFFSET), 100);
      FileSurgery.putLong(file(), FileSurgery.slotField(slot, SLOT_VERSION_OFFSET), version);
      FileSurgery.putLong(file(), FileSurgery.slotField(slot, SLOT_DATA_OFFSET), far);
      FileSurgery.putLong(file(), FileSurgery.slotField(slot, SLOT_DATA_LENGTH_OFFSET), 2);
      FileSurgery.putInt(
          file(), FileSurgery.slotField(slot, SLOT_CHECKSUM_OFFSET), FileSurgery.crc32(json("{}")));
      FileSurgery.putBytes(file(), far, json("{}"));
      FileSurgery.putLong(file(), CURRENT_OFFSET, FileLayout.current(version, slot));

      for (int i = 0; i < 5; i++) {
        Throwable thrown = catchThrowable(reader::refresh);
        assertThat(thrown).as("what refresh() threw").isNull();
      }

      JsonMmapException error = reader.lastError().orElseThrow();
      assertThat(error).isInstanceOf(CorruptFileException.class);
      assertThat(error.getMessage())
          .contains("path=" + file())
          .contains("slot out of range")
          .contains("offset=" + far);
      assertThat(reader.readFailures()).containsEntry("corrupt", 1L);
      assertThat(reader.snapshot().get("k")).isEqualTo("good");
    }
  }

  /**
   * A sparse file of the largest size whose 1.1 header claims a writer maximum of nearly 2 GiB and
   * whose slot claims nearly 2 GiB: the length is bounded by the largest document any writer can
   * publish, so the reader allocates nothing near it and reports a clean error.
   */
  @Test
  void slotClaimingNearlyTwoGibIsBoundedWithoutAllocatingIt() throws IOException {
    try (JsonMmapFile writer = writer()) {
      writer.publish(Map.of("k", "good"));
    }
    try (RandomAccessFile raf = new RandomAccessFile(file().toFile(), "rw")) {
      raf.setLength(JsonMmapOptions.MAX_MAX_SIZE);
    }
    long huge = JsonMmapOptions.MAX_MAX_SIZE - HEADER_LENGTH;
    FileSurgery.putLong(file(), MAX_DOCUMENT_SIZE_OFFSET, huge);
    int slot = FileSurgery.currentSlot(file());
    FileSurgery.putLong(file(), FileSurgery.slotField(slot, SLOT_DATA_OFFSET), HEADER_LENGTH);
    FileSurgery.putLong(file(), FileSurgery.slotField(slot, SLOT_DATA_LENGTH_OFFSET), huge);
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    long before = threads.getCurrentThreadAllocatedBytes();
    Throwable thrown = catchThrowable(() -> refreshedReader().close());
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;

    assertThat(thrown).isInstanceOf(CorruptFileException.class);
    assertThat(thrown.getMessage())
        .contains("path=" + file())
        .contains("slot out of range")
        .contains("length=" + huge)
        .contains("maxLength=" + Protocol.MAX_DOCUMENT_LENGTH);
    assertThat(allocated).as("bytes allocated by the failed open").isLessThan(16L << 20);

    FileInfo info = JsonMmapFile.inspect(file());
    assertThat(info.maxDocumentSize()).isEqualTo(huge);
    assertThat(info.slots().get(slot).state()).startsWith("corrupt: slot out of range");
  }

  /**
   * A 1.1 file records the writer's maximum document size: a reader whose own {@code maxSize} is
   * smaller reads a document up to the writer's maximum. Without the field (1.0) the reader's own
   * limit applies and the same document is refused as out of range.
   */
  @Test
  void readerHonoursTheWritersMaximumFromTheHeaderAboveItsOwn() {
    String big = "v".repeat(100_000);
    try (JsonMmapFile writer = writer()) {
      writer.publish(Map.of("big", big));
    }
    long writerMax = JsonMmapOptions.of(file(), Role.WRITER).maxDocumentSize();
    JsonMmapOptions small =
        JsonMmapOptions.builder(file())
            .role(Role.READER)
            .maxSize(JsonMmapOptions.MIN_MAX_SIZE)
            .watchMode(WatchMode.POLL)
            .build();

    FileSurgery.putLong(file(), MAX_DOCUMENT_SIZE_OFFSET, 0);
    Throwable refused = catchThrowable(() -> JsonMmapFile.open(small).close());
    assertThat(refused).isInstanceOf(CorruptFileException.class);
    assertThat(refused.getMessage()).contains("slot out of range");

    FileSurgery.putLong(file(), MAX_DOCUMENT_SIZE_OFFSET, writerMax);
    try (JsonMmapFile reader = JsonMmapFile.open(small)) {
      assertThat(reader.snapshot().get("big")).isEqualTo(big);
      assertThat(reader.lastError()).isEmpty();
      assertThat(reader.info().maxDocumentSize()).isEqualTo(writerMax);
    }
  }

  // ---------------------------------------------------------------- divergence

  /**
   * Two writers: version V arrives again with different content in the other slot. The reader
   * reports {@code diverged} (counted in readFailures), follows the file's document, keeps the
   * fault reported while the version stays V, and clears it once a higher version arrives. {@code
   * inspect} shows the fault too.
   */
  @Test
  void sameVersionWithOtherContentIsReportedAsDivergedAndTheReaderConverges() {
    try (JsonMmapFile writer = writer()) {
      writer.publish(Map.of("who", "a"));
    }
    try (JsonMmapFile reader = refreshedReader()) {
      assertThat(reader.snapshot().get("who")).isEqualTo("a");
      long version = reader.snapshot().version();

      commit(file(), 1 - FileSurgery.currentSlot(file()), version, json("{\"who\":\"b\"}"));
      reader.refresh();

      JsonMmapException error = reader.lastError().orElseThrow();
      assertThat(error.reason()).isEqualTo("diverged");
      assertThat(error.getMessage()).contains("path=" + file()).contains("version=" + version);
      assertThat(reader.readFailures()).containsEntry("diverged", 1L);
      assertThat(reader.snapshot().get("who")).isEqualTo("b");
      assertThat(reader.snapshot().version()).isEqualTo(version);
      assertThat(JsonMmapFile.inspect(file()).faults())
          .singleElement()
          .asString()
          .startsWith("diverged: both slots hold version " + version);

      reader.refresh();
      assertThat(reader.lastError()).map(JsonMmapException::reason).contains("diverged");

      try (JsonMmapFile writer = writer()) {
        writer.publish(Map.of("who", "c"));
      }
      reader.refresh();
      assertThat(reader.lastError()).isEmpty();
      assertThat(reader.snapshot().get("who")).isEqualTo("c");
      assertThat(reader.snapshot().version()).isGreaterThan(version);
      assertThat(JsonMmapFile.inspect(file()).faults()).isEmpty();
    }
  }

  /**
   * The current slot rewritten in place with other content under the same version (the current word
   * does not move): the reader's poll sees the slot's sequence change, reports {@code diverged} and
   * converges.
   */
  @Test
  void currentSlotRewrittenInPlaceIsFoundByThePollAndReportedAsDiverged() {
    try (JsonMmapFile writer = writer()) {
      writer.publish(Map.of("who", "a"));
    }
    JsonMmapOptions options =
        JsonMmapOptions.builder(file())
            .role(Role.READER)
            .watchMode(WatchMode.POLL)
            .pollInterval(POLL)
            .build();
    try (JsonMmapFile reader = JsonMmapFile.open(options)) {
      long version = reader.snapshot().version();

      commit(file(), FileSurgery.currentSlot(file()), version, json("{\"who\":\"b\"}"));

      await()
          .atMost(WAIT)
          .untilAsserted(() -> assertThat(reader.snapshot().get("who")).isEqualTo("b"));
      assertThat(reader.lastError()).map(JsonMmapException::reason).contains("diverged");
      assertThat(reader.snapshot().version()).isEqualTo(version);
    }
  }

  /** A version lower than the one held in the same file is a fault too; the reader follows it. */
  @Test
  void lowerVersionInTheSameFileIsReportedAsDivergedAndFollowed() {
    try (JsonMmapFile writer = writer()) {
      writer.publish(Map.of("who", "a"));
      writer.publish(Map.of("who", "b"));
    }
    try (JsonMmapFile reader = refreshedReader()) {
      long version = reader.snapshot().version();

      commit(file(), 1 - FileSurgery.currentSlot(file()), version - 1, json("{\"who\":\"old\"}"));
      reader.refresh();

      assertThat(reader.lastError()).map(JsonMmapException::reason).contains("diverged");
      assertThat(reader.snapshot().get("who")).isEqualTo("old");
    }
  }

  // ---------------------------------------------------------------- out of heap

  /**
   * A valid version too large for the reader's heap right now (a child JVM whose heap is nearly
   * full): the failure is reported as {@code too-large-for-heap}, the last good version stays
   * served, and the version is read again at the next poll and taken once the heap allows.
   */
  @Test
  void versionThatDidNotFitInTheHeapIsRetriedAndTakenWhenItFits() {
    JsonMmapOptions options =
        JsonMmapOptions.builder(file()).role(Role.WRITER).maxSize(64L << 20).build();
    String big = "x".repeat(12 << 20);
    try (JsonMmapFile writer = JsonMmapFile.open(options)) {
      writer.publish(Map.of("k", "small"));
      try (ChildJvm child = ChildJvm.start(HeapStarvedReader.class, file().toString())) {
        child.awaitLine(WAIT, "ready"::equals);
        writer.publish(Map.of("k", "big", "big", big));
        child.awaitLine(WAIT, line -> line.startsWith("failed too-large-for-heap"));
        // The child prints what it served on the line after the failure: wait for that line.
        child.awaitLine(WAIT, line -> line.startsWith("served "));
        assertThat(child.lines()).contains("served small");
        child.awaitLine(WAIT, line -> line.startsWith("took "));
        assertThat(child.lines()).contains("took " + writer.snapshot().version() + " big");
      }
    }
  }

  /**
   * Fills its heap until a few MiB are left, prints {@code ready}, waits for the reader to report
   * {@code too-large-for-heap} ({@code failed REASON}, {@code served VALUE}), frees the heap and
   * prints {@code took VERSION VALUE} once the version is in: {@code file}.
   */
  static final class HeapStarvedReader {
    public static void main(String[] args) {
      PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
      JsonMmapOptions options =
          JsonMmapOptions.builder(Path.of(args[0]))
              .role(Role.READER)
              .maxSize(64L << 20)
              .watchMode(WatchMode.POLL)
              .pollInterval(Duration.ofMillis(50))
              .build();
      try (JsonMmapFile reader = JsonMmapFile.open(options)) {
        List<byte[]> ballast = new ArrayList<>();
        try {
          while (true) {
            ballast.add(new byte[1 << 20]);
          }
        } catch (OutOfMemoryError e) {
          // Leave a little room for everything but the big version.
          for (int i = 0; i < 6 && !ballast.isEmpty(); i++) {
            ballast.remove(ballast.size() - 1);
          }
        }
        out.println("ready");
        // Only the big version's own failure counts: filling the heap may have starved the
        // watcher thread of a few bytes too, which the reader reports in other words.
        JsonMmapException error = null;
        while (error == null || !error.getMessage().contains("document does not fit in the heap")) {
          error = reader.lastError().orElse(null);
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        out.println("failed " + error.reason());
        out.println("served " + reader.snapshot().get("k"));
        ballast.clear();
        while (!"big".equals(reader.snapshot().get("k"))) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        out.println("took " + reader.snapshot().version() + " " + reader.snapshot().get("k"));
      }
    }
  }
}
