package io.github.jsonmmap;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A version checked against the last one ({@link Recheck}) against the same version checked whole
 * ({@link FastCheck}): whenever the recheck answers, the whole check vouches for the version too,
 * with the same shape, and the token starts carried over are token starts of the new version; over
 * chains of versions, each checked against the one before, with values changed, names renamed,
 * bytes mutated and white space added.
 */
class RecheckTest {

  private static final Path FILE = Path.of("/test/config.jsonmmap");
  private static final int DEPTH = 64;
  private static final long MAX_LENGTH = 1L << 26;
  private static final int MAX_NAME = 50_000;
  private static final int MAX_STRING = 100_000_000;

  private final JsonMapper mapper = new Documents(DEPTH, MAX_LENGTH).mapper();
  private final FastCheck.Scratch scratch = new FastCheck.Scratch();

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
  void aRecheckFindsWhatAWholeCheckFindsAlongChainsOfVersions(long seed) {
    Random random = new Random(seed);
    int rechecked = 0;
    int declined = 0;
    for (int doc = 0; doc < 30; doc++) {
      ObjectNode tree = CompactJsonTest.randomTree(random, false);
      boolean pretty = doc % 3 == 0;
      byte[] text = write(tree, pretty);
      // Every token start noted, or a few: the recheck passes equal bytes up to the last one.
      int spacing = new int[] {1, 7, 64, FastCheck.START_SPACING}[doc % 4];
      FastCheck.Checked last = whole(text, spacing);
      if (last == null) {
        continue;
      }
      for (int version = 0; version < 40; version++) {
        byte[] next;
        int change = random.nextInt(10);
        if (change < 5) {
          changeValues(tree, random, 1 + random.nextInt(3));
          next = write(tree, pretty);
        } else if (change < 8) {
          next = FastCheckTest.mutate(last.bytes(), random);
        } else if (change < 9) {
          next = CompactTextTest.withWhiteSpace(last.bytes(), random);
        } else {
          tree = CompactJsonTest.randomTree(random, false);
          next = write(tree, pretty);
        }
        FastCheck.Checked all = whole(next, 1);
        FastCheck.Checked re = Recheck.against(last, next, MAX_LENGTH, MAX_STRING);
        String shown = new String(last.bytes(), UTF_8) + "\n->\n" + new String(next, UTF_8);
        if (re == null) {
          declined++;
        } else {
          rechecked++;
          assertThat(all).as(shown).isNotNull();
          assertThat(re.shape()).as(shown).isEqualTo(all.shape());
          // The form: all the whole check found, and nothing but what the old version had besides.
          assertThat(re.form() & all.form()).as(shown).isEqualTo(all.form());
          assertThat(re.form() & ~(all.form() | last.form())).as(shown).isZero();
          if (last.form() == 0) {
            assertThat(re.form()).as(shown).isEqualTo(all.form());
          }
          assertThat(re.starts()).as(shown).hasSameSizeAs(last.starts()).isSorted();
          for (int start : re.starts()) {
            assertThat(Arrays.binarySearch(all.starts(), start)).as(shown).isNotNegative();
          }
          assertThat(re.bytes()).isSameAs(next);
        }
        FastCheck.Checked now = re != null ? re : whole(next, spacing);
        if (now != null) {
          last = now;
          if (change >= 5) {
            tree = (ObjectNode) mapper.readTree(next);
          }
        }
      }
    }
    // Neither side is empty: most value changes are rechecked, mutations mostly declined.
    assertThat(rechecked).isGreaterThan(300);
    assertThat(declined).isGreaterThan(100);
  }

  @Test
  void changedValuesOfALargeDocumentAreRecheckedAtEachDifference() {
    StringBuilder s = new StringBuilder("{\"seq\":1,\"items\":{");
    for (int i = 0; i < 2000; i++) {
      s.append(i == 0 ? "" : ",").append("\"svc").append(i).append("\":{\"port\":").append(i);
      s.append(",\"host\":\"h").append(i).append("\",\"tags\":[\"a\",true,null]}");
    }
    byte[] old = s.append("}}").toString().getBytes(UTF_8);
    FastCheck.Checked last = whole(old, FastCheck.START_SPACING);
    String text = new String(old, UTF_8);
    // Values changed near the start, in the middle and at the end, to other lengths and kinds.
    String changed =
        text.replace("\"seq\":1", "\"seq\":12345")
            .replace("\"port\":1000,", "\"port\":\"é\\u00e9\",")
            .replace("\"host\":\"h1999\"", "\"host\":-1.5e3");
    byte[] next = changed.getBytes(UTF_8);
    FastCheck.Checked re = Recheck.against(last, next, MAX_LENGTH, MAX_STRING);
    FastCheck.Checked all = whole(next, 1);
    assertThat(re).isNotNull();
    assertThat(re.shape()).isEqualTo(all.shape()).isEqualTo(last.shape());
    assertThat(re.form() & FastCheck.UNLIKE_WRITER).isNotZero();
    for (int start : re.starts()) {
      assertThat(Arrays.binarySearch(all.starts(), start)).isNotNegative();
    }
  }

  @Test
  void anyChangeButOfScalarValuesGoesToTheWholeCheck() {
    byte[] old = "{\"a\":1,\"b\":{\"c\":\"x\"},\"d\":[1,2]}".getBytes(UTF_8);
    FastCheck.Checked last = whole(old, 1);
    List<String> declined = new ArrayList<>();
    for (String next :
        List.of(
            "{\"a\":1,\"b\":{\"c\":\"x\"},\"d\":[1,2,3]}",
            "{\"a\":1,\"b\":{\"c\":\"x\"},\"d\":[12]}",
            "{\"a\":1,\"b\":{\"a\":\"x\"},\"d\":[1,2]}",
            "{\"a\":1,\"a\":{\"c\":\"x\"},\"d\":[1,2]}",
            "{\"a\":{},\"b\":{\"c\":\"x\"},\"d\":[1,2]}",
            "{\"a\":1,\"b\":{\"c\":\"x\"},\"d\":[1,2]}x",
            "{\"a\":1,\"b\":{\"c\":\"x\"},\"d\":[1,2]",
            "{\"a\":1,\"b\":{\"c\":\"x\"},\"d\":[1,2],\"e\":3}",
            "{\"a\":1x,\"b\":{\"c\":\"x\"},\"d\":[1,2]}",
            "{\"a\":01,\"b\":{\"c\":\"x\"},\"d\":[1,2]}",
            "{\"a\":tru,\"b\":{\"c\":\"x\"},\"d\":[1,2]}",
            "{\"a\":\"\\ud800\",\"b\":{\"c\":\"x\"},\"d\":[1,2]}",
            "{\"a\":\"\u0001\",\"b\":{\"c\":\"x\"},\"d\":[1,2]}",
            "{\"a\":1,\"b\":{\"c\":\"x\":1},\"d\":[1,2]}")) {
      if (Recheck.against(last, next.getBytes(UTF_8), MAX_LENGTH, MAX_STRING) == null) {
        declined.add(next);
      }
    }
    assertThat(declined).hasSize(14);
    // And a longer value past the document length limit, or a string past its own.
    byte[] longer = "{\"a\":1234,\"b\":{\"c\":\"x\"},\"d\":[1,2]}".getBytes(UTF_8);
    assertThat(Recheck.against(last, longer, old.length, MAX_STRING)).isNull();
    byte[] string = "{\"a\":1,\"b\":{\"c\":\"xyz\"},\"d\":[1,2]}".getBytes(UTF_8);
    assertThat(Recheck.against(last, string, MAX_LENGTH, 2)).isNull();
    assertThat(Recheck.against(last, string, MAX_LENGTH, 3)).isNotNull();
  }

  @Test
  void aVersionChangedThroughoutIsGivenUpEarly() {
    StringBuilder a = new StringBuilder("{\"v\":[");
    StringBuilder b = new StringBuilder("{\"v\":[");
    for (int i = 0; i < 100_000; i++) {
      a.append(i == 0 ? "" : ",").append(i);
      b.append(i == 0 ? "" : ",").append(i + 1);
    }
    FastCheck.Checked last = whole(a.append("]}").toString().getBytes(UTF_8), 64);
    byte[] next = b.append("]}").toString().getBytes(UTF_8);
    // Every value differs: more than a quarter of the document, so the whole check runs instead.
    assertThat(Recheck.against(last, next, MAX_LENGTH, MAX_STRING)).isNull();
    assertThat(whole(next, 64)).isNotNull();
  }

  @Test
  void aDocumentsCheckKeepsCheckingEachVersionAgainstTheLast() {
    Documents documents = new Documents(DEPTH, MAX_LENGTH);
    ObjectNode tree = CompactJsonTest.randomTree(new Random(42), false);
    Random random = new Random(43);
    for (int i = 0; i < 200; i++) {
      changeValues(tree, random, 1);
      byte[] bytes = write(tree, false);
      assertThat(documents.check(FILE, bytes)).isEqualTo(documents.fullCheck(FILE, bytes));
      byte[] broken = FastCheckTest.mutate(bytes, random);
      Documents.Shape full;
      try {
        full = documents.fullCheck(FILE, broken);
      } catch (JsonMmapException e) {
        full = null;
      }
      if (full != null) {
        assertThat(documents.check(FILE, broken)).isEqualTo(full);
      }
    }
  }

  private FastCheck.Checked whole(byte[] bytes, int spacing) {
    return FastCheck.checked(bytes, DEPTH, MAX_LENGTH, MAX_NAME, MAX_STRING, scratch, spacing);
  }

  private byte[] write(JsonNode tree, boolean pretty) {
    return pretty
        ? mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(tree)
        : mapper.writeValueAsBytes(tree);
  }

  /** Sets {@code count} scalars of the tree, found at random, to random scalars. */
  private static void changeValues(ObjectNode tree, Random random, int count) {
    for (int i = 0; i < count; i++) {
      JsonNode container = tree;
      while (true) {
        List<JsonNode> children = new ArrayList<>();
        container.values().forEach(children::add);
        if (children.isEmpty()) {
          break;
        }
        int at = random.nextInt(children.size());
        JsonNode child = children.get(at);
        if (child.isContainer() && random.nextInt(4) != 0) {
          container = child;
          continue;
        }
        if (child.isContainer()) {
          break;
        }
        JsonNode value = CompactJsonTest.randomValue(random, 6, true);
        if (container instanceof ObjectNode o) {
          o.set(new ArrayList<>(o.propertyNames()).get(at), value);
        } else {
          ((ArrayNode) container).set(at, value);
        }
        break;
      }
    }
  }
}
