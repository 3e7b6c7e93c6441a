package io.github.jsonmmap;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The cost of taking in a version is bounded whatever its shape: documents whose flattened form
 * would be far larger than themselves are refused by the writer before it publishes and by a reader
 * when planted raw; flattening happens once, on first use; a diff builds only the keys that differ.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BoundedDocumentTest {

  @TempDir Path dir;

  private Path file() {
    return dir.resolve("config.json");
  }

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** One long name over many small leaves: each flattened key repeats the name. */
  static ObjectNode longPrefix(int prefix, int leaves) {
    ObjectNode root = NODES.objectNode();
    ObjectNode inner = root.putObject("p".repeat(prefix));
    for (int i = 0; i < leaves; i++) {
      inner.put(Integer.toString(i), 0);
    }
    return root;
  }

  /** A chain of objects whose names add up, with many leaves at the bottom. */
  static ObjectNode deepPrefix(int depth, int nameLength, int leaves) {
    ObjectNode root = NODES.objectNode();
    ObjectNode node = root;
    for (int d = 0; d < depth; d++) {
      node = node.putObject("n".repeat(nameLength));
    }
    ArrayNode array = node.putArray("a");
    for (int i = 0; i < leaves; i++) {
      array.add(0);
    }
    return root;
  }

  /** More leaves than any document may have, each as small as JSON allows. */
  static ObjectNode manyLeaves(int leaves) {
    ObjectNode root = NODES.objectNode();
    ArrayNode array = root.putArray("a");
    for (int i = 0; i < leaves; i++) {
      array.add(0);
    }
    return root;
  }

  static Stream<Arguments> worstShapes() {
    return Stream.of(
        Arguments.of(
            "long prefix over many leaves", longPrefix(10_000, 20_000), "flattenedKeyChars"),
        Arguments.of(
            "deep names over many leaves", deepPrefix(400, 40, 2_000), "flattenedKeyChars"),
        Arguments.of(
            "more leaves than allowed",
            manyLeaves(Documents.MAX_FLATTENED_KEYS + 1),
            "flattenedKeys"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("worstShapes")
  void writerRefusesACostlyShapeBeforePublishing(String name, ObjectNode document, String bound) {
    try (JsonMmapFile writer = JsonMmapFile.open(file(), Role.WRITER)) {
      writer.publish(Map.of("k", "v"));

      Throwable e = catchThrowable(() -> writer.publish(document));

      assertThat(e).isInstanceOf(DocumentTooLargeException.class);
      assertThat(e.getMessage())
          .contains("path=" + file())
          .contains("too costly to flatten")
          .contains(bound + ">")
          .contains("limit=");
      assertThat(writer.snapshot().version()).isEqualTo(2);
      assertThat(FileSurgery.currentVersion(file())).isEqualTo(2);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("worstShapes")
  void readerRefusesACostlyShapePlantedRawAndKeepsItsLastGoodVersion(
      String name, ObjectNode document, String bound) {
    byte[] planted = Documents.defaultMapper().writeValueAsBytes(document);
    try (JsonMmapFile writer = JsonMmapFile.open(file(), Role.WRITER);
        JsonMmapFile reader = JsonMmapFile.open(file(), Role.READER)) {
      writer.publish(Map.of("k", "good"));
      assertThat(reader.refresh().version()).isEqualTo(2);

      FileSurgery.commitNextVersion(file(), planted, FileSurgery.crc32(planted));
      Snapshot seen = reader.refresh();

      assertThat(seen.version()).isEqualTo(2);
      assertThat(seen.get("k")).isEqualTo("good");
      JsonMmapException e = reader.lastError().orElseThrow();
      assertThat(e).isInstanceOf(InvalidDocumentException.class);
      assertThat(e.getMessage()).contains("too costly to flatten").contains(bound + ">");
    }
  }

  @Test
  void aDocumentJustWithinTheBoundsIsPublishedAndRead() {
    // An array of small numbers under a name of 40 characters: about 22 key characters per byte.
    ObjectNode document = deepPrefix(1, 40, 200_000);
    try (JsonMmapFile writer = JsonMmapFile.open(file(), Role.WRITER);
        JsonMmapFile reader = JsonMmapFile.open(file(), Role.READER)) {
      Snapshot written = writer.publish(document);
      Snapshot seen = reader.refresh();
      assertThat(seen.version()).isEqualTo(written.version());
      assertThat(seen.flat()).hasSize(200_000);
      assertThat(Documents.flattenedCharsLimit(seen.size())).isGreaterThan(seen.shape().keyChars());
    }
  }

  @Test
  void theRootObjectCountsAsTheFirstLevelOfNesting() {
    int limit = JsonMmapOptions.DEFAULT_MAX_NESTING_DEPTH;
    try (JsonMmapFile writer = JsonMmapFile.open(file(), Role.WRITER);
        JsonMmapFile reader = JsonMmapFile.open(file(), Role.READER)) {
      byte[] deepest = nested(limit).getBytes(UTF_8);
      FileSurgery.commitNextVersion(file(), deepest, FileSurgery.crc32(deepest));
      assertThat(reader.refresh().version()).isEqualTo(2);
      assertThat(reader.lastError()).isEmpty();

      byte[] tooDeep = nested(limit + 1).getBytes(UTF_8);
      FileSurgery.commitNextVersion(file(), tooDeep, FileSurgery.crc32(tooDeep));
      assertThat(reader.refresh().version()).isEqualTo(2);
      assertThat(reader.lastError().orElseThrow().getMessage())
          .contains("nesting depth (" + (limit + 1) + ")");
      assertThat(writer.isWriter()).isTrue();
    }
  }

  /** {@code depth} nested objects, the root included. */
  private static String nested(int depth) {
    return "{\"a\":".repeat(depth - 1) + "{}" + "}".repeat(depth - 1);
  }

  @Test
  void flatteningWaitsForTheFirstLookupAndHappensOnceWhicheverThreadsAsk() throws Exception {
    try (JsonMmapFile writer = JsonMmapFile.open(file(), Role.WRITER);
        JsonMmapFile reader = JsonMmapFile.open(file(), Role.READER)) {
      writer.publish(Map.of("a", Map.of("b", List.of(1, 2)), "c", "d"));
      writer.set("c", "e");
      Snapshot seen = reader.refresh();
      assertThat(seen.isFlattened()).isFalse();
      Change change = new Change(Snapshot.empty(file(), Documents.defaultMapper()), seen, 0);
      assertThat(change.keys().added()).containsExactly("a.b[0]", "a.b[1]", "c");
      assertThat(seen.isFlattened()).as("a diff needs no flattening").isFalse();

      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Callable<Map<String, Object>>> calls = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
          calls.add(seen::flat);
        }
        List<Future<Map<String, Object>>> results = pool.invokeAll(calls);
        Map<String, Object> first = results.get(0).get();
        for (Future<Map<String, Object>> f : results) {
          assertThat(f.get()).isSameAs(first);
        }
        assertThat(seen.flat()).isSameAs(first).containsEntry("a.b[1]", 2);
        assertThat(seen.get("c")).isEqualTo("e");

        // The diff too: one result for every thread that asks a fresh change at once.
        Change fresh = new Change(reader.snapshot(), seen, 0);
        List<Callable<ChangedKeys>> diffs = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
          diffs.add(fresh::keys);
        }
        List<Future<ChangedKeys>> keys = pool.invokeAll(diffs);
        for (Future<ChangedKeys> f : keys) {
          assertThat(f.get()).isSameAs(keys.get(0).get());
        }
        assertThat(fresh.keys()).isSameAs(keys.get(0).get());
      } finally {
        pool.shutdownNow();
      }
    }
  }

  // ---------------------------------------------------------------- the tree diff

  private static JsonNode randomNode(Random r, int depth) {
    int pick = r.nextInt(depth > 3 ? 6 : 9);
    switch (pick) {
      case 0:
        return NODES.numberNode(r.nextInt(3));
      case 1:
        return NODES.stringNode("s" + r.nextInt(3));
      case 2:
        return NODES.nullNode();
      case 3:
        return NODES.booleanNode(r.nextBoolean());
      case 4:
        return NODES.objectNode();
      case 5:
        return NODES.arrayNode();
      case 6:
      case 7:
        ObjectNode o = NODES.objectNode();
        for (int i = r.nextInt(4); i > 0; i--) {
          o.set("k" + r.nextInt(4), randomNode(r, depth + 1));
        }
        return o;
      default:
        ArrayNode a = NODES.arrayNode();
        for (int i = r.nextInt(4); i > 0; i--) {
          a.add(randomNode(r, depth + 1));
        }
        return a;
    }
  }

  private static ObjectNode randomDocument(Random r) {
    ObjectNode root = NODES.objectNode();
    for (int i = r.nextInt(5); i > 0; i--) {
      root.set("r" + r.nextInt(4), randomNode(r, 1));
    }
    return root;
  }

  /** Changes a few places of a copy, so that most pairs share most of their structure. */
  private static ObjectNode mutate(Random r, ObjectNode document) {
    ObjectNode copy = document.deepCopy();
    for (int i = r.nextInt(3); i >= 0; i--) {
      copy.set("r" + r.nextInt(4), r.nextInt(4) == 0 ? randomNode(r, 1) : copy.get("r0"));
      if (r.nextBoolean() && copy.get("r1") != null) {
        copy.remove("r1");
      }
    }
    return copy;
  }

  @Test
  void treeDiffFindsExactlyTheKeysAFlatDiffFinds() {
    Random r = new Random(7);
    for (int round = 0; round < 20_000; round++) {
      ObjectNode before = randomDocument(r);
      ObjectNode after = r.nextBoolean() ? randomDocument(r) : mutate(r, before);
      ChangedKeys flat = Documents.diff(Documents.flatten(before), Documents.flatten(after));
      ChangedKeys tree = Documents.diffTrees(before, after);
      assertThat(tree).as("%s -> %s", before, after).isEqualTo(flat);
    }
  }

  @Test
  void lookupsWithoutFlatteningAnswerAsTheFlattenedMapDoes() {
    Random r = new Random(11);
    String[] suffixes = {"", "x", ".x", "[0]", "[00]", "[1]", "[01]", ".", "[", "]", "[x]", ".k0"};
    for (int round = 0; round < 5_000; round++) {
      ObjectNode document = randomDocument(r);
      Map<String, Object> flat = Documents.flatten(document);
      List<String> keys = new ArrayList<>(flat.keySet());
      keys.add("");
      keys.add("r0");
      keys.add("[0]");
      for (String key : new ArrayList<>(keys)) {
        for (String suffix : suffixes) {
          keys.add(key + suffix);
        }
        if (!key.isEmpty()) {
          keys.add(key.substring(0, key.length() - 1));
        }
      }
      for (String key : keys) {
        Object found = Documents.lookup(document, key);
        assertThat(found != Documents.ABSENT)
            .as("%s in %s", key, document)
            .isEqualTo(flat.containsKey(key));
        if (found != Documents.ABSENT) {
          assertThat(found).as("%s in %s", key, document).isEqualTo(flat.get(key));
        }
      }
    }
  }

  @Test
  void lookupsInTheBytesAnswerAsTheFlattenedMapDoes() {
    Documents documents = new Documents(64, 1 << 20);
    Random r = new Random(13);
    String[] suffixes = {"", "x", ".x", "[0]", "[00]", "[1]", "[01]", ".", "[", "]", "[x]", ".k0"};
    for (int round = 0; round < 3_000; round++) {
      ObjectNode document = randomDocument(r);
      byte[] bytes = document.toString().getBytes(UTF_8);
      documents.check(file(), bytes);
      Map<String, Object> flat = Documents.flatten(documents.parseValid(file(), bytes));
      List<String> keys = new ArrayList<>(flat.keySet());
      keys.add("");
      keys.add("r0");
      keys.add("[0]");
      for (String key : new ArrayList<>(keys)) {
        for (String suffix : suffixes) {
          keys.add(key + suffix);
        }
        if (!key.isEmpty()) {
          keys.add(key.substring(0, key.length() - 1));
        }
      }
      for (String key : keys) {
        Documents.Found found = documents.lookup(file(), bytes, key);
        assertThat(found.value() != Documents.ABSENT)
            .as("%s in %s", key, document)
            .isEqualTo(flat.containsKey(key));
        if (found.value() != Documents.ABSENT) {
          assertThat(found.value()).as("%s in %s", key, document).isEqualTo(flat.get(key));
        }
        assertThat(found.consumed()).isBetween(0L, (long) bytes.length);
      }
    }
  }

  @Test
  void theStreamingCheckAcceptsAndRefusesExactlyWhatTheTreeParseDoes() {
    Documents documents = new Documents(8, 4096);
    Random r = new Random(17);
    String[] pieces = {
      "{",
      "}",
      "[",
      "]",
      ",",
      ":",
      "\"a\"",
      "\"a\"",
      "\"b.c\"",
      "\"\"",
      "1",
      "-0",
      "1.50",
      "1e100001",
      "1e-99999",
      "123456789012345678901234567890",
      "true",
      "null",
      "\"\\u00e9\"",
      "\"\\ud800\"",
      "\"\\x\"",
      " ",
      "\"é\""
    };
    int accepted = 0;
    for (int round = 0; round < 20_000; round++) {
      String text;
      if (r.nextInt(3) == 0) {
        StringBuilder b = new StringBuilder();
        for (int i = r.nextInt(12); i >= 0; i--) {
          b.append(pieces[r.nextInt(pieces.length)]);
        }
        text = b.toString();
      } else {
        String valid = randomDocument(r).toString();
        int at = r.nextInt(valid.length() + 1);
        String piece = pieces[r.nextInt(pieces.length)];
        text =
            r.nextBoolean()
                ? valid.substring(0, at) + piece + valid.substring(at)
                : valid.substring(0, at)
                    + piece
                    + valid.substring(Math.min(valid.length(), at + 1));
      }
      byte[] bytes = text.getBytes(UTF_8);
      Throwable byTree = catchThrowable(() -> documents.parseChecked(file(), bytes));
      Throwable byStream = catchThrowable(() -> documents.check(file(), bytes));
      assertThat(byStream == null)
          .as("%s: tree %s, stream %s", text, byTree, byStream)
          .isEqualTo(byTree == null);
      if (byTree == null) {
        accepted++;
        assertThat(documents.check(file(), bytes))
            .isEqualTo(documents.parseChecked(file(), bytes).shape());
      } else {
        assertThat(byStream).as(text).hasSameClassAs(byTree);
      }
    }
    assertThat(accepted).as("some documents are valid").isGreaterThan(1000);
  }

  /**
   * The streaming check finds duplicate names itself (a list while an object is small, a table once
   * it is not, reused level by level): in objects of every size, wherever the duplicate sits, and
   * nested; the same names in sibling objects and after a large object at the same level are no
   * duplicates. The tree parse, with Jackson's own detection, agrees on every document.
   */
  @Test
  void duplicateNamesAreFoundInObjectsOfEverySizeAndOnlyWithinOneObject() {
    Documents documents = new Documents(8, 1 << 20);
    Random r = new Random(29);
    int refused = 0;
    for (int round = 0; round < 3_000; round++) {
      int names = 1 + r.nextInt(r.nextBoolean() ? 12 : 200);
      List<String> keys = new ArrayList<>();
      for (int i = 0; i < names; i++) {
        keys.add("k" + i);
      }
      boolean duplicate = names > 1 && r.nextBoolean();
      if (duplicate) {
        int copy = 1 + r.nextInt(names - 1);
        keys.set(copy, keys.get(r.nextInt(copy)));
        // A name twice at any position: the copy may come before or after the original.
        Collections.shuffle(keys, r);
      }
      StringBuilder object = new StringBuilder("{");
      for (int i = 0; i < keys.size(); i++) {
        object.append(i == 0 ? "" : ",").append('"').append(keys.get(i)).append("\":").append(i);
      }
      object.append('}');
      // Siblings first (a large one, then small ones with the same names), then the object itself,
      // at the root or nested.
      String siblings =
          "\"big\":" + bigObject(r.nextInt(300)) + ",\"small\":[{\"k0\":1,\"k1\":2},{\"k1\":1}]";
      String text =
          r.nextBoolean() ? "{" + siblings + ",\"o\":{\"p\":" + object + "}}" : object.toString();
      byte[] bytes = text.getBytes(UTF_8);
      Throwable byTree = catchThrowable(() -> documents.parseChecked(file(), bytes));
      Throwable byStream = catchThrowable(() -> documents.check(file(), bytes));
      assertThat(byTree == null).as(text).isEqualTo(!duplicate);
      assertThat(byStream == null).as(text).isEqualTo(!duplicate);
      if (duplicate) {
        refused++;
        assertThat(byStream)
            .isInstanceOf(InvalidDocumentException.class)
            .hasMessageContaining("not valid JSON")
            .hasMessageContaining("Duplicate")
            .hasMessageContaining("line=1");
      }
    }
    assertThat(refused).isGreaterThan(1000);
  }

  /**
   * Names made to share one hash code (two-character blocks "Aa" and "BB" hash alike, so the 2^n
   * names of n blocks all collide) cost no more than others: past a short probe the object's names
   * move to a set that keeps colliding strings in a balanced tree. A duplicate among them is still
   * found.
   */
  @Test
  void namesThatShareAHashCodeAreCheckedInBoundedTimeAndTheirDuplicateIsFound() {
    int blocks = 17;
    StringBuilder text = new StringBuilder("{");
    List<String> names = new ArrayList<>();
    for (int bits = 0; bits < 1 << blocks; bits++) {
      StringBuilder name = new StringBuilder();
      for (int b = 0; b < blocks; b++) {
        name.append((bits >> b & 1) == 0 ? "Aa" : "BB");
      }
      names.add(name.toString());
    }
    assertThat(names.stream().map(String::hashCode).distinct()).hasSize(1);
    for (int i = 0; i < names.size(); i++) {
      text.append(i == 0 ? "" : ",").append('"').append(names.get(i)).append("\":").append(i);
    }
    Documents documents = new Documents(8, 16L << 20);
    byte[] valid = text.append('}').toString().getBytes(UTF_8);
    byte[] duplicated =
        (text.substring(0, text.length() - 1) + ",\"" + names.get(names.size() / 2) + "\":0}")
            .getBytes(UTF_8);
    // 131,072 colliding names: a table probed linearly would take minutes (past the class's
    // timeout); this takes milliseconds.
    assertThat(documents.check(file(), valid).keys()).isEqualTo(names.size());
    assertThatThrownBy(() -> documents.check(file(), duplicated))
        .isInstanceOf(InvalidDocumentException.class)
        .hasMessageContaining("Duplicate");
  }

  /**
   * Names with consecutive hash codes ({@code svc000000, svc000001...}, the way generated
   * configuration names its entries) spread over the table instead of filling one run of slots that
   * pushes the object to the fallback set; a duplicate among them is still found.
   */
  @Test
  void namesWithConsecutiveHashCodesStayInTheTable() {
    Documents.Names names = new Documents.Names();
    for (int i = 0; i < 200_000; i++) {
      assertThat(names.add(String.format(Locale.ROOT, "svc%06d", i))).isTrue();
    }
    assertThat(names.fellBack()).isFalse();
    assertThat(names.add("svc123456")).isFalse();
    names.clear();
    assertThat(names.add("svc123456")).isTrue();
  }

  /**
   * The check reads a short decimal's scale off its characters instead of building it: the same
   * scale {@link BigDecimal} gives, for every form JSON allows (sign, fraction, exponent with
   * either letter and sign), and long ones are left to {@link BigDecimal}.
   */
  @Test
  void aShortDecimalsScaleIsTheOneBigDecimalGives() {
    Random r = new Random(12);
    for (int round = 0; round < 100_000; round++) {
      StringBuilder b = new StringBuilder();
      if (r.nextBoolean()) {
        b.append('-');
      }
      b.append(r.nextInt(4) == 0 ? "0" : String.valueOf(1 + r.nextInt(99_999)));
      if (r.nextInt(4) != 0) {
        b.append('.');
        for (int i = r.nextInt(12); i >= 0; i--) {
          b.append((char) ('0' + r.nextInt(10)));
        }
      }
      if (r.nextInt(3) != 0) {
        b.append(r.nextBoolean() ? 'e' : 'E');
        int sign = r.nextInt(3);
        b.append(sign == 0 ? "" : sign == 1 ? "+" : "-");
        b.append(r.nextInt((int) Math.pow(10, 1 + r.nextInt(6))));
      }
      String text = b.toString();
      long scale = Documents.shortDecimalScale(text.toCharArray(), 0, text.length());
      if (text.length() > 24) {
        assertThat(scale).as(text).isEqualTo(Documents.NOT_SHORT);
      } else {
        assertThat(scale).as(text).isEqualTo(new BigDecimal(text).scale());
      }
    }
    // Through the check: the parser's own characters of the token.
    Documents documents = new Documents(8, 1 << 20);
    assertThat(documents.check(file(), "{\"a\":-1.5E-99998,\"b\":2e+99999}".getBytes(UTF_8)).keys())
        .isEqualTo(2);
    assertThatThrownBy(() -> documents.check(file(), "{\"a\":[1.25e-99999]}".getBytes(UTF_8)))
        .hasMessageContaining("key=a[0] problem=exponent-out-of-range");
    assertThatThrownBy(() -> documents.check(file(), "{\"a\":1e100001}".getBytes(UTF_8)))
        .hasMessageContaining("problem=exponent-out-of-range");
    char[] padded = "xx1.25e-3yy".toCharArray();
    assertThat(Documents.shortDecimalScale(padded, 2, 7)).isEqualTo(5);
    assertThat(Documents.shortDecimalScale("1e1234567".toCharArray(), 0, 9))
        .isEqualTo(Documents.NOT_SHORT);
    assertThat(Documents.shortDecimalScale("0.1234567890123456789012345".toCharArray(), 0, 27))
        .isEqualTo(Documents.NOT_SHORT);
  }

  private static String bigObject(int names) {
    StringBuilder b = new StringBuilder("{");
    for (int i = 0; i < names; i++) {
      b.append(i == 0 ? "" : ",")
          .append("\"k")
          .append(i)
          .append("\":{\"k")
          .append(i)
          .append("\":0}");
    }
    return b.append('}').toString();
  }

  @Test
  void aReadVersionIsParsedOnlyWhenSomethingNeedsItsTree() {
    try (JsonMmapFile writer = JsonMmapFile.open(file(), Role.WRITER);
        JsonMmapFile reader = JsonMmapFile.open(file(), Role.READER)) {
      ObjectNode document = NODES.objectNode();
      document.put("c", "d");
      document.putObject("a").putArray("b").add(1).add(2);
      document.put("padding", "p".repeat(200));
      writer.publish(document);
      Snapshot seen = reader.refresh();
      assertThat(seen.get("c")).isEqualTo("d");
      assertThat(seen.get("a.b[1]")).isEqualTo(2);
      assertThat(seen.contains("a.b")).isFalse();
      assertThat(seen.isParsed()).as("lookups near the start read the bytes").isFalse();
      assertThat(seen.get("a.b", List.class)).contains(List.of(1, 2));
      assertThat(seen.isParsed()).isTrue();
      assertThat(seen.get("c")).isEqualTo("d");
    }
  }

  @Test
  void aFewLookupsLeaveTheSnapshotUnflattenedAndManyFlattenIt() {
    ObjectNode document = NODES.objectNode();
    document.putObject("a").putArray("b").add(1).add(NODES.objectNode());
    Snapshot s = Snapshot.written(file(), 1, 0, null, new byte[0], document, null);
    assertThat(s.get("a.b[0]")).isEqualTo(1);
    assertThat(s.get("a.b[1]")).isEqualTo(Map.of());
    assertThat(s.contains("a.b")).isFalse();
    assertThat(s.get("a.b[2]")).isNull();
    assertThat(s.isFlattened()).isFalse();
    for (int i = 0; i < 32; i++) {
      assertThat(s.get("a.b[0]")).isEqualTo(1);
    }
    assertThat(s.isFlattened()).isTrue();
    assertThat(s.get("a.b[1]")).isEqualTo(Map.of());
  }

  @Test
  void namesWithDotsFallBackToTheFlatDiff() {
    ObjectNode before = NODES.objectNode();
    before.put("a.b", 1);
    before.putObject("a").put("b", 2);
    ObjectNode after = NODES.objectNode();
    after.putObject("a").put("b", 2);
    after.put("a.b", 2);
    Snapshot s1 = Snapshot.written(file(), 1, 0, null, new byte[0], before, null);
    Snapshot s2 = Snapshot.written(file(), 2, 0, null, new byte[0], after, null);

    assertThat(s1.shape().dottedNames()).isTrue();
    assertThat(ChangedKeys.between(s1, s2))
        .isEqualTo(Documents.diff(Documents.flatten(before), Documents.flatten(after)));
  }
}
