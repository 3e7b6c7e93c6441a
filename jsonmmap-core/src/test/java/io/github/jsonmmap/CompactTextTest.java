package io.github.jsonmmap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * JSON text the writer stores without parsing it ({@link Documents#storableText}, {@link
 * CompactText}) against the way every other document goes (parsed, walked, serialised): whenever
 * the short way takes text, the long way takes it too and stores the very same bytes with the same
 * shape; and the short way does take what a careful tool writes, compact or pretty.
 */
class CompactTextTest {

  private static final Path FILE = Path.of("/test/config.jsonmmap");

  private final Documents documents = new Documents(64, 1L << 26);
  private final JsonMapper mapper = documents.mapper();

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
  void textOfRandomTreesIsStoredAsTheWriterWouldStoreItsTree(long seed) {
    Random random = new Random(seed);
    int taken = 0;
    for (int i = 0; i < 40; i++) {
      // Names with control characters (escaped) are left to the long way, as FastCheck leaves them.
      ObjectNode tree = CompactJsonTest.randomTree(random, i % 2 == 0);
      byte[] compact = mapper.writeValueAsBytes(tree);
      byte[] pretty = mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(tree);
      taken += assertSameOrDeclined(compact) ? 1 : 0;
      taken += assertSameOrDeclined(pretty) ? 1 : 0;
      assertSameOrDeclined(withWhiteSpace(compact, random));
    }
    // Random doubles are often written with an exponent, declined; the rest is taken.
    assertThat(taken).isGreaterThan(10);
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
  void brokenAndOddTextIsNeverStoredOtherwiseThanTheLongWay(long seed) {
    Random random = new Random(seed);
    byte[] alphabet =
        " \t\n\r{}[]:,\"\\/u0123456789abcdefABCDEF.eE+-tnrl\u007f".getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < 60; i++) {
      byte[] text = mapper.writeValueAsBytes(CompactJsonTest.randomTree(random, true));
      for (int m = 0; m < 20; m++) {
        byte[] mutated = text.clone();
        for (int k = 1 + random.nextInt(3); k > 0 && mutated.length > 0; k--) {
          int at = random.nextInt(mutated.length);
          mutated[at] =
              random.nextInt(8) == 0
                  ? (byte) random.nextInt(256)
                  : alphabet[random.nextInt(alphabet.length)];
        }
        assertSameOrDeclined(mutated);
        assertSameOrDeclined(withWhiteSpaceAnywhere(text, random));
      }
    }
  }

  @Test
  void prettyTextOfAConfigIsStoredCompactWithoutATree() {
    String pretty =
        """
        {
          "server" : { "port" : 8080, "host" : "10.0.0.1", "weight" : 0.25 },
          "flags" : [ true, false, null ],
          "limits" : { "ratio" : 1.50, "big" : 123456789012345678901234567890, "small" : -0.000001 },
          "text" : "tab\\there \\"quoted\\" \\\\ \\u001F é 😀"
        }
        """;
    Documents.Serialized fast = documents.storableText(FILE, pretty);
    assertThat(fast).isNotNull();
    assertThat(new String(fast.bytes(), StandardCharsets.UTF_8))
        .isEqualTo(
            "{\"server\":{\"port\":8080,\"host\":\"10.0.0.1\",\"weight\":0.25},"
                + "\"flags\":[true,false,null],"
                + "\"limits\":{\"ratio\":1.50,\"big\":123456789012345678901234567890,"
                + "\"small\":-0.000001},"
                + "\"text\":\"tab\\there \\\"quoted\\\" \\\\ \\u001F é 😀\"}");
    assertSameOrDeclined(pretty.getBytes(StandardCharsets.UTF_8));
    // White space found only after the start: checked as it is, then compacted and checked again.
    Documents.Serialized spacedLater = documents.storableText(FILE, "{\"a\": [1, 2]}\n");
    assertThat(spacedLater).isNotNull();
    assertThat(new String(spacedLater.bytes(), StandardCharsets.UTF_8)).isEqualTo("{\"a\":[1,2]}");
  }

  @Test
  void numbersAreTakenExactlyWhenTheWriterWritesThemAsWritten() {
    List<String> asWritten =
        List.of(
            "0",
            "7",
            "-7",
            "2147483648",
            "-9223372036854775808",
            "99999999999999999999999",
            "0.25",
            "1.50",
            "-0.5",
            "100.0",
            "0.000001",
            "0.000000",
            "0.1234567");
    // Written otherwise by the writer (0, 0.0, 1E-7, 0E-7, 1.2E-7, 1E+2...), or not JSON.
    List<String> otherwise =
        List.of(
            "-0",
            "-0.0",
            "0.0000001",
            "0.0000000",
            "0.00000012",
            "1e2",
            "1E+2",
            "1.0E+2",
            "-1.5e-3",
            "00",
            "01",
            "1.",
            ".5",
            "--1",
            "1.2.3",
            "+1");
    List<String> taken = new ArrayList<>();
    for (String number : concat(asWritten, otherwise)) {
      if (assertSameOrDeclined(("{\"n\":" + number + "}").getBytes(StandardCharsets.UTF_8))) {
        taken.add(number);
      }
    }
    assertThat(taken).containsExactlyElementsOf(asWritten);
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  @Test
  void escapesAreTakenOnlyInTheFormTheWriterWrites() {
    List<String> taken = new ArrayList<>();
    for (int c = 0; c < 0x80; c++) {
      for (String hex :
          List.of(String.format(Locale.ROOT, "%02X", c), String.format(Locale.ROOT, "%02x", c))) {
        String escape = "\\u00" + hex;
        if (assertSameOrDeclined(("{\"s\":\"a" + escape + "b\"}").getBytes(StandardCharsets.UTF_8))
            && !taken.contains(escape)) {
          taken.add(escape);
        }
      }
    }
    for (String escape : List.of("\\\"", "\\\\", "\\/", "\\b", "\\t", "\\n", "\\f", "\\r", "\\x")) {
      if (assertSameOrDeclined(("{\"s\":\"" + escape + "\"}").getBytes(StandardCharsets.UTF_8))) {
        taken.add(escape);
      }
    }
    List<String> expected = new ArrayList<>();
    for (int c = 0; c < 0x20; c++) {
      if ("\b\t\n\f\r".indexOf(c) < 0) {
        expected.add(String.format(Locale.ROOT, "\\u00%02X", c));
      }
    }
    expected.addAll(List.of("\\\"", "\\\\", "\\b", "\\t", "\\n", "\\f", "\\r"));
    assertThat(taken).containsExactlyElementsOf(expected);
  }

  @Test
  void compactingDropsOnlyWhiteSpaceBetweenTokens() {
    assertThat(compact(" { \"a b\" :\t[ 1 ,\n2 , \"x \\\" y \\\\\" ] }\r\n"))
        .isEqualTo("{\"a b\":[1,2,\"x \\\" y \\\\\"]}");
    assertThat(compact("{\"a\":1}")).isEqualTo("{\"a\":1}");
    for (String joins : List.of("[1 2]", "[tr ue]", "[1 .5]", "[- 1]", "[1\t\n2]", "[null null]")) {
      assertThat(compact(joins)).as(joins).isNull();
    }
    assertThat(compact("{\"a\":\"no end}")).isNull();
  }

  /** {@link CompactText#compact} in place, as the writer calls it; null when it declines. */
  private static String compact(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    int length = CompactText.compact(bytes, bytes);
    return length < 0 ? null : new String(bytes, 0, length, StandardCharsets.UTF_8);
  }

  @Test
  void whiteSpaceThatWouldJoinTwoTokensIsNotDropped() {
    for (String text :
        List.of("{\"a\":1 2}", "{\"a\":tr ue}", "{\"a\":1 .5}", "{\"a\":- 1}", "{\"a\":1\t\n2}")) {
      byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
      assertThat(documents.storableText(FILE, bytes)).as(text).isNull();
      assertThatThrownBy(() -> documents.toTree(FILE, mapper, bytes))
          .isInstanceOf(InvalidDocumentException.class);
    }
  }

  @Test
  void textPastTheLengthLimitIsRefusedAsTooLargeEvenWhenItsCompactFormFits() {
    Documents small = new Documents(64, 64);
    String text = "{\"a\":1," + " ".repeat(100) + "\"b\":2}";
    for (Object given : List.of(text, text.getBytes(StandardCharsets.UTF_8))) {
      assertThat(small.storableText(FILE, given)).isNull();
      assertThatThrownBy(() -> small.toTree(FILE, mapper, given))
          .isInstanceOf(DocumentTooLargeException.class)
          .hasMessageContaining("path=" + FILE)
          .hasMessageContaining("limit=64B");
    }
  }

  @Test
  void aLoneSurrogateInTextIsRefusedNotReplaced(@TempDir Path dir) throws Exception {
    Path path = dir.resolve("config.jsonmmap");
    try (JsonMmapFile writer = JsonMmapFile.open(path, Role.WRITER)) {
      long ok = writer.publish("{\"a\":\"ok\"}").version();
      assertThatThrownBy(() -> writer.publish("{\"a\":\"x\uD800y\"}"))
          .isInstanceOf(InvalidDocumentException.class)
          .hasMessageContaining("lone-surrogate")
          .hasMessageContaining(path.toString());
      assertThatThrownBy(() -> writer.publish("{\"a\":\"\uDC00\"}"))
          .isInstanceOf(InvalidDocumentException.class);
      assertThat(writer.snapshot().version()).isEqualTo(ok);
      assertThat(writer.snapshot().get("a")).isEqualTo("ok");
      writer.publish("{\"a\":\"\uD83D\uDE00\"}");
      assertThat(writer.snapshot().get("a")).isEqualTo("\uD83D\uDE00");
    }
  }

  @Test
  void textPublishedAsItIsReachesAReaderAndPassesTheValidator(@TempDir Path dir) throws Exception {
    Path path = dir.resolve("config.jsonmmap");
    try (JsonMmapFile writer = JsonMmapFile.open(path, Role.WRITER);
        JsonMmapFile reader = JsonMmapFile.open(path, Role.READER)) {
      writer.publish("{\n  \"port\" : 8080,\n  \"ratio\" : 0.50\n}\n");
      assertThat(Files.size(path)).isPositive();
      assertThat(reader.refresh().tree().path("port").asInt()).isEqualTo(8080);
      assertThat(reader.snapshot().json()).isEqualTo("{\"port\":8080,\"ratio\":0.50}");
      assertThat(writer.snapshot().json()).isEqualTo("{\"port\":8080,\"ratio\":0.50}");

      // The caller's array is copied: changing it afterwards changes nothing published.
      byte[] mine = "{\"port\":8081}".getBytes(StandardCharsets.UTF_8);
      long version = writer.publish(mine).version();
      mine[8] = '9';
      assertThat(reader.refresh().version()).isEqualTo(version);
      assertThat(reader.snapshot().json()).isEqualTo("{\"port\":8081}");
      assertThat(writer.snapshot().tree().path("port").asInt()).isEqualTo(8081);

      List<ObjectNode> seen = new ArrayList<>();
      writer.setValidator(
          tree -> {
            seen.add(tree);
            if (tree.path("port").asInt() < 1024) {
              throw new IllegalArgumentException("port below 1024");
            }
          });
      byte[] bad = "{\"port\":80}".getBytes(StandardCharsets.UTF_8);
      assertThatThrownBy(() -> writer.publish(bad)).hasMessageContaining("port below 1024");
      assertThat(reader.refresh().tree().path("port").asInt()).isEqualTo(8081);
      writer.publish("{\"port\":9090}".getBytes(StandardCharsets.UTF_8));
      assertThat(seen).hasSize(2);
      assertThat(reader.refresh().tree().path("port").asInt()).isEqualTo(9090);
    }
  }

  /**
   * Asserts that the short way either declines {@code text} or stores exactly what the long way
   * stores; returns whether it took it.
   */
  private boolean assertSameOrDeclined(byte[] text) {
    Documents.Serialized fast = documents.storableText(FILE, text);
    if (fast == null) {
      return false;
    }
    String shown = new String(text, StandardCharsets.UTF_8) + " " + HexFormat.of().formatHex(text);
    Documents.Serialized slow;
    try {
      slow = documents.serialize(FILE, documents.toTree(FILE, mapper, text));
    } catch (JsonMmapException e) {
      throw new AssertionError("taken by the short way, refused by the long: " + shown, e);
    }
    assertThat(fast.bytes()).as(shown).isEqualTo(slow.bytes());
    assertThat(fast.shape()).as(shown).isEqualTo(slow.shape());
    return true;
  }

  /** The text with white space of every kind added after some structural characters. */
  static byte[] withWhiteSpace(byte[] compact, Random random) {
    StringBuilder out = new StringBuilder();
    String text = new String(compact, StandardCharsets.UTF_8);
    boolean inString = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      out.append(c);
      if (inString) {
        if (c == '\\') {
          out.append(text.charAt(++i));
        } else if (c == '"') {
          inString = false;
        }
      } else if (c == '"') {
        inString = true;
      } else if ("{}[]:,".indexOf(c) >= 0) {
        out.append(" \t\n\r", 0, random.nextInt(5));
      }
    }
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The text with one run of white space put anywhere, inside tokens and strings too. */
  private static byte[] withWhiteSpaceAnywhere(byte[] text, Random random) {
    int at = random.nextInt(text.length + 1);
    byte[] space =
        " \n\t\r".substring(0, 1 + random.nextInt(4)).getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[text.length + space.length];
    System.arraycopy(text, 0, out, 0, at);
    System.arraycopy(space, 0, out, at, space.length);
    System.arraycopy(text, at, out, at + space.length, text.length - at);
    return out;
  }
}
