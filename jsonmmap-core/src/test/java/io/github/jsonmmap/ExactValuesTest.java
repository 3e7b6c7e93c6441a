package io.github.jsonmmap;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

/**
 * Numbers keep the exact value written, through a reader, a writer adopting the file and a {@code
 * set} of an unrelated key; values no reader could take in unchanged are refused before anything is
 * written, naming the key and never the value.
 */
class ExactValuesTest {

  private static final String EXACT =
      "{\"big\":1e400,\"tiny\":1e-400,\"long\":0.30000000000000000001,\"tenth\":0.1,"
          + "\"zeros\":1.10,\"huge\":12345678901234567890123,\"int\":7,\"wide\":5000000000}";

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

  private static void assertExact(Snapshot s) {
    assertThat(s.get("big")).isEqualTo(new BigDecimal("1e400"));
    assertThat(s.get("tiny")).isEqualTo(new BigDecimal("1e-400"));
    assertThat(s.get("long")).isEqualTo(new BigDecimal("0.30000000000000000001"));
    assertThat(s.get("tenth")).isEqualTo(new BigDecimal("0.1"));
    assertThat(s.get("zeros")).isEqualTo(new BigDecimal("1.10"));
    assertThat(s.get("huge")).isEqualTo(new BigInteger("12345678901234567890123"));
    assertThat(s.get("int")).isEqualTo(7);
    assertThat(s.get("wide")).isEqualTo(5_000_000_000L);
    assertThat(s.get("big", BigDecimal.class)).contains(new BigDecimal("1e400"));
    assertThat(s.as(Map.class).get("long")).isEqualTo(new BigDecimal("0.30000000000000000001"));
    assertThat(s.json())
        .doesNotContain("Infinity")
        .containsIgnoringCase("\"big\":1e")
        .contains("\"long\":0.30000000000000000001");
  }

  private static JsonNode tree(String json) throws Exception {
    return Documents.defaultMapper().readTree(json);
  }

  @Test
  void exactNumbersRoundTripThroughPublishAndRead() throws Exception {
    try (JsonMmapFile writer = writer();
        JsonMmapFile reader = reader()) {
      Snapshot published = writer.publish(tree(EXACT));
      assertExact(published);

      Snapshot seen = reader.refresh();
      assertThat(seen.version()).isEqualTo(published.version());
      assertExact(seen);
    }
  }

  @Test
  void settingAnUnrelatedKeyLeavesExactNumbersPlantedByAnotherWriterExactlyAsTheyWere() {
    try (JsonMmapFile writer = writer()) {
      writer.publish(Map.of("k", "v"));
    }
    byte[] planted = EXACT.getBytes(UTF_8);
    FileSurgery.commitNextVersion(file(), planted, FileSurgery.crc32(planted));
    try (JsonMmapFile writer = writer();
        JsonMmapFile reader = reader()) {
      assertExact(writer.snapshot());
      writer.set("other", 1);
      writer.merge(Map.of("more", Map.of("x", true)));
      writer.remove("more");

      Snapshot seen = reader.refresh();
      assertThat(seen.get("other")).isEqualTo(1);
      assertExact(seen);
    }
  }

  @Test
  void aWriterAndItsReadersSeeTheSameNumberTypes() {
    try (JsonMmapFile writer = writer();
        JsonMmapFile reader = reader()) {
      Snapshot written =
          writer.publish(
              Map.of(
                  "d",
                  0.1,
                  "f",
                  2.5f,
                  "l",
                  5L,
                  "b",
                  BigInteger.TEN,
                  "dec",
                  new BigDecimal("1.50"),
                  "list",
                  List.of(1e-7, 3)));
      Snapshot seen = reader.refresh();
      assertThat(written.flat()).isEqualTo(seen.flat());
      assertThat(seen.get("d")).isEqualTo(new BigDecimal("0.1"));
      assertThat(seen.get("f")).isEqualTo(new BigDecimal("2.5"));
      assertThat(seen.get("l")).isEqualTo(5);
      assertThat(seen.get("b")).isEqualTo(10);
      assertThat(seen.get("dec")).isEqualTo(new BigDecimal("1.50"));
      assertThat(seen.get("list[0]")).isEqualTo(new BigDecimal("1.0E-7"));
      assertThat(ChangedKeys.between(written, seen).isEmpty()).isTrue();
    }
  }

  private void assertRefused(JsonMmapFile writer, Runnable write, String key, String problem) {
    long version = writer.snapshot().version();
    InvalidDocumentException e = catchThrowableOfType(InvalidDocumentException.class, write::run);
    assertThat(e).as("refusal").isNotNull();
    assertThat(e.getMessage())
        .contains("path=" + file())
        .contains(" key=" + key + " ")
        .contains("problem=" + problem)
        .doesNotContain("NaN")
        .doesNotContain("Infinity")
        .doesNotContain("hunter2");
    assertThat(writer.snapshot().version()).isEqualTo(version);
    assertThat(FileSurgery.currentVersion(file())).isEqualTo(version);
  }

  @Test
  void nonFiniteNumbersAreRefusedNamingTheKeyAndNothingIsWritten() {
    try (JsonMmapFile writer = writer()) {
      writer.publish(Map.of("keep", 1));
      assertRefused(
          writer,
          () -> writer.publish(Map.of("a", Map.of("b", Double.NaN))),
          "a.b",
          "non-finite-number");
      assertRefused(
          writer,
          () -> writer.set("x.y[0]", Float.POSITIVE_INFINITY),
          "x.y[0]",
          "non-finite-number");
      assertRefused(
          writer,
          () -> writer.merge(Map.of("m", List.of(1.0, Double.NEGATIVE_INFINITY))),
          "m[1]",
          "non-finite-number");
      assertRefused(
          writer,
          () ->
              writer.update(
                  tree -> {
                    tree.putObject("u").put("v", Double.NaN);
                    return tree;
                  }),
          "u.v",
          "non-finite-number");
      assertThat(writer.snapshot().get("keep")).isEqualTo(1);
    }
  }

  @Test
  void stringsWithLoneSurrogatesAreRefusedNamingTheKey() {
    try (JsonMmapFile writer = writer()) {
      assertRefused(
          writer,
          () -> writer.publish(Map.of("s", List.of("ok", "hunter2\uD800"))),
          "s[1]",
          "lone-surrogate-in-string");
      assertRefused(
          writer,
          () -> writer.publish(Map.of("n", Map.of("\uDC00k", 1))),
          "n.\uDC00k",
          "lone-surrogate-in-name");
      Snapshot ok = writer.publish(Map.of("pair", "\uD83D\uDE00"));
      assertThat(ok.get("pair")).isEqualTo("\uD83D\uDE00");
      assertThat(StrictUtf8.check(ok.bytes())).isEqualTo(-1);
    }
  }

  @Test
  void numbersAReaderWouldRefuseAreRefusedByTheWriter() {
    try (JsonMmapFile writer = writer()) {
      assertRefused(
          writer, () -> writer.set("n", BigInteger.TEN.pow(1500)), "n", "number-too-long");
      assertRefused(
          writer, () -> writer.set("e", new BigDecimal("1e100001")), "e", "exponent-out-of-range");
      assertThat(writer.set("e", new BigDecimal("1e100000")).get("e"))
          .isEqualTo(new BigDecimal("1e100000"));
    }
  }

  @Test
  void aReaderRefusesADecimalExponentBeyondTheBoundAndKeepsTheLastGoodVersion() {
    try (JsonMmapFile writer = writer();
        JsonMmapFile reader = reader()) {
      writer.publish(Map.of("v", "good"));
      assertThat(reader.refresh().version()).isEqualTo(2);
      byte[] planted = "{\"v\":1e999999}".getBytes(UTF_8);
      FileSurgery.commitNextVersion(file(), planted, FileSurgery.crc32(planted));

      Snapshot seen = reader.refresh();
      assertThat(seen.version()).isEqualTo(2);
      assertThat(seen.get("v")).isEqualTo("good");
      assertThat(reader.lastError()).get().isInstanceOf(InvalidDocumentException.class);
      assertThat(reader.lastError().orElseThrow().getMessage())
          .contains("key=v")
          .contains("exponent-out-of-range");
    }
  }

  /**
   * An exponent past what a BigDecimal can hold ({@code 1e99999999999}): Jackson reports it as a
   * NumberFormatException, not as a parse error; it is an invalid document naming the file all the
   * same, on either side.
   */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "1e99999999999",
        "-19333472243411276621E9179998028",
        "4.9E482562155635705720",
        "1e-99999999999"
      })
  void anExponentPastWhatADecimalHoldsIsAnInvalidDocumentOnEitherSide(String number) {
    try (JsonMmapFile writer = writer();
        JsonMmapFile reader = reader()) {
      writer.publish(Map.of("v", "good"));
      assertThat(reader.refresh().version()).isEqualTo(2);

      InvalidDocumentException refused =
          org.junit.jupiter.api.Assertions.assertThrows(
              InvalidDocumentException.class, () -> writer.publish("{\"v\":" + number + "}"));
      assertThat(refused.getMessage()).contains(file().toString()).contains("out of range");

      byte[] planted = ("{\"v\":[1," + number + "]}").getBytes(UTF_8);
      FileSurgery.commitNextVersion(file(), planted, FileSurgery.crc32(planted));
      Snapshot seen = reader.refresh();
      assertThat(seen.get("v")).isEqualTo("good");
      assertThat(reader.lastError()).get().isInstanceOf(InvalidDocumentException.class);
      assertThat(reader.lastError().orElseThrow().getMessage())
          .contains(file().toString())
          .contains("key=v[1]")
          .contains("exponent-out-of-range");
    }
  }
}
