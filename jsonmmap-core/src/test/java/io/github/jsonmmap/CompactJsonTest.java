package io.github.jsonmmap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The writer's own serialisation ({@link CompactJson}, written by the walk that checks the tree)
 * against the mapper's: the same bytes for every kind of node, character and number, the same walk
 * result, and the same refusals.
 */
class CompactJsonTest {

  private static final Path FILE = Path.of("/test/config.jsonmmap");
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final Documents documents = new Documents(64, 1L << 26);
  private final JsonMapper mapper = documents.mapper();

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
  void randomTreesSerialiseToTheMappersBytesAndWalk(long seed) {
    Random random = new Random(seed);
    for (int i = 0; i < 40; i++) {
      assertSameAsMapper(randomTree(random, true));
    }
  }

  @Test
  void everyCharacterClassIsEscapedOrEncodedAsTheMapperDoes() {
    StringBuilder all = new StringBuilder();
    for (char c = 0; c < 0x800; c++) {
      all.append(c);
    }
    all.append("\u0800\u2028\u2029\uE000\uFFFD\uFFFF\uD800\uDC00\uD83D\uDE00\uDBFF\uDFFF");
    ObjectNode tree = NODES.objectNode();
    tree.put("s", all.toString());
    tree.put(all.toString(), 1);
    // A long string crosses the writer's 4096-character chunks, a pair straddling a boundary.
    tree.put("long", "é".repeat(4095) + "\uD83D\uDE00" + "\"\n".repeat(5000) + "x".repeat(9000));
    assertSameAsMapper(tree);
  }

  @Test
  void numbersOfEveryKindAreWrittenAsTheMapperWritesThem() {
    ObjectNode tree = NODES.objectNode();
    ArrayNode n = tree.putArray("n");
    n.add(0).add(-1).add(Integer.MIN_VALUE).add(Integer.MAX_VALUE).add(Long.MIN_VALUE);
    n.add(Long.MAX_VALUE).add((short) -7);
    // Every digit count, both signs, either side of each power of ten.
    for (long p = 1; p > 0 && p <= Long.MAX_VALUE / 10; p *= 10) {
      for (long v : new long[] {p - 1, p, p + 1, 10 * p - 1}) {
        n.add(v).add(-v);
        if (v <= Integer.MAX_VALUE) {
          n.add((int) v).add((int) -v);
        }
      }
    }
    n.add(new BigInteger("123456789012345678901234567890")).add(BigInteger.ONE.negate());
    for (String d : new String[] {"1E+5", "0.000001", "-0.00", "1e-7", "12345.678900", "1E+1000"}) {
      n.add(new BigDecimal(d));
    }
    for (double d :
        new double[] {0.0, -0.0, 1e23, 0.001, 2e-3, 1e7, 123456789.0, Double.MIN_VALUE, 1.0 / 3}) {
      n.add(d);
    }
    n.add(Double.MAX_VALUE).add(1.1f).add(Float.MIN_VALUE).add(3e10f);
    assertSameAsMapper(tree);
  }

  @Test
  void emptyContainersAndAwkwardNamesCountAsTheWalkCounts() {
    ObjectNode tree = NODES.objectNode();
    tree.putObject("");
    tree.putArray("a.b").addArray();
    tree.putObject("c[0]").putObject("d").put("", true);
    tree.putNull("n");
    assertSameAsMapper(tree);
    assertThat(documents.serialize(FILE, tree).shape().dottedNames()).isTrue();
  }

  @Test
  void leavesOnlyTheMapperWritesAreSerialisedByTheMapper() {
    ObjectNode tree = NODES.objectNode();
    tree.put("bytes", new byte[] {1, 2, 3});
    tree.putPOJO("pojo", Map.of("x", 1));
    tree.put("after", "é");
    Documents.Serialized s = documents.serialize(FILE, tree);
    assertThat(new String(s.bytes(), StandardCharsets.UTF_8))
        .isEqualTo("{\"bytes\":\"AQID\",\"pojo\":{\"x\":1},\"after\":\"é\"}");
  }

  @Test
  void aTreeDeeperThanTheLimitIsRefusedWithItsKeyPath() {
    ObjectNode tree = NODES.objectNode();
    ObjectNode at = tree;
    for (int i = 0; i < 63; i++) {
      at = at.putObject("a");
    }
    documents.serialize(FILE, tree); // 64 levels: the limit
    at.putArray("b");
    assertThatThrownBy(() -> documents.serialize(FILE, tree))
        .isInstanceOf(InvalidDocumentException.class)
        .hasMessageContaining("nesting depth (65)")
        .hasMessageContaining("key=" + "a.".repeat(63) + "b")
        .hasMessageContaining(FILE.toString());
  }

  @Test
  void aTreeThatContainsItselfIsRefusedNotFollowedForEver() {
    ObjectNode tree = NODES.objectNode();
    ObjectNode inner = tree.putObject("a");
    inner.set("loop", tree);
    assertThatThrownBy(() -> documents.serialize(FILE, tree))
        .isInstanceOf(InvalidDocumentException.class)
        .hasMessageContaining("nesting depth");
  }

  @Test
  void valuesAReaderWouldRefuseOrChangeAreRefusedWithTheirKeyPath() {
    ObjectNode lone = NODES.objectNode();
    lone.putObject("a").putArray("b").add("x").add("\uD800y");
    assertThatThrownBy(() -> documents.serialize(FILE, lone))
        .hasMessageContaining("key=a.b[1]")
        .hasMessageContaining("lone-surrogate-in-string");

    ObjectNode nan = NODES.objectNode();
    nan.put("x", Double.NaN);
    assertThatThrownBy(() -> documents.serialize(FILE, nan)).hasMessageContaining("non-finite");

    ObjectNode name = NODES.objectNode();
    name.put("\uDC00", 1);
    assertThatThrownBy(() -> documents.serialize(FILE, name))
        .hasMessageContaining("lone-surrogate-in-name");
  }

  @Test
  void aLoneSurrogateAnywhereInANameOrAStringIsRefusedAndAPairAnywhereIsWritten() {
    String x = "x".repeat(4095); // the writer makes room per 4096 chars: the last of a chunk
    String[] lone = {
      "\uD800",
      "a\uD800",
      "\uD800a",
      "\uDC00",
      "\uDC00\uD800",
      "\uD800\uD800",
      x + "\uD800",
      x + "\uDC00y"
    };
    for (String s : lone) {
      ObjectNode value = NODES.objectNode();
      value.putObject("a").put("b", "ok").put("c", s);
      assertThatThrownBy(() -> documents.serialize(FILE, value))
          .as("value %s", s.length())
          .isInstanceOf(InvalidDocumentException.class)
          .hasMessageContaining("lone-surrogate-in-string")
          .hasMessageContaining("key=a.c");
      ObjectNode name = NODES.objectNode();
      name.putObject("a").put("b", "ok").put(s, 1);
      assertThatThrownBy(() -> documents.serialize(FILE, name))
          .as("name %s", s.length())
          .isInstanceOf(InvalidDocumentException.class)
          .hasMessageContaining("lone-surrogate-in-name")
          .hasMessageContaining("key=a." + s);
    }
    for (String s : new String[] {"\uD800\uDC00", x + "\uD83D\uDE00", "a.\uDBFF\uDFFF[", x + "."}) {
      ObjectNode tree = NODES.objectNode();
      tree.putObject("a").put(s, s);
      assertSameAsMapper(tree);
      assertThat(documents.serialize(FILE, tree).shape().dottedNames()).isEqualTo(s.contains("."));
    }
  }

  @Test
  void tooManyKeyCharactersForTheLengthAreRefusedAsTheWalkRefusesThem() {
    // Deep keys of short values: key characters grow with depth, bytes do not.
    ObjectNode tree = NODES.objectNode();
    ObjectNode at = tree;
    String name = "n".repeat(2000);
    for (int i = 0; i < 10; i++) {
      at = at.putObject(name);
    }
    ArrayNode leaves = at.putArray("x");
    for (int i = 0; i < 1000; i++) {
      leaves.add(0);
    }
    // About 20 million key characters: under the bound of any document, over this one's.
    long limit = Documents.flattenedCharsLimit(mapper.writeValueAsBytes(tree).length);
    assertThatThrownBy(() -> documents.serialize(FILE, tree))
        .isInstanceOf(DocumentTooLargeException.class)
        .hasMessageContaining("flattenedKeyChars>" + limit + " limit=" + limit);
  }

  private void assertSameAsMapper(ObjectNode tree) {
    byte[] expected = mapper.writeValueAsBytes(tree);
    Documents.Serialized s = documents.serialize(FILE, tree);
    assertThat(new String(s.bytes(), StandardCharsets.UTF_8))
        .isEqualTo(new String(expected, StandardCharsets.UTF_8));
    assertThat(Arrays.equals(s.bytes(), expected)).isTrue();
    assertThat(s.shape()).isEqualTo(Documents.shape(tree));
    // A reader's check of the bytes finds what the writer's walk found.
    assertThat(documents.check(FILE, s.bytes())).isEqualTo(s.shape());
  }

  /**
   * A tree of every kind of node, with names and strings of every class of character (control
   * characters in names only with {@code controlsInNames}); for {@link FastCheckTest} too.
   */
  static ObjectNode randomTree(Random random, boolean controlsInNames) {
    ObjectNode tree = NODES.objectNode();
    fill(tree, random, 0, controlsInNames);
    return tree;
  }

  private static void fill(ObjectNode object, Random random, int depth, boolean controls) {
    int n = random.nextInt(depth == 0 ? 12 : 6);
    for (int i = 0; i < n; i++) {
      String name = randomString(random, 8, controls);
      if (object.has(name)) {
        continue;
      }
      object.set(name, randomValue(random, depth + 1, controls));
    }
  }

  /** A value of any kind, a scalar from depth 6 on; for {@link RecheckTest} too. */
  static JsonNode randomValue(Random random, int depth, boolean controls) {
    int kind = random.nextInt(depth < 6 ? 14 : 11);
    return switch (kind) {
      case 0 -> NODES.stringNode(randomString(random, 40, true));
      case 1 -> NODES.numberNode(random.nextInt());
      case 2 -> NODES.numberNode(random.nextLong());
      case 3 -> NODES.numberNode(new BigInteger(100, random).negate());
      case 4 ->
          NODES.numberNode(new BigDecimal(new BigInteger(70, random), random.nextInt(80) - 40));
      case 5 -> NODES.numberNode(Double.longBitsToDouble(random.nextLong() >>> 2));
      case 6 -> NODES.numberNode(random.nextFloat() * 1e6f);
      case 7 -> NODES.booleanNode(random.nextBoolean());
      case 8 -> NODES.nullNode();
      case 9 -> NODES.numberNode(random.nextGaussian());
      case 10 -> NODES.stringNode("");
      case 11, 12 -> {
        ObjectNode o = NODES.objectNode();
        fill(o, random, depth, controls);
        yield o;
      }
      default -> {
        ArrayNode a = NODES.arrayNode();
        for (int i = random.nextInt(5); i > 0; i--) {
          a.add(randomValue(random, depth + 1, controls));
        }
        yield a;
      }
    };
  }

  /**
   * Characters of every class: controls, ASCII, two- and three-byte, pairs, dots and brackets;
   * without {@code controls}, none that JSON escapes.
   */
  private static String randomString(Random random, int maxLength, boolean controls) {
    StringBuilder s = new StringBuilder();
    for (int i = random.nextInt(maxLength + 1); i > 0; i--) {
      switch (random.nextInt(controls ? 7 : 6) + (controls ? 0 : 1)) {
        case 0 -> s.append((char) random.nextInt(0x20));
        case 1, 2 -> {
          char c = (char) (0x20 + random.nextInt(0x60));
          s.append(controls || (c != '"' && c != '\\') ? c : 'q');
        }
        case 3 -> s.append((char) (0x80 + random.nextInt(0x780)));
        case 4 -> s.append((char) (0x800 + random.nextInt(0xD000)));
        case 5 -> s.appendCodePoint(0x10000 + random.nextInt(0x100000));
        default -> s.append(random.nextBoolean() ? '.' : '[');
      }
    }
    return s.toString();
  }
}
