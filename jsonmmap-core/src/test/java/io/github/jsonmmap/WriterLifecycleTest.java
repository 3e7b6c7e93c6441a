package io.github.jsonmmap;

import static io.github.jsonmmap.FileLayout.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The writer's side of format 1.1 and of "failures never silent": the header fields it writes at
 * claim and on a clean close, adoption of a 1.0 file, unmapping on close, and the heartbeat and a
 * standby's takeover surviving Errors.
 */
class WriterLifecycleTest {

  @TempDir Path dir;

  private Path file() {
    return dir.resolve("life.json");
  }

  private JsonMmapOptions.Builder options(Role role) {
    return JsonMmapOptions.builder(file()).role(role).heartbeatInterval(Duration.ofMillis(50));
  }

  private long header(int offset) {
    return FileSurgery.readLong(file(), offset);
  }

  @Test
  void aWriterRecordsFormat11FieldsAtClaimAndACleanCloseMarker() {
    JsonMmapOptions options = options(Role.WRITER).maxSize(8L << 20).build();
    try (JsonMmapFile writer = JsonMmapFile.open(options)) {
      writer.set("a", 1);
      assertThat(FileSurgery.readInt(file(), FORMAT_VERSION_OFFSET + 4)).isEqualTo(1);
      assertThat(header(MAX_DOCUMENT_SIZE_OFFSET)).isEqualTo(options.maxDocumentSize());
      assertThat(header(WRITER_EPOCH_OFFSET)).isEqualTo(1);
      assertThat(header(CLOSED_OFFSET)).isZero();
      assertThat(header(HEARTBEAT_OFFSET)).isNotZero();
    }
    long closedAt = header(CLOSED_OFFSET);
    assertThat(closedAt).isNotZero();
    assertThat(Units.ageOf(closedAt)).isLessThan(Duration.ofMinutes(1));
    assertThat(header(HEARTBEAT_OFFSET)).as("heartbeat zeroed on a clean close").isZero();

    try (JsonMmapFile writer = JsonMmapFile.open(options)) {
      assertThat(header(CLOSED_OFFSET)).as("a new writer clears the marker").isZero();
      assertThat(header(HEARTBEAT_OFFSET)).isNotZero();
      assertThat(header(WRITER_EPOCH_OFFSET)).isEqualTo(2);
      assertThat(writer.snapshot().get("a")).isEqualTo(1);
    }
  }

  @Test
  void aWriterThatDiesLeavesNoCleanCloseMarker() {
    try (ChildJvm holder =
        ChildJvm.start(Children.HoldWriter.class, file().toString(), String.valueOf(50))) {
      holder.awaitLine(Duration.ofSeconds(60), l -> l.startsWith("holding"));
      holder.kill();
    }
    assertThat(header(CLOSED_OFFSET)).isZero();
    assertThat(header(HEARTBEAT_OFFSET)).isNotZero();
    assertThat(header(WRITER_EPOCH_OFFSET)).isEqualTo(1);
  }

  @Test
  void aFormat10FileIsAdoptedAndUpgraded() {
    try (JsonMmapFile writer = JsonMmapFile.open(options(Role.WRITER).build())) {
      writer.set("a", 1);
    }
    // What a 1.0 writer leaves: minor 0 and zeros where 1.1 keeps its fields.
    FileSurgery.putInt(file(), FORMAT_VERSION_OFFSET + 4, 0);
    FileSurgery.putLong(file(), MAX_DOCUMENT_SIZE_OFFSET, 0);
    FileSurgery.putLong(file(), WRITER_EPOCH_OFFSET, 0);
    FileSurgery.putLong(file(), CLOSED_OFFSET, 0);

    try (JsonMmapFile writer = JsonMmapFile.open(options(Role.WRITER).build())) {
      assertThat(writer.snapshot().get("a")).isEqualTo(1);
      assertThat(FileSurgery.readInt(file(), FORMAT_VERSION_OFFSET + 4)).isEqualTo(1);
      assertThat(header(WRITER_EPOCH_OFFSET)).isEqualTo(1);
      assertThat(header(MAX_DOCUMENT_SIZE_OFFSET)).isNotZero();
      writer.set("a", 2);
    }
    try (JsonMmapFile reader = JsonMmapFile.open(file(), Role.READER)) {
      assertThat(reader.snapshot().get("a")).isEqualTo(2);
    }
  }

  @Test
  void aNewerMinorIsAdoptedAndLeftAsItIs() {
    try (JsonMmapFile writer = JsonMmapFile.open(options(Role.WRITER).build())) {
      writer.set("a", 1);
    }
    FileSurgery.putInt(file(), FORMAT_VERSION_OFFSET + 4, 7);
    try (JsonMmapFile writer = JsonMmapFile.open(options(Role.WRITER).build())) {
      writer.set("a", 2);
    }
    assertThat(FileSurgery.readInt(file(), FORMAT_VERSION_OFFSET + 4)).isEqualTo(7);
  }

  @Test
  void closeUnmapsWithoutWaitingForAGarbageCollection() throws IOException {
    try (JsonMmapFile writer = JsonMmapFile.open(options(Role.WRITER).build())) {
      writer.set("a", 1);
      assertThat(mappingsOf(file())).isPositive();
    }
    assertThat(mappingsOf(file())).isZero();
    for (int i = 0; i < 10_000; i++) {
      Role role = i % 2 == 0 ? Role.WRITER : Role.READER;
      try (JsonMmapFile handle = JsonMmapFile.open(options(role).build())) {
        if (i % 1000 == 0) {
          assertThat(handle.snapshot().get("a")).isEqualTo(1);
        }
      }
    }
    assertThat(mappingsOf(file())).as("mappings left after 10,000 open/close cycles").isZero();
  }

  private static long mappingsOf(Path file) throws IOException {
    String path = file.toRealPath().toString();
    try (var lines = Files.lines(Path.of("/proc/self/maps"))) {
      return lines.filter(l -> l.endsWith(path) || l.endsWith(path + " (deleted)")).count();
    }
  }

  @Test
  void theHeartbeatGoesOnWhenAValidatorThrowsAnError() {
    try (JsonMmapFile writer = JsonMmapFile.open(options(Role.WRITER).build())) {
      AtomicInteger calls = new AtomicInteger();
      writer.setValidator(
          tree -> {
            if (calls.incrementAndGet() == 1) {
              throw new OutOfMemoryError("simulated");
            }
          });
      long before = writer.snapshot().version();
      assertThatThrownBy(() -> writer.set("a", 1)).isInstanceOf(OutOfMemoryError.class);
      assertThat(writer.snapshot().version()).as("nothing published").isEqualTo(before);

      long beat = header(HEARTBEAT_OFFSET);
      await().atMost(Duration.ofSeconds(30)).until(() -> header(HEARTBEAT_OFFSET) > beat);
      assertThat(writer.isWriter()).isTrue();
      assertThat(writer.set("a", 2).version()).isEqualTo(before + 1);
    }
  }

  @Test
  void aStandbyWhoseTakeoverFailsWithAnErrorReportsItAndTakesOverAtTheNextBeat() {
    try (JsonMmapFile writer = JsonMmapFile.open(options(Role.WRITER).build());
        JsonMmapFile standby =
            JsonMmapFile.open(
                options(Role.AUTO)
                    .watchMode(WatchMode.POLL)
                    .pollInterval(Duration.ofHours(1))
                    .build())) {
      AtomicInteger failures = new AtomicInteger();
      standby.addListener(
          change -> {
            // Only while taking over (on the heartbeat thread), and only once.
            if (Thread.currentThread().getName().equals("jsonmmap-heartbeat")
                && failures.incrementAndGet() == 1) {
              throw new OutOfMemoryError("simulated while adopting");
            }
          });
      writer.publish(Map.of("a", 2));
      writer.close();

      await().atMost(Duration.ofSeconds(30)).until(standby::isWriter);
      assertThat(failures.get()).isEqualTo(1);
      assertThat(standby.readFailures()).containsEntry("heartbeat", 1L);
      assertThat(standby.snapshot().get("a")).isEqualTo(2);
      assertThat(standby.set("a", 3).version()).isEqualTo(3);
    }
  }

  @Test
  void aWriterNeverTouchesTheMappingOfAFileThatShrankUnderIt() {
    try (JsonMmapFile writer = JsonMmapFile.open(options(Role.WRITER).build())) {
      writer.set("a", 1);
      FileSurgery.truncate(file(), HEADER_LENGTH);
      byte[] header = FileSurgery.bytes(file());

      assertThatThrownBy(() -> writer.set("a", 2))
          .isInstanceOf(CorruptFileException.class)
          .hasMessageContaining("path=" + file())
          .hasMessageContaining("truncated under the writer");
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThat(writer.lastError())
                      .get()
                      .extracting(Throwable::getMessage)
                      .asString()
                      .contains("truncated under the writer"));
      assertThat(FileSurgery.bytes(file())).as("nothing written").isEqualTo(header);
    }
  }
}
