package io.github.jsonmmap.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import io.github.jsonmmap.Role;
import io.github.jsonmmap.spring.health.JsonMmapHealthIndicator;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/**
 * Real files in each state. Corruption is done with raw writes at the offsets FORMAT.md gives:
 * magic at 0, the u32 major version at 8, the current word at 48, slot descriptors at 256 + 64 ×
 * slot with the document offset at +16.
 */
class JsonMmapHealthIndicatorTest {

  private static final Duration DEADLINE = Duration.ofSeconds(60);
  private static final int MAJOR_VERSION_OFFSET = 8;
  private static final int CURRENT_OFFSET = 48;
  private static final int SLOT_0_OFFSET = 256;
  private static final int SLOT_SIZE = 64;
  private static final int SLOT_DATA_OFFSET = 16;

  @TempDir Path dir;

  private JsonMmapFile file;

  @AfterEach
  void close() {
    if (file != null) {
      file.close();
    }
  }

  @Test
  void writerIsUpWithVersionAndWriterDetails() {
    file = JsonMmapFile.open(dir.resolve("app.json"), Role.WRITER);
    long version = file.publish(Map.of("greeting", "hello")).version();

    Health health = new JsonMmapHealthIndicator(file, Status.OUT_OF_SERVICE, false).health();

    assertThat(health.getStatus()).isEqualTo(Status.UP);
    assertThat(health.getDetails())
        .containsEntry("version", version)
        .doesNotContainKeys("file", "error")
        .containsEntry("role", "writer")
        .containsEntry("writerStale", false)
        .containsKeys("publishedAt", "age", "size");
    assertThat(writerDetails(health))
        .containsEntry("self", true)
        .containsEntry("stale", false)
        .containsKeys("heartbeatAge")
        .doesNotContainKeys("id", "info");
  }

  @Test
  void readerOfALiveWriterIsUp() {
    Path path = dir.resolve("app.json");
    try (JsonMmapFile writer = JsonMmapFile.open(path, Role.WRITER)) {
      writer.publish(Map.of("a", 1));
      file = JsonMmapFile.open(path, Role.READER);

      Health health = new JsonMmapHealthIndicator(file, Status.OUT_OF_SERVICE, false).health();

      assertThat(health.getStatus()).isEqualTo(Status.UP);
      assertThat(health.getDetails())
          .containsEntry("role", "reader")
          .containsEntry("writerStale", false);
      assertThat(writerDetails(health)).containsEntry("self", false).containsEntry("stale", false);
    }
  }

  @Test
  void staleWriterGivesTheConfiguredStatusWithWriterStaleDetail() {
    Path path = dir.resolve("app.json");
    createAndClose(path);
    file =
        JsonMmapFile.open(
            JsonMmapOptions.builder(path)
                .role(Role.READER)
                .staleAfter(Duration.ofMillis(50))
                .build());
    await().atMost(DEADLINE).until(file::isWriterStale);

    Health configured = new JsonMmapHealthIndicator(file, Status.OUT_OF_SERVICE, false).health();
    Health byDefault = new JsonMmapHealthIndicator(file, Status.UP, false).health();

    assertThat(configured.getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
    assertThat(configured.getDetails()).containsEntry("writerStale", true);
    assertThat(writerDetails(configured)).containsEntry("stale", true);
    assertThat(byDefault.getStatus()).isEqualTo(Status.UP);
    assertThat(byDefault.getDetails()).containsEntry("writerStale", true);
  }

  @Test
  void missingFileIsDownUnlessOptional() {
    file = openReader(dir.resolve("absent.json"));

    Health required = new JsonMmapHealthIndicator(file, Status.UP, false).health();
    Health optional = new JsonMmapHealthIndicator(file, Status.UP, true).health();

    assertThat(required.getStatus()).isEqualTo(Status.DOWN);
    assertThat(required.getDetails()).containsEntry("reason", "missing");
    assertThat(required.getDetails()).doesNotContainKeys("error", "file");
    assertThat(optional.getStatus()).isEqualTo(Status.UP);
    assertThat(optional.getDetails()).containsEntry("state", "file missing, optional");
  }

  @Test
  void fileWithBadMagicIsDownWithTheReasonOnly() throws IOException {
    Path path = dir.resolve("app.json");
    createAndClose(path);
    writeAt(path, 0, "GARBAGE!".getBytes(StandardCharsets.US_ASCII));
    file = openReader(path);

    Health health = new JsonMmapHealthIndicator(file, Status.UP, true).health();

    assertThat(health.getStatus()).isEqualTo(Status.DOWN);
    assertThat(health.getDetails()).containsEntry("reason", "corrupt");
    assertThat(health.getDetails().toString()).doesNotContain(path.toString(), "GARBAGE");
  }

  @Test
  void checksumMismatchIsDown() throws IOException {
    Path path = dir.resolve("app.json");
    createAndClose(path);
    writeAt(path, currentDocumentOffset(path) + 2, new byte[] {'X'});
    file = openReader(path);

    Health health = new JsonMmapHealthIndicator(file, Status.UP, false).health();

    assertThat(health.getStatus()).isEqualTo(Status.DOWN);
    assertThat(health.getDetails()).containsEntry("reason", "checksum");
  }

  @Test
  void unknownFormatVersionIsDown() throws IOException {
    Path path = dir.resolve("app.json");
    createAndClose(path);
    writeAt(path, MAJOR_VERSION_OFFSET, littleEndianInt(99));
    file = openReader(path);

    Health health = new JsonMmapHealthIndicator(file, Status.UP, false).health();

    assertThat(health.getStatus()).isEqualTo(Status.DOWN);
    assertThat(health.getDetails()).containsEntry("reason", "format-version");
  }

  @Test
  void corruptionNoticedWhileReadingIsDownAndKeepsTheLastGoodVersion() throws IOException {
    Path path = dir.resolve("app.json");
    long version = createAndClose(path);
    file = openReader(path);
    JsonMmapHealthIndicator indicator = new JsonMmapHealthIndicator(file, Status.UP, false);
    assertThat(indicator.health().getStatus()).isEqualTo(Status.UP);

    writeAt(path, 0, "GARBAGE!".getBytes(StandardCharsets.US_ASCII));

    await().atMost(DEADLINE).until(() -> indicator.health().getStatus().equals(Status.DOWN));
    Health health = indicator.health();
    assertThat(health.getDetails())
        .containsEntry("reason", "corrupt")
        .containsEntry("version", version);
  }

  @Test
  void closedFileIsDown() {
    file = JsonMmapFile.open(dir.resolve("app.json"), Role.WRITER);
    file.close();

    Health health = new JsonMmapHealthIndicator(file, Status.UP, false).health();

    assertThat(health.getStatus()).isEqualTo(Status.DOWN);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> writerDetails(Health health) {
    return (Map<String, Object>) health.getDetails().get("writer");
  }

  /** Creates the file with one published version; returns that version. */
  private static long createAndClose(Path path) {
    try (JsonMmapFile writer = JsonMmapFile.open(path, Role.WRITER)) {
      return writer.publish(Map.of("key", "value")).version();
    }
  }

  private static JsonMmapFile openReader(Path path) {
    return JsonMmapFile.open(
        JsonMmapOptions.builder(path)
            .role(Role.READER)
            .requireFile(false)
            .pollInterval(Duration.ofMillis(10))
            .build());
  }

  private static long currentDocumentOffset(Path path) throws IOException {
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      ByteBuffer header = ByteBuffer.allocate(SLOT_0_OFFSET + 2 * SLOT_SIZE);
      header.order(ByteOrder.LITTLE_ENDIAN);
      channel.read(header, 0);
      int slot = (int) (header.getLong(CURRENT_OFFSET) & 1);
      return header.getLong(SLOT_0_OFFSET + slot * SLOT_SIZE + SLOT_DATA_OFFSET);
    }
  }

  private static void writeAt(Path path, long position, byte[] bytes) throws IOException {
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE)) {
      channel.write(ByteBuffer.wrap(bytes), position);
    }
  }

  private static byte[] littleEndianInt(int value) {
    return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array();
  }
}
