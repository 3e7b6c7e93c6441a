package io.github.jsonmmap;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A key's value read from the bytes without the tokenizer ({@link FastLookup}) against the
 * tokenizer's lookup: the same value (or absence) for every key of random documents, compact and
 * pretty-printed, for their containers, and for keys that are not there.
 */
class FastLookupTest {

  private static final Path FILE = Path.of("/test/config.jsonmmap");

  private final Documents documents = new Documents(64, 1L << 26);
  private final JsonMapper mapper = documents.mapper();

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
  void everyKeyOfRandomDocumentsReadsAsTheTokenizerReadsIt(long seed) {
    Random random = new Random(seed);
    int answered = 0;
    int asked = 0;
    for (int i = 0; i < 30; i++) {
      ObjectNode tree = CompactJsonTest.randomTree(random, i % 3 == 0);
      for (byte[] bytes :
          List.of(
              mapper.writeValueAsBytes(tree),
              mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(tree))) {
        documents.check(FILE, bytes);
        for (String key : keys(tree)) {
          asked++;
          Documents.Found fast = FastLookup.find(bytes, key);
          if (fast != null) {
            answered++;
            assertSame(key, fast.value(), documents.tokenLookup(FILE, bytes, key).value());
          }
          // Through the public path: whichever answers, the tokenizer's answer.
          assertSame(
              key,
              documents.lookup(FILE, bytes, key).value(),
              documents.tokenLookup(FILE, bytes, key).value());
        }
      }
    }
    assertThat(answered).as("answered without the tokenizer").isGreaterThan(asked / 2);
  }

  @Test
  void valuesOfEveryKindDecodeAsTheTokenizerDecodesThem() {
    String json =
        "{ \"s\" : \"a\\\"\\\\\\/\\b\\f\\n\\r\\tz\\u00e9\\ud83d\\ude00é\", \"i\":-0, \"l\":5000000000,"
            + "\"b\":123456789012345678901234567890,\"m\":-9223372036854775808,\"d\":1.50,"
            + "\"e\":-1E+5, \"t\":true,\"f\":false,\"n\":null,\"eo\":{ },\"ea\":[ ],"
            + "\"a\":[[1,{\"x\":[\"]\",\"}\"]}],2 , 3],\"o\":{\"p\":{\"q\":\"deep\"}}}";
    byte[] bytes = json.getBytes(UTF_8);
    documents.check(FILE, bytes);
    for (String key :
        new String[] {
          "s",
          "i",
          "l",
          "b",
          "m",
          "d",
          "e",
          "t",
          "f",
          "n",
          "eo",
          "ea",
          "a",
          "a[0]",
          "a[0][0]",
          "a[0][1].x[0]",
          "a[0][1].x[1]",
          "a[1]",
          "a[2]",
          "a[3]",
          "o.p.q",
          "o.p",
          "o",
          "s.x",
          "s[0]",
          "a.b",
          "o[0]",
          "a[01]",
          "a[]",
          "a[x]",
          "o.",
          ".o",
          "",
          "o..p",
          "missing",
          "o.p.q.r"
        }) {
      Documents.Found fast = FastLookup.find(bytes, key);
      assertThat(fast).as(key).isNotNull();
      assertSame(key, fast.value(), documents.tokenLookup(FILE, bytes, key).value());
    }
    assertThat(FastLookup.find(bytes, "d").value()).isEqualTo(new BigDecimal("1.50"));
    assertThat(FastLookup.find(bytes, "l").value()).isEqualTo(5_000_000_000L);
    assertThat(FastLookup.find(bytes, "i").value()).isEqualTo(0);
  }

  @Test
  void aNameWithAnEscapeOnTheWayLeavesTheLookupToTheTokenizer() {
    byte[] bytes = "{\"\\u0061\":1,\"b\":2}".getBytes(UTF_8);
    assertThat(FastLookup.find(bytes, "b")).isNull();
    assertThat(documents.lookup(FILE, bytes, "a").value()).isEqualTo(1);
    assertThat(documents.lookup(FILE, bytes, "b").value()).isEqualTo(2);
    // A name with an escape after the one looked up is never reached.
    bytes = "{\"b\":2,\"\\u0061\":1}".getBytes(UTF_8);
    assertThat(FastLookup.find(bytes, "b").value()).isEqualTo(2);
  }

  @Test
  void aKeyWithALoneSurrogateFindsNoNameThatEncodingWouldTurnIntoAQuestionMark() {
    byte[] bytes = "{\"?\":1,\"a\":{\"?\":2}}".getBytes(UTF_8);
    for (String key : new String[] {"\uD800", "a.\uDC00", "a.\uD800x"}) {
      assertThat(FastLookup.find(bytes, key).value()).as(key).isSameAs(Documents.ABSENT);
      assertThat(documents.tokenLookup(FILE, bytes, key).value()).isSameAs(Documents.ABSENT);
    }
    assertThat(FastLookup.find(bytes, "a.?").value()).isEqualTo(2);
    byte[] pair = "{\"😀\":3}".getBytes(UTF_8);
    assertThat(FastLookup.find(pair, "😀").value()).isEqualTo(3);
  }

  /** Every flattened key, its containers, and keys next to them that are not there. */
  private static List<String> keys(ObjectNode tree) {
    List<String> keys = new ArrayList<>();
    for (Map.Entry<String, Object> e : Documents.flatten(tree).entrySet()) {
      String key = e.getKey();
      keys.add(key);
      keys.add(key + "x");
      keys.add(key + "[0]");
      keys.add(key + ".a");
      int cut = Math.max(key.lastIndexOf('.'), key.lastIndexOf('['));
      if (cut > 0) {
        keys.add(key.substring(0, cut));
      }
    }
    keys.add("");
    keys.add("[0]");
    return keys;
  }

  private static void assertSame(String key, Object fast, Object tokens) {
    if (tokens == Documents.ABSENT || fast == Documents.ABSENT) {
      assertThat(fast == Documents.ABSENT).as(key).isEqualTo(tokens == Documents.ABSENT);
    } else {
      assertThat(fast).as(key).isEqualTo(tokens);
      if (tokens != null) {
        assertThat(fast).as(key).hasSameClassAs(tokens);
      }
    }
  }
}
