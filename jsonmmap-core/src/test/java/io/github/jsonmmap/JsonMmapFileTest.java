package io.github.jsonmmap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

class JsonMmapFileTest {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  @TempDir Path dir;

  private Path file() {
    return dir.resolve("config.json");
  }

  private JsonMmapFile writer() {
    return JsonMmapFile.open(file(), Role.WRITER);
  }

  private JsonMmapFile reader() {
    return JsonMmapFile.open(file(), Role.READER);
  }

  @Test
  void newFileStartsAtVersionOneWithAnEmptyObject() {
    try (JsonMmapFile writer = writer()) {
      Snapshot snapshot = writer.snapshot();
      assertThat(snapshot.version()).isEqualTo(1);
      assertThat(snapshot.json()).isEqualTo("{}");
      assertThat(snapshot.writerId()).isPresent();
    }
  }

  @Test
  void readerSeesWhatTheWriterPublished() {
    try (JsonMmapFile writer = writer();
        JsonMmapFile reader = reader()) {
      writer.publish(Map.of("greeting", Map.of("message", "hello"), "limits", List.of(1, 2)));
      Snapshot seen = reader.refresh();
      assertThat(seen.version()).isEqualTo(2);
      assertThat(seen.get("greeting.message")).isEqualTo("hello");
      assertThat(seen.get("limits[1]")).isEqualTo(2);
      assertThat(seen.get("greeting", Map.class)).contains(Map.of("message", "hello"));
    }
  }

  @Test
  void setRemoveMergeAndUpdateEditTheCurrentDocument() {
    try (JsonMmapFile writer = writer()) {
      writer.set("a.b[0].c", "x");
      assertThat(writer.snapshot().json()).isEqualTo("{\"a\":{\"b\":[{\"c\":\"x\"}]}}");
      writer.set("a.b[1]", 5);
      assertThat(writer.snapshot().flat()).containsEntry("a.b[1]", 5);
      writer.merge(JSON.readTree("{\"a\":null,\"n\":{\"k\":true}}"));
      assertThat(writer.snapshot().json()).isEqualTo("{\"n\":{\"k\":true}}");
      writer.update(tree -> tree.put("z", 1));
      assertThat(writer.snapshot().flat()).containsEntry("z", 1).containsEntry("n.k", true);
      long version = writer.remove("n.k").version();
      assertThat(writer.snapshot().contains("n.k")).isFalse();
      assertThat(writer.remove("no.such.key").version()).isEqualTo(version);
    }
  }

  @Test
  void aNullKeyIsRefusedTheSameWayBeforeAndAfterTheSnapshotIsFlattened() {
    try (JsonMmapFile writer = writer();
        JsonMmapFile reader = reader()) {
      writer.publish(Map.of("a", 1));
      Snapshot fresh = reader.refresh();
      Snapshot flattened = writer.snapshot();
      flattened.flat();
      for (Snapshot s : List.of(fresh, flattened)) {
        assertThatThrownBy(() -> s.get(null))
            .isInstanceOf(NullPointerException.class)
            .hasMessage("key");
        assertThatThrownBy(() -> s.contains(null)).hasMessage("key");
        assertThatThrownBy(() -> s.get(null, Integer.class)).hasMessage("key");
        assertThatThrownBy(() -> s.get("a", null)).hasMessage("type");
        assertThatThrownBy(() -> s.node(null)).hasMessage("key");
        assertThat(s.get("a")).isEqualTo(1);
      }
    }
  }

  @Test
  void jsonTextIsPublishedAsTheDocumentItHolds() {
    try (JsonMmapFile writer = writer();
        JsonMmapFile reader = reader()) {
      // A String or bytes serialised as a value would be a JSON string, never a document: both
      // are read as JSON text, stored compact, every number as written.
      writer.publish("{\n  \"limits\": {\"rps\": 250, \"ratio\": 1.10},\n  \"big\": 1e400\n}\n");
      Snapshot seen = reader.refresh();
      assertThat(seen.json()).isEqualTo("{\"limits\":{\"rps\":250,\"ratio\":1.10},\"big\":1E+400}");
      assertThat(seen.get("limits.rps")).isEqualTo(250);
      assertThat(seen.get("limits.ratio")).isEqualTo(new java.math.BigDecimal("1.10"));

      writer.publish("{\"from\":\"bytes é\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      assertThat(reader.refresh().get("from")).isEqualTo("bytes é");

      writer.merge(new StringBuilder("{\"from\":null,\"added\":[1,2]}"));
      assertThat(reader.refresh().json()).isEqualTo("{\"added\":[1,2]}");
    }
  }

  @Test
  void anInitialDocumentMayBeJsonText() {
    try (JsonMmapFile writer =
        JsonMmapFile.open(
            JsonMmapOptions.builder(file())
                .role(Role.WRITER)
                .initialDocument("{ \"app\": \"orders\", \"limits\": { \"rps\": 10 } }")
                .build())) {
      assertThat(writer.snapshot().version()).isEqualTo(1);
      assertThat(writer.snapshot().json())
          .isEqualTo("{\"app\":\"orders\",\"limits\":{\"rps\":10}}");
    }
  }

  @Test
  void badJsonTextIsRefusedNamingTheFileAndNothingIsWritten() {
    try (JsonMmapFile writer = writer()) {
      writer.publish("{\"good\":true}");
      Snapshot good = writer.snapshot();
      String path = file().toString();
      for (Object bad :
          List.of(
              "{\"a\":1",
              "{\"a\":1,\"a\":2}",
              "[1,2]",
              "\"just a string\"",
              "{\"a\":1} trailing",
              "",
              new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, '"', '}'})) {
        assertThatThrownBy(() -> writer.publish(bad))
            .isInstanceOf(InvalidDocumentException.class)
            .hasMessageContaining(path);
        assertThatThrownBy(() -> writer.merge(bad)).isInstanceOf(InvalidDocumentException.class);
      }
      assertThatThrownBy(
              () -> writer.publish("{\"deep\":" + "[".repeat(600) + "]".repeat(600) + "}"))
          .isInstanceOf(InvalidDocumentException.class)
          .hasMessageContaining(path);
      assertThat(writer.snapshot()).isSameAs(good);
      assertThat(writer.refresh().version()).isEqualTo(good.version());
    }
  }

  @Test
  void jsonTextLongerThanTheMaximumIsRefused() {
    try (JsonMmapFile writer =
        JsonMmapFile.open(
            JsonMmapOptions.builder(file()).role(Role.WRITER).maxSize(64 * 1024).build())) {
      long version = writer.snapshot().version();
      String text = "{\"pad\":\"" + "x".repeat(128 * 1024) + "\"}";
      assertThatThrownBy(() -> writer.publish(text))
          .isInstanceOf(JsonMmapException.class)
          .hasMessageContaining(file().toString());
      assertThat(writer.snapshot().version()).isEqualTo(version);
    }
  }

  @Test
  void mergePatchFollowsRfc7386() throws Exception {
    ObjectNode target =
        (ObjectNode) JSON.readTree("{\"a\":\"b\",\"c\":{\"d\":\"e\",\"f\":\"g\"},\"l\":[1,2]}");
    var result =
        Documents.mergePatch(target, JSON.readTree("{\"a\":\"z\",\"c\":{\"f\":null},\"l\":[3]}"));
    assertThat(result.toString()).isEqualTo("{\"a\":\"z\",\"c\":{\"d\":\"e\"},\"l\":[3]}");
    assertThat(target.toString()).contains("\"f\":\"g\"");
  }

  @Test
  void listenerGetsOldNewAndChangedKeys() {
    try (JsonMmapFile writer = writer();
        JsonMmapFile reader = reader()) {
      writer.publish(Map.of("keep", 1, "change", "a", "drop", true));
      reader.refresh();
      List<Change> seen = new CopyOnWriteArrayList<>();
      reader.addListener(seen::add);
      writer.publish(Map.of("keep", 1, "change", "b", "add", List.of("x")));
      await().atMost(Duration.ofSeconds(30)).until(() -> !seen.isEmpty());
      Change change = seen.get(0);
      assertThat(change.previous().version()).isEqualTo(2);
      assertThat(change.current().version()).isEqualTo(3);
      assertThat(change.keys().added()).containsExactly("add[0]");
      assertThat(change.keys().removed()).containsExactly("drop");
      assertThat(change.keys().changed()).containsExactly("change");
    }
  }

  @Test
  void previousVersionIsTheRollbackTarget() {
    try (JsonMmapFile writer = writer()) {
      writer.set("v", "one");
      writer.set("v", "two");
      assertThat(writer.previous()).get().extracting(s -> s.get("v")).isEqualTo("one");
      Snapshot rolledBack = writer.rollback();
      assertThat(rolledBack.get("v")).isEqualTo("one");
      assertThat(rolledBack.version()).isEqualTo(4);
    }
  }

  @Test
  void secondWriterFailsFastNamingTheFileAndTheHolder() {
    try (JsonMmapFile first = writer()) {
      assertThatThrownBy(this::writer)
          .isInstanceOf(WriterLockedException.class)
          .hasMessageContaining("another process holds the writer lock")
          .hasMessageContaining("path=" + file())
          .hasMessageContaining("holder=\"pid=" + ProcessHandle.current().pid());
      assertThat(first.isWriter()).isTrue();
    }
  }

  @Test
  void readerCannotWrite() {
    try (JsonMmapFile writer = writer();
        JsonMmapFile reader = reader()) {
      assertThatThrownBy(() -> reader.set("a", 1))
          .isInstanceOf(NotWriterException.class)
          .hasMessageContaining("path=" + file());
    }
  }

  @Test
  void newFileGetsConfiguredPermissionsNeverWorldWritable() throws Exception {
    try (JsonMmapFile writer = writer()) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file())))
          .isEqualTo("rw-r-----");
    }
    Path other = dir.resolve("shared.json");
    try (JsonMmapFile writer =
        JsonMmapFile.open(
            JsonMmapOptions.builder(other)
                .role(Role.WRITER)
                .strictModes(false)
                .permissions("rw-rw-r--")
                .build())) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(other)))
          .isEqualTo("rw-rw-r--");
    }
  }

  @Test
  void fileGrowsInPlaceAndReadersRemapWithoutNoticing() throws Exception {
    JsonMmapOptions options =
        JsonMmapOptions.builder(file()).role(Role.WRITER).initialCapacity(4096).build();
    try (JsonMmapFile writer = JsonMmapFile.open(options);
        JsonMmapFile reader = reader()) {
      Object inode = Files.readAttributes(file(), BasicFileAttributes.class).fileKey();
      long size = Files.size(file());
      long generation = writer.info().generation();
      for (int length : new int[] {1_000, 10_000, 100_000, 1_000_000, 3_000_000, 100}) {
        Snapshot published = writer.publish(Map.of("pad", "x".repeat(length)));
        Snapshot seen = reader.refresh();
        assertThat(seen.version()).isEqualTo(published.version());
        assertThat(seen.get("pad")).isEqualTo("x".repeat(length));
        long newSize = Files.size(file());
        assertThat(newSize).as("never shrinks").isGreaterThanOrEqualTo(size);
        assertThat(writer.info().generation()).isGreaterThanOrEqualTo(generation);
        size = newSize;
        generation = writer.info().generation();
      }
      assertThat(generation).as("grew several times").isGreaterThanOrEqualTo(3);
      assertThat(Files.readAttributes(file(), BasicFileAttributes.class).fileKey())
          .as("same file, never replaced")
          .isEqualTo(inode);
      assertThat(reader.readFailures()).isEmpty();
    }
  }

  @Test
  void documentOverTheMaximumIsRefusedAndNothingChanges() {
    JsonMmapOptions options =
        JsonMmapOptions.builder(file()).role(Role.WRITER).maxSize(64 * 1024).build();
    try (JsonMmapFile writer = JsonMmapFile.open(options);
        JsonMmapFile reader = reader()) {
      writer.set("small", "ok");
      long sizeBefore = file().toFile().length();
      assertThatThrownBy(() -> writer.set("big", "y".repeat(40 * 1024)))
          .isInstanceOf(DocumentTooLargeException.class)
          .hasMessageContaining("document too large")
          .hasMessageContaining("path=" + file())
          .hasMessageContaining("limit=");
      assertThat(writer.snapshot().version()).isEqualTo(2);
      assertThat(reader.refresh().version()).isEqualTo(2);
      assertThat(reader.snapshot().get("small")).isEqualTo("ok");
      assertThat(file().toFile().length()).isEqualTo(sizeBefore);
    }
  }

  @Test
  void versionsStayMonotonicAcrossWriterRestarts() {
    try (JsonMmapFile writer = writer()) {
      writer.set("a", 1);
      writer.set("a", 2);
    }
    try (JsonMmapFile writer = writer()) {
      assertThat(writer.snapshot().version()).isEqualTo(3);
      assertThat(writer.snapshot().get("a")).isEqualTo(2);
      assertThat(writer.set("a", 3).version()).isEqualTo(4);
      assertThat(writer.previous()).get().extracting(Snapshot::version).isEqualTo(3L);
    }
  }

  @Test
  void standbyInTheSameJvmTakesOverWhenTheWriterCloses() {
    JsonMmapOptions auto =
        JsonMmapOptions.builder(file())
            .role(Role.AUTO)
            .heartbeatInterval(Duration.ofMillis(50))
            .build();
    JsonMmapFile writer = writer();
    try (JsonMmapFile standby = JsonMmapFile.open(auto)) {
      writer.set("by", "first");
      assertThat(standby.isWriter()).isFalse();
      assertThatThrownBy(() -> standby.set("x", 1)).isInstanceOf(NotWriterException.class);
      writer.close();
      await().atMost(Duration.ofSeconds(30)).until(standby::isWriter);
      assertThat(standby.snapshot().get("by")).isEqualTo("first");
      assertThat(standby.set("by", "second").version()).isEqualTo(3);
    } finally {
      writer.close();
    }
  }

  @Test
  void closeIsIdempotentAndGuardsEveryEntryPoint() {
    JsonMmapFile writer = writer();
    writer.close();
    writer.close();
    assertThatThrownBy(writer::snapshot)
        .isInstanceOf(JsonMmapException.class)
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> writer.set("a", 1)).isInstanceOf(JsonMmapException.class);
    try (JsonMmapFile again = writer()) {
      assertThat(again.isWriter()).as("the lock was released").isTrue();
    }
  }

  @Test
  void everyDocumentUpToTheAdvertisedLimitFitsWhateverCameBefore() {
    JsonMmapOptions options =
        JsonMmapOptions.builder(file())
            .role(Role.WRITER)
            .maxSize(24576)
            .initialCapacity(4096)
            .build();
    long limit = options.maxDocumentSize();
    try (JsonMmapFile writer = JsonMmapFile.open(options)) {
      // {"p":"…"} is 8 bytes plus the pad; sizes just under the limit, unaligned, in every order.
      for (long size :
          new long[] {limit - 16, limit - 1, limit - 1, limit, 100, limit, limit - 7, limit}) {
        Snapshot s = writer.publish(Map.of("p", "x".repeat((int) size - 8)));
        assertThat(s.size()).isEqualTo((int) size);
      }
    }
  }

  @Test
  void validatorSeesTheExactDocumentAndARejectionWritesNothing() {
    try (JsonMmapFile writer = writer();
        JsonMmapFile reader = reader()) {
      writer.setValidator(
          tree -> {
            if (tree.path("port").asInt(0) > 65535) {
              throw new IllegalArgumentException("port out of range: " + tree.get("port"));
            }
          });
      writer.set("port", 8080);
      assertThatThrownBy(() -> writer.merge(Map.of("port", 70000)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("70000");
      assertThat(writer.snapshot().version()).isEqualTo(2);
      assertThat(reader.refresh().get("port")).isEqualTo(8080);
      assertThat(ChangedKeys.between(writer.previous().orElseThrow(), writer.snapshot()).added())
          .containsExactly("port");
    }
  }

  @Test
  void pollingReaderIgnoresEventsEvenWhenAnotherHandleWatchesTheDirectory() {
    try (JsonMmapFile writer = writer();
        JsonMmapFile events = reader();
        JsonMmapFile polling =
            JsonMmapFile.open(
                JsonMmapOptions.builder(file())
                    .watchMode(WatchMode.POLL)
                    .pollInterval(Duration.ofMinutes(1))
                    .build())) {
      long version = writer.set("k", "v").version();
      await().atMost(Duration.ofSeconds(30)).until(() -> events.snapshot().version() == version);
      await()
          .during(Duration.ofMillis(300))
          .atMost(Duration.ofSeconds(30))
          .until(() -> polling.snapshot().version() == version - 1);
      assertThat(polling.refresh().version()).isEqualTo(version);
    }
  }
}
