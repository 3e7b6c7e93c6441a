package io.github.jsonmmap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An events-mode reader that hears inotify polls only as a safety net ({@code eventsPollInterval},
 * an hour here, so nothing below can come from it): every change other than the writer's timestamp
 * bump gets the poll's full look at once from its event, and a read that failed is retried at the
 * short {@code pollInterval} until it succeeds, though no event announces the repair.
 */
class EventsPollTest {

  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dir;

  @BeforeEach
  void inotify() {
    Assumptions.assumeTrue(
        Watcher.instance().mechanism().equals("inotify"),
        "the safety net stretches only where inotify is read directly");
  }

  private Path file() {
    return dir.resolve("config.json");
  }

  private JsonMmapFile reader(Duration pollInterval) {
    return JsonMmapFile.open(
        JsonMmapOptions.builder(file())
            .role(Role.READER)
            .watchMode(WatchMode.EVENTS)
            .pollInterval(pollInterval)
            .eventsPollInterval(Duration.ofHours(1))
            .build());
  }

  private void publish(Map<String, ?> document) {
    try (JsonMmapFile writer = JsonMmapFile.open(file(), Role.WRITER)) {
      writer.publish(document);
    }
  }

  @Test
  void theSafetyNetHasADefaultAndEveryIntervalMustBePositiveAndCountableInNanoseconds() {
    assertThat(JsonMmapOptions.builder(file()).build().eventsPollInterval())
        .isEqualTo(JsonMmapOptions.DEFAULT_EVENTS_POLL_INTERVAL);
    org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
        .isThrownBy(() -> JsonMmapOptions.builder(file()).eventsPollInterval(Duration.ZERO).build())
        .withMessageContaining("eventsPollInterval");
    // Longer would overflow in nanoseconds on the watcher thread, for every file of the JVM.
    for (String option :
        new String[] {
          "pollInterval", "eventsPollInterval", "heartbeatInterval", "staleAfter", "readTimeout"
        }) {
      JsonMmapOptions.Builder builder = JsonMmapOptions.builder(file());
      Duration tooLong = Duration.ofSeconds(Long.MAX_VALUE);
      switch (option) {
        case "pollInterval" -> builder.pollInterval(tooLong);
        case "eventsPollInterval" -> builder.eventsPollInterval(tooLong);
        case "heartbeatInterval" -> builder.heartbeatInterval(tooLong);
        case "staleAfter" -> builder.staleAfter(tooLong);
        default -> builder.readTimeout(tooLong);
      }
      org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
          .isThrownBy(builder::build)
          .withMessageContaining(option + " must be at most");
    }
    assertThat(
            JsonMmapOptions.builder(file())
                .eventsPollInterval(JsonMmapOptions.MAX_DURATION)
                .build()
                .eventsPollInterval())
        .isEqualTo(JsonMmapOptions.MAX_DURATION);
  }

  @Test
  void aSlotRewrittenInPlaceWithAWriteIsFoundAtOnce() {
    publish(Map.of("who", "a"));
    try (JsonMmapFile reader = reader(Duration.ofHours(1))) {
      long version = reader.snapshot().version();
      byte[] document = "{\"who\":\"b\"}".getBytes(StandardCharsets.UTF_8);
      // The current slot written again under the same version, through write(2).
      FileSurgery.commit(
          file(), FileSurgery.currentSlot(file()), version, document, FileSurgery.crc32(document));

      await()
          .atMost(WAIT)
          .untilAsserted(() -> assertThat(reader.snapshot().get("who")).isEqualTo("b"));
      assertThat(reader.lastError()).map(JsonMmapException::reason).contains("diverged");
      assertThat(reader.snapshot().version()).isEqualTo(version);
    }
  }

  @Test
  void aDeletedFileIsReportedAtOnceAndTheLastGoodVersionStaysServed() throws Exception {
    publish(Map.of("who", "a"));
    try (JsonMmapFile reader = reader(Duration.ofHours(1))) {
      Files.delete(file());
      await()
          .atMost(WAIT)
          .untilAsserted(
              () ->
                  assertThat(reader.lastError())
                      .get()
                      .isInstanceOf(FileMissingException.class)
                      .extracting(Throwable::getMessage)
                      .asString()
                      .contains(file().toString()));
      assertThat(reader.snapshot().get("who")).isEqualTo("a");

      publish(Map.of("who", "again"));
      await()
          .atMost(WAIT)
          .untilAsserted(() -> assertThat(reader.snapshot().get("who")).isEqualTo("again"));
      assertThat(reader.lastError()).isEmpty();
    }
  }

  @Test
  void aFailedReadIsRetriedAtThePollIntervalThoughNoEventAnnouncesTheRepair() {
    publish(Map.of("who", "a"));
    try (JsonMmapFile reader = reader(Duration.ofMillis(20))) {
      byte[] document = "{\"who\":\"b\"}".getBytes(StandardCharsets.UTF_8);
      int good = FileSurgery.crc32(document);
      long version = FileSurgery.commitNextVersion(file(), document, good ^ 1);
      await()
          .atMost(WAIT)
          .untilAsserted(
              () ->
                  assertThat(reader.lastError())
                      .get()
                      .isInstanceOf(ChecksumMismatchException.class));
      assertThat(reader.snapshot().get("who")).isEqualTo("a");

      // The right checksum, stored through a mapping: no event, only the short poll can see it.
      int slot = FileSurgery.currentSlot(file());
      FileSurgery.putIntThroughMapping(
          file(), FileSurgery.slotField(slot, FileLayout.SLOT_CHECKSUM_OFFSET), good);
      await()
          .atMost(WAIT)
          .untilAsserted(() -> assertThat(reader.snapshot().version()).isEqualTo(version));
      assertThat(reader.snapshot().get("who")).isEqualTo("b");
      assertThat(reader.lastError()).isEmpty();
    }
  }
}
