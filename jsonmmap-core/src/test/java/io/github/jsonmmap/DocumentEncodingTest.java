package io.github.jsonmmap;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * FORMAT.md's encoding rules, enforced on raw bytes committed by a test writer exactly as the
 * Python reference reader enforces them (strict UTF-8, no byte order mark, so no UTF-16/32 text),
 * and errors that say what and where without quoting the document.
 */
class DocumentEncodingTest {

  private static final String SECRET = "hunter2";

  @TempDir Path dir;

  private Path file() {
    return dir.resolve("config.json");
  }

  private static byte[] bytes(Object... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Object part : parts) {
      if (part instanceof String s) {
        out.writeBytes(s.getBytes(UTF_8));
      } else {
        for (int b : (int[]) part) {
          out.write(b);
        }
      }
    }
    return out.toByteArray();
  }

  private static int[] raw(int... bytes) {
    return bytes;
  }

  static Stream<Arguments> invalidEncodings() {
    return Stream.of(
        Arguments.of("overlong slash C0 AF", bytes("{\"k\":\"", raw(0xC0, 0xAF), "\"}"), 6),
        Arguments.of(
            "overlong 3-byte E0 80 AF", bytes("{\"k\":\"", raw(0xE0, 0x80, 0xAF), "\"}"), 6),
        Arguments.of(
            "overlong 4-byte F0 80 80 AF",
            bytes("{\"k\":\"", raw(0xF0, 0x80, 0x80, 0xAF), "\"}"),
            6),
        Arguments.of("surrogate ED A0 80", bytes("{\"k\":\"", raw(0xED, 0xA0, 0x80), "\"}"), 6),
        Arguments.of("surrogate ED BF BF", bytes("{\"k\":\"", raw(0xED, 0xBF, 0xBF), "\"}"), 6),
        Arguments.of(
            "above U+10FFFF F4 90 80 80",
            bytes("{\"k\":\"", raw(0xF4, 0x90, 0x80, 0x80), "\"}"),
            6),
        Arguments.of(
            "above U+10FFFF F5 80 80 80",
            bytes("{\"k\":\"", raw(0xF5, 0x80, 0x80, 0x80), "\"}"),
            6),
        Arguments.of("truncated at the end", bytes("{\"k\":1}", raw(0xE2, 0x82)), 7),
        Arguments.of("truncated before a quote", bytes("{\"k\":\"", raw(0xE2, 0x82), "\"}"), 6),
        Arguments.of("lone continuation byte", bytes("{\"k\":\"", raw(0x80), "\"}"), 6),
        Arguments.of("FF byte", bytes("{\"k\":\"", raw(0xFF), "\"}"), 6),
        Arguments.of("invalid in a name", bytes("{\"", raw(0xC3, 0x28), "\":1}"), 2),
        Arguments.of("UTF-8 byte order mark", bytes(raw(0xEF, 0xBB, 0xBF), "{\"k\":1}"), 0),
        Arguments.of(
            "UTF-16LE text", "{\"k\":1}".getBytes(java.nio.charset.StandardCharsets.UTF_16LE), 1),
        Arguments.of(
            "UTF-16BE text", "{\"k\":1}".getBytes(java.nio.charset.StandardCharsets.UTF_16BE), 0),
        Arguments.of(
            "UTF-16 with BOM", "{\"k\":1}".getBytes(java.nio.charset.StandardCharsets.UTF_16), 0),
        Arguments.of("UTF-32BE text", bytes(raw(0, 0, 0, '{', 0, 0, 0, '}')), 0),
        Arguments.of("raw control character", bytes("{\"k\":\"a", raw(0x01), "\"}"), 7));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidEncodings")
  void runningReaderRefusesInvalidEncodingAndKeepsItsLastGoodVersion(
      String name, byte[] planted, int offset) {
    try (JsonMmapFile writer = JsonMmapFile.open(file(), Role.WRITER);
        JsonMmapFile reader = JsonMmapFile.open(file(), Role.READER)) {
      writer.publish(Map.of("k", "good"));
      assertThat(reader.refresh().version()).isEqualTo(2);

      long bad = FileSurgery.commitNextVersion(file(), planted, FileSurgery.crc32(planted));

      Snapshot seen = reader.refresh();
      assertThat(seen.version()).isEqualTo(2);
      assertThat(seen.get("k")).isEqualTo("good");
      JsonMmapException e = reader.lastError().orElseThrow();
      assertThat(e).isInstanceOf(InvalidDocumentException.class);
      assertThat(e.getMessage())
          .contains("path=" + file())
          .contains("not valid JSON")
          .contains("size=" + planted.length)
          .contains("error=encoding")
          .contains("offset=" + offset);
      assertThat(bad).isEqualTo(3);
    }
    InvalidDocumentException opened =
        catchThrowableOfType(
            InvalidDocumentException.class, () -> JsonMmapFile.open(file(), Role.READER).close());
    assertThat(opened).as("a fresh reader refuses it too").isNotNull();
  }

  @Test
  void writerAdoptingAFileWithInvalidEncodingRefusesItAndLeavesItUnchanged() {
    try (JsonMmapFile writer = JsonMmapFile.open(file(), Role.WRITER)) {
      writer.publish(Map.of("k", "good"));
    }
    byte[] planted = bytes("{\"k\":\"", raw(0xC0, 0xAF), "\"}");
    FileSurgery.commitNextVersion(file(), planted, FileSurgery.crc32(planted));
    byte[] before = FileSurgery.bytes(file());

    Throwable e = catchThrowable(() -> JsonMmapFile.open(file(), Role.WRITER).close());

    assertThat(e).isInstanceOf(InvalidDocumentException.class);
    assertThat(e.getMessage()).contains("problem=overlong-encoding");
    assertThat(FileSurgery.bytes(file())).isEqualTo(before);
  }

  @Test
  void theLargestCodePointsAndEscapedSurrogatesAreAcceptedAsThePythonReaderAcceptsThem() {
    try (JsonMmapFile writer = JsonMmapFile.open(file(), Role.WRITER);
        JsonMmapFile reader = JsonMmapFile.open(file(), Role.READER)) {
      byte[] planted =
          bytes(
              "{\"",
              raw(0xC3, 0xA9),
              "\":\"",
              raw(0xC2, 0x80, 0xED, 0x9F, 0xBF, 0xEE, 0x80, 0x80, 0xEF, 0xBF, 0xBF),
              raw(0xF4, 0x8F, 0xBF, 0xBF),
              "\",\"esc\":\"\\ud800\",\"tab\":\"a\\tb\"}\n\t\r ");
      FileSurgery.commitNextVersion(file(), planted, FileSurgery.crc32(planted));

      Snapshot seen = reader.refresh();

      assertThat(reader.lastError()).isEmpty();
      assertThat(seen.get("\u00e9")).isEqualTo("\u0080\uD7FF\uE000\uFFFF\uDBFF\uDFFF");
      assertThat(seen.get("esc")).isEqualTo("\uD800");
      assertThat(writer.isWriter()).isTrue();
    }
  }

  /** The Java platform's UTF-8 decoder is strict: it must agree with the checker on any bytes. */
  @Test
  void checkerAgreesWithAStrictDecoderOnRandomBytes() throws Exception {
    Random random = new Random(42);
    var decoder =
        UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    int valid = 0;
    for (int round = 0; round < 200_000; round++) {
      byte[] b = new byte[1 + random.nextInt(12)];
      for (int i = 0; i < b.length; i++) {
        int pick = random.nextInt(4);
        b[i] =
            (byte)
                (pick == 0
                    ? 0x20 + random.nextInt(0x5F)
                    : pick == 1 ? 0x80 + random.nextInt(0x40) : 0xC0 + random.nextInt(0x40));
      }
      boolean strict;
      try {
        decoder.decode(ByteBuffer.wrap(b));
        strict = true;
      } catch (CharacterCodingException e) {
        strict = false;
      }
      boolean bom =
          b.length >= 3 && (b[0] & 0xFF) == 0xEF && (b[1] & 0xFF) == 0xBB && (b[2] & 0xFF) == 0xBF;
      assertThat(StrictUtf8.check(b) < 0)
          .as("bytes %s", java.util.HexFormat.of().formatHex(b))
          .isEqualTo(strict && !bom);
      valid += strict ? 1 : 0;
    }
    assertThat(valid).as("valid samples").isGreaterThan(1000);
  }

  @Test
  void longAsciiRunsAndControlCharactersAnywhereInAWordAreFound() {
    for (int at = 0; at < 40; at++) {
      byte[] b = "x".repeat(40).getBytes(UTF_8);
      b[at] = 0x1F;
      assertThat(StrictUtf8.offset(StrictUtf8.check(b))).isEqualTo(at);
      assertThat(StrictUtf8.problem(StrictUtf8.check(b)))
          .isEqualTo(StrictUtf8.Problem.CONTROL_CHARACTER);
      b[at] = '\n';
      assertThat(StrictUtf8.check(b)).isEqualTo(-1);
      b[at] = (byte) 0xC0;
      assertThat(StrictUtf8.offset(StrictUtf8.check(b))).isEqualTo(at);
    }
  }

  // ---------------------------------------------------------------- errors never quote content

  static Stream<Arguments> secretDocuments() {
    return Stream.of(
        Arguments.of("bare token", "{\"password\":" + SECRET + "}"),
        Arguments.of("token after a string", "{\"password\":\"x\" " + SECRET + "}"),
        Arguments.of("duplicate key", "{\"" + SECRET + "\":1,\"" + SECRET + "\":2}"),
        Arguments.of("bad number", "{\"a\":-" + SECRET + "}"),
        Arguments.of("bad escape", "{\"a\":\"\\" + SECRET + "\"}"),
        Arguments.of("unclosed", "{\"a\":\"" + SECRET),
        Arguments.of("trailing token", "{\"a\":1}" + SECRET),
        Arguments.of("single quotes", "{'" + SECRET + "':1}"),
        Arguments.of("unquoted name", "{" + SECRET + ":1}"),
        Arguments.of("number too long", "{\"a\":" + "7".repeat(1500) + "}"));
  }

  private static void assertNoContent(Throwable e, String secret) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      assertThat(String.valueOf(t.getMessage())).doesNotContain(secret);
      assertThat(t.toString()).doesNotContain(secret);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("secretDocuments")
  void parseErrorsSayWhatAndWhereButNeverQuoteTheDocument(String name, String document) {
    try (JsonMmapFile writer = JsonMmapFile.open(file(), Role.WRITER);
        JsonMmapFile reader = JsonMmapFile.open(file(), Role.READER)) {
      writer.publish(Map.of("k", "v"));
      assertThat(reader.refresh().version()).isEqualTo(2);
      byte[] planted = document.getBytes(UTF_8);
      FileSurgery.commitNextVersion(file(), planted, FileSurgery.crc32(planted));

      assertThat(reader.refresh().version()).isEqualTo(2);

      JsonMmapException e = reader.lastError().orElseThrow();
      assertThat(e).isInstanceOf(InvalidDocumentException.class);
      assertThat(e.getMessage()).contains("not valid JSON");
      if (!name.equals("number too long")) {
        assertThat(e.getMessage()).contains("line=1").contains("column=");
      }
      assertNoContent(e, SECRET);
      assertNoContent(e, "7777777");
    }
  }

  @Test
  void conversionErrorsNeverQuoteTheValue() {
    try (JsonMmapFile writer = JsonMmapFile.open(file(), Role.WRITER)) {
      Snapshot s = writer.publish(Map.of("port", SECRET, "n", 99_999_999_999L));

      InvalidDocumentException e =
          catchThrowableOfType(InvalidDocumentException.class, () -> s.get("port", Integer.class));
      InvalidDocumentException n =
          catchThrowableOfType(InvalidDocumentException.class, () -> s.get("n", Integer.class));

      assertThat(e.getMessage()).contains("key=port").contains("type=java.lang.Integer");
      assertNoContent(e, SECRET);
      assertThat(n.getMessage()).contains("key=n");
      assertNoContent(n, "99999999999");
    }
  }
}
