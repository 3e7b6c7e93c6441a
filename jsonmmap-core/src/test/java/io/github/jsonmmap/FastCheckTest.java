package io.github.jsonmmap;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.json.JsonMapper;

/**
 * The reader's one-pass check ({@link FastCheck}) against the full check by Jackson's tokenizer:
 * whatever the fast pass vouches for, the full check accepts with the same shape; what it does not
 * vouch for goes to the full check, which accepts it or names the problem. Compared on random valid
 * documents, on thousands of mutations of them, and on the edge cases one by one.
 */
class FastCheckTest {

  private static final Path FILE = Path.of("/test/config.jsonmmap");
  private static final int DEPTH = 64;

  private final Documents documents = new Documents(DEPTH, 1L << 26);
  private final JsonMapper mapper = documents.mapper();

  /** Bytes the full check may refuse, in any position of a document. */
  private static final byte[] NASTY = "{}[]\"\\,:0-.eE+tfnu \n\t\r1a/".getBytes(UTF_8);

  private static final byte[] NASTY_HIGH = {
    0,
    0x1F,
    0x7F,
    (byte) 0x80,
    (byte) 0xBF,
    (byte) 0xC0,
    (byte) 0xC2,
    (byte) 0xE0,
    (byte) 0xED,
    (byte) 0xEF,
    (byte) 0xF0,
    (byte) 0xF4,
    (byte) 0xF5,
    (byte) 0xFF
  };

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
  void validDocumentsAreVouchedForWithTheFullChecksShape(long seed) {
    Random random = new Random(seed);
    for (int i = 0; i < 50; i++) {
      byte[] bytes = mapper.writeValueAsBytes(CompactJsonTest.randomTree(random, false));
      Documents.Shape fast = fast(bytes);
      assertThat(fast).as(new String(bytes, UTF_8)).isNotNull();
      assertThat(fast).isEqualTo(documents.fullCheck(FILE, bytes));
    }
  }

  @ParameterizedTest
  @ValueSource(longs = {11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
  void mutatedDocumentsAreNeverVouchedForUnlessTheFullCheckAccepts(long seed) {
    Random random = new Random(seed);
    int vouched = 0;
    int refused = 0;
    for (int i = 0; i < 40; i++) {
      byte[] valid = mapper.writeValueAsBytes(CompactJsonTest.randomTree(random, i % 4 == 0));
      for (int m = 0; m < 60; m++) {
        byte[] bytes = mutate(valid, random);
        Documents.Shape full = fullOrNull(bytes);
        Documents.Shape fast = fast(bytes);
        if (fast != null) {
          vouched++;
          assertThat(full).as(new String(bytes, UTF_8)).isEqualTo(fast);
        }
        if (full == null) {
          refused++;
        }
        // Through the public path: the same answer as the full check.
        if (full == null) {
          assertThatThrownBy(() -> documents.check(FILE, bytes))
              .isInstanceOf(JsonMmapException.class);
        } else {
          assertThat(documents.check(FILE, bytes)).isEqualTo(full);
        }
      }
    }
    // Neither side of the comparison is empty.
    assertThat(vouched).isGreaterThan(100);
    assertThat(refused).isGreaterThan(100);
  }

  @Test
  void duplicateNamesAreLeftToTheFullCheckWhichRefusesThem() {
    assertRefused("{\"a\":1,\"a\":2}");
    assertRefused("{\"x\":{\"é\":1,\"b\":2,\"é\":3}}");
    // One name spelled with an escape: equal only once decoded.
    assertRefused("{\"a\":1,\"\\u0061\":2}");
    StringBuilder many = new StringBuilder("{");
    for (int i = 0; i < 5000; i++) {
      many.append("\"svc").append(String.format("%06d", i)).append("\":").append(i).append(',');
    }
    assertVouched(many + "\"last\":0}");
    assertRefused(many + "\"svc004999\":0}");
    assertRefused(many + "\"svc000000\":0}");
    // The same names in sibling objects are no duplicates.
    assertVouched("{\"a\":{\"k\":1},\"b\":{\"k\":1},\"c\":[{\"k\":1},{\"k\":2}]}");
  }

  /**
   * One scratch for many checks, as a reader keeps it from version to version: every answer is the
   * answer of a fresh check, after documents that stopped mid-object, held duplicates, or grew the
   * name sets and their tables at any level.
   */
  @Test
  void aScratchKeptBetweenChecksChangesNoAnswer() {
    Random random = new Random(42);
    FastCheck.Scratch scratch = new FastCheck.Scratch();
    int vouched = 0;
    int deferred = 0;
    for (int i = 0; i < 400; i++) {
      byte[] bytes;
      switch (i % 5) {
        case 0 -> bytes = mapper.writeValueAsBytes(CompactJsonTest.randomTree(random, false));
        case 1 ->
            bytes =
                mutate(
                    mapper.writeValueAsBytes(CompactJsonTest.randomTree(random, i % 2 == 0)),
                    random);
        case 2 -> bytes = wide(random, random.nextInt(3), random.nextInt(4) == 0).getBytes(UTF_8);
        case 3 -> {
          // Cut short inside its objects: the sets of the open levels stay filled.
          byte[] whole = wide(random, 2, false).getBytes(UTF_8);
          bytes = Arrays.copyOf(whole, 1 + random.nextInt(whole.length - 1));
        }
        default -> bytes = wide(random, random.nextInt(3), false).getBytes(UTF_8);
      }
      Documents.Shape kept = FastCheck.shape(bytes, DEPTH, 1L << 26, 50_000, 100_000_000, scratch);
      Documents.Shape fresh = fast(bytes);
      assertThat(kept).as(new String(bytes, UTF_8)).isEqualTo(fresh);
      if (fresh != null) {
        vouched++;
      } else {
        deferred++;
      }
    }
    assertThat(vouched).isGreaterThan(100);
    assertThat(deferred).isGreaterThan(50);
  }

  /**
   * An object {@code depth} levels down holding 1 to 3000 names (past the linear set, through
   * several table sizes), the last name a duplicate of an earlier one when {@code duplicate}.
   */
  private static String wide(Random random, int depth, boolean duplicate) {
    int count = 1 + random.nextInt(random.nextBoolean() ? 20 : 3000);
    StringBuilder doc = new StringBuilder();
    for (int d = 0; d < depth; d++) {
      doc.append("{\"level").append(d).append("\":");
    }
    doc.append('{');
    for (int i = 0; i < count; i++) {
      doc.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":").append(i);
    }
    if (duplicate) {
      doc.append(",\"k").append(random.nextInt(count)).append("\":0");
    }
    doc.append('}');
    doc.append("}".repeat(depth));
    return "{\"a\":1,\"w\":" + doc + "}";
  }

  @Test
  void namesMadeToCollideAreLeftToTheFullCheck() {
    // "Aa" and "BB" have one String hash code; so do all 2^12 names made of 12 such pairs.
    StringBuilder doc = new StringBuilder("{");
    for (int i = 0; i < 4096; i++) {
      StringBuilder name = new StringBuilder();
      for (int bit = 0; bit < 12; bit++) {
        name.append((i >> bit & 1) == 0 ? "Aa" : "BB");
      }
      doc.append(i == 0 ? "" : ",").append('"').append(name).append("\":").append(i);
    }
    byte[] bytes = doc.append('}').toString().getBytes(UTF_8);
    Documents.Shape fast = fast(bytes);
    assertThat(fast).isNull();
    assertThat(documents.check(FILE, bytes).keys()).isEqualTo(4096);
  }

  @Test
  void nestingAtTheLimitIsVouchedForAndOneMoreIsRefused() {
    assertVouched("{\"a\":".repeat(DEPTH - 1) + "{}" + "}".repeat(DEPTH - 1));
    assertVouched("{\"a\":" + "[".repeat(DEPTH - 2) + "]".repeat(DEPTH - 2) + "}");
    assertRefused("{\"a\":".repeat(DEPTH) + "{}" + "}".repeat(DEPTH));
  }

  @Test
  void numbersOutsideWhatThePassDecodesAreLeftToTheFullCheck() {
    assertVouched("{\"a\":-0,\"b\":1.5e-7,\"c\":12E+3,\"d\":0.000,\"e\":-1.0e100000}");
    assertVouched("{\"a\":" + "9".repeat(FastCheck.MAX_NUMBER_CHARS) + "}");
    // Longer tokens are decoded by the full check, which accepts them.
    assertDeferredAndAccepted("{\"a\":" + "9".repeat(FastCheck.MAX_NUMBER_CHARS + 1) + "}");
    assertDeferredAndAccepted("{\"a\":1e0000001}");
    for (String bad :
        new String[] {
          "01", "-", "1.", ".5", "1e", "1e+", "+1", "1.5.3", "0x1F", "NaN", "-Infinity"
        }) {
      assertRefused("{\"a\":" + bad + "}");
    }
    assertRefused("{\"a\":1e100001}");
    assertRefused("{\"a\":1.0e-100000}");
  }

  @Test
  void stringsEscapesAndEncodingFollowTheFullCheck() {
    assertVouched("{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\uFFFF\",\"é€😀\":\"\"}");
    // A surrogate escape: decoded (a pair) or accepted as Jackson does (a lone one) by the full
    // check.
    assertDeferredAndAccepted("{\"a\":\"\\ud83d\\ude00\"}");
    for (String bad : new String[] {"\\x", "\\u12", "\\u12G4", "\t", "\u0001"}) {
      assertRefused("{\"a\":\"" + bad + "\"}");
    }
    byte[] overlong = {'{', '"', 'a', '"', ':', '"', (byte) 0xC0, (byte) 0xAF, '"', '}'};
    assertThat(fast(overlong)).isNull();
    assertThatThrownBy(() -> documents.check(FILE, overlong)).hasMessageContaining("overlong");
    byte[] surrogate = {'{', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', ':', '1', '}'};
    assertThat(fast(surrogate)).isNull();
    assertThatThrownBy(() -> documents.check(FILE, surrogate)).hasMessageContaining("surrogate");
    byte[] bom = ("\uFEFF{}").getBytes(UTF_8);
    assertThat(fast(bom)).isNull();
    assertThatThrownBy(() -> documents.check(FILE, bom)).hasMessageContaining("byte-order-mark");
  }

  @Test
  void structureOutsideTheGrammarIsRefused() {
    for (String bad :
        new String[] {
          "",
          " ",
          "[]",
          "\"a\"",
          "1",
          "null",
          "{",
          "}",
          "{\"a\"}",
          "{\"a\":}",
          "{\"a\":1,}",
          "{,\"a\":1}",
          "{\"a\":1}{}",
          "{\"a\":1} x",
          "{\"a\":[1,]}",
          "{\"a\":[,1]}",
          "{'a':1}",
          "{a:1}",
          "{\"a\":tru}",
          "{\"a\":truex}",
          "{\"a\":nul}",
          "{\"a\" 1}",
          "{\"a\":1 \"b\":2}",
          "{\"a\":[1}",
          "{\"a\":{]}",
          "{/*c*/}"
        }) {
      assertRefused(bad);
    }
    assertVouched(" \t\r\n{ \"a\" : [ 1 , { } , [ ] , \"x\" ] , \"b\" : null } \n");
  }

  @Test
  void keyBoundsAreLeftToTheFullCheck() {
    // Flattened key characters past this document's bound: 40 levels of 2000-character names.
    String name = "n".repeat(2000);
    String deep =
        ("{\"" + name + "\":").repeat(40) + "[" + "0,".repeat(999) + "0]" + "}".repeat(40);
    byte[] bytes = deep.getBytes(UTF_8);
    assertThat(fast(bytes)).isNull();
    assertThatThrownBy(() -> documents.check(FILE, bytes)).hasMessageContaining("too costly");
  }

  private Documents.Shape fast(byte[] bytes) {
    return FastCheck.shape(bytes, DEPTH, 1L << 26, 50_000, 100_000_000);
  }

  private Documents.Shape fullOrNull(byte[] bytes) {
    try {
      return documents.fullCheck(FILE, bytes);
    } catch (JsonMmapException e) {
      return null;
    }
  }

  private void assertVouched(String json) {
    byte[] bytes = json.getBytes(UTF_8);
    assertThat(fast(bytes)).as(json).isNotNull().isEqualTo(documents.fullCheck(FILE, bytes));
  }

  private void assertDeferredAndAccepted(String json) {
    byte[] bytes = json.getBytes(UTF_8);
    assertThat(fast(bytes)).as(json).isNull();
    assertThat(documents.check(FILE, bytes)).isEqualTo(documents.fullCheck(FILE, bytes));
  }

  private void assertRefused(String json) {
    byte[] bytes = json.getBytes(UTF_8);
    assertThat(fast(bytes)).as(json).isNull();
    assertThatThrownBy(() -> documents.check(FILE, bytes))
        .as(json)
        .isInstanceOf(JsonMmapException.class)
        .hasMessageContaining(FILE.toString());
  }

  static byte[] mutate(byte[] valid, Random random) {
    byte[] b = valid.clone();
    int at = random.nextInt(b.length);
    byte with =
        random.nextBoolean()
            ? NASTY[random.nextInt(NASTY.length)]
            : NASTY_HIGH[random.nextInt(NASTY_HIGH.length)];
    switch (random.nextInt(4)) {
      case 0 -> b[at] = with;
      case 1 -> {
        byte[] longer = new byte[b.length + 1];
        System.arraycopy(b, 0, longer, 0, at);
        longer[at] = with;
        System.arraycopy(b, at, longer, at + 1, b.length - at);
        b = longer;
      }
      case 2 -> {
        byte[] shorter = new byte[b.length - 1];
        System.arraycopy(b, 0, shorter, 0, at);
        System.arraycopy(b, at + 1, shorter, at, b.length - at - 1);
        b = shorter;
      }
      default -> b = Arrays.copyOf(b, at);
    }
    return b;
  }
}
