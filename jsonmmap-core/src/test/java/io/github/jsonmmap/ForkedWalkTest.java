package io.github.jsonmmap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The walk of a large tree shared between two threads ({@link WalkHelper}): the same bytes, counts
 * and refusals as one walk, wherever the large container sits and whichever half is bad.
 */
class ForkedWalkTest {

  private static final Path FILE = Path.of("/test/config.jsonmmap");
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final int ENTRIES = 3 * Documents.FORK_MIN_ENTRIES;

  private final Documents documents = new Documents(64, 1L << 26);
  private final JsonMapper mapper = documents.mapper();

  /** A walk that may fork (when there is a second core), as a publish of a large document's. */
  private static Documents.Walk forking(CompactJson out, long charsLimit) {
    Documents.Walk walk = new Documents.Walk(FILE, charsLimit, true, 1000, 1000, 64, out);
    walk.forkLargeContainer(Documents.FORK_MIN_BYTES);
    return walk;
  }

  private static Documents.Walk single(CompactJson out, long charsLimit) {
    return new Documents.Walk(FILE, charsLimit, true, 1000, 1000, 64, out);
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6})
  void largeContainersAnywhereWalkToTheMappersBytesAndOneWalksCounts(long seed) {
    Random random = new Random(seed);
    for (int round = 0; round < 6; round++) {
      ObjectNode tree = CompactJsonTest.randomTree(random, true);
      // A large object or array at the root or nested, before or after other large ones.
      ObjectNode at = tree;
      for (int depth = random.nextInt(3); depth > 0; depth--) {
        at = at.putObject("level" + depth);
      }
      int entries = Documents.FORK_MIN_ENTRIES + random.nextInt(ENTRIES);
      if (random.nextBoolean()) {
        ObjectNode big = at.putObject("big");
        for (int i = 0; i < entries; i++) {
          big.set(
              "k" + i + (i % 7 == 0 ? ".dotted" : ""), CompactJsonTest.randomTree(random, true));
        }
      } else {
        ArrayNode big = at.putArray("big");
        for (int i = 0; i < entries; i++) {
          big.add(i % 3 == 0 ? NODES.numberNode(i) : CompactJsonTest.randomTree(random, false));
        }
      }
      tree.putArray("later").add(1).add("two");
      assertForkedSameAsOneWalk(tree);
    }
  }

  @Test
  void aRootOfManyNamesIsSplitToo() {
    ObjectNode tree = NODES.objectNode();
    for (int i = 0; i < ENTRIES; i++) {
      tree.put("name" + i, i % 2 == 0 ? "v" + i : "é\n\"" + i);
    }
    assertForkedSameAsOneWalk(tree);
  }

  @Test
  void aNameThatMakesFlatteningAmbiguousIsNotedInEitherHalf() {
    for (int at : new int[] {0, ENTRIES - 1}) {
      ObjectNode tree = NODES.objectNode();
      ObjectNode big = tree.putObject("big");
      for (int i = 0; i < ENTRIES; i++) {
        big.put(i == at ? "a.b" : "n" + i, i);
      }
      assertForkedSameAsOneWalk(tree);
      Documents.Walk forked = forking(new CompactJson(null, 0), Long.MAX_VALUE);
      forked.root(tree);
      assertThat(forked.dottedNames).isTrue();
    }
  }

  private void assertForkedSameAsOneWalk(ObjectNode tree) {
    CompactJson forkedOut = new CompactJson(null, 0);
    Documents.Walk forked = forking(forkedOut, Long.MAX_VALUE);
    forked.root(tree);
    CompactJson singleOut = new CompactJson(null, 0);
    Documents.Walk one = single(singleOut, Long.MAX_VALUE);
    one.root(tree);
    byte[] expected = mapper.writeValueAsBytes(tree);
    assertThat(new String(forkedOut.toByteArray(), StandardCharsets.UTF_8))
        .isEqualTo(new String(expected, StandardCharsets.UTF_8));
    assertThat(singleOut.toByteArray()).isEqualTo(expected);
    assertThat(forked.keys).isEqualTo(one.keys);
    assertThat(forked.keyChars).isEqualTo(one.keyChars);
    assertThat(forked.dottedNames).isEqualTo(one.dottedNames);
  }

  @Test
  void aPublishOfALargeTreeAfterALargeOneWritesTheSameBytesAndShape() {
    ObjectNode tree = NODES.objectNode();
    ObjectNode items = tree.putObject("items");
    for (int i = 0; i < 30_000; i++) {
      ObjectNode item = items.putObject(String.format("svc%06d", i));
      item.put("host", "10.0." + i / 250 + "." + i % 250);
      item.put("port", 8000 + i);
      item.put("weight", 0.25 * (i % 4));
      item.putArray("tags").add("zone-" + i % 3).add("tier-" + i % 2);
    }
    byte[] expected = mapper.writeValueAsBytes(tree);
    assertThat(expected.length).isGreaterThan(Documents.FORK_MIN_BYTES);
    // The first publish does not know the size yet; the ones after a large one may fork.
    for (int i = 0; i < 3; i++) {
      Documents.Serialized s = documents.serialize(FILE, tree);
      assertThat(s.bytes()).isEqualTo(expected);
      assertThat(s.shape()).isEqualTo(Documents.shape(tree));
      assertThat(documents.check(FILE, s.bytes())).isEqualTo(s.shape());
    }
  }

  @Test
  void aBadValueInEitherHalfIsNamedByItsKeyAsOneWalkNamesIt() {
    for (int bad : new int[] {0, 1, ENTRIES / 2 - 1, ENTRIES / 2, ENTRIES / 2 + 1, ENTRIES - 1}) {
      ObjectNode tree = NODES.objectNode();
      ObjectNode big = tree.putObject("a").putObject("big");
      for (int i = 0; i < ENTRIES; i++) {
        big.putObject("k" + i).put("v", i == bad ? "lone \uD800" : "fine");
      }
      assertSameRefusal(tree, "key=a.big.k" + bad + ".v problem=lone-surrogate-in-string");

      ObjectNode arrays = NODES.objectNode();
      ArrayNode list = arrays.putArray("list");
      for (int i = 0; i < ENTRIES; i++) {
        list.add(i == bad ? NODES.numberNode(Double.NaN) : NODES.numberNode(i));
      }
      assertSameRefusal(arrays, "key=list[" + bad + "] problem=non-finite-number");
    }
  }

  @Test
  void whenBothHalvesAreBadTheFirstHalfsProblemIsReported() {
    ObjectNode tree = NODES.objectNode();
    ArrayNode list = tree.putArray("list");
    for (int i = 0; i < ENTRIES; i++) {
      list.add(i == 10 || i == ENTRIES - 10 ? NODES.numberNode(Double.NaN) : NODES.numberNode(i));
    }
    assertSameRefusal(tree, "key=list[10] problem=non-finite-number");
  }

  private void assertSameRefusal(ObjectNode tree, String expected) {
    Throwable forked = catchFrom(() -> forking(new CompactJson(null, 0), Long.MAX_VALUE), tree);
    Throwable one = catchFrom(() -> single(new CompactJson(null, 0), Long.MAX_VALUE), tree);
    assertThat(forked).isNotNull().hasSameClassAs(one);
    assertThat(describe(forked)).isEqualTo(describe(one)).contains(expected);
  }

  private static Throwable catchFrom(
      java.util.function.Supplier<Documents.Walk> walks, ObjectNode tree) {
    try {
      walks.get().root(tree);
      return null;
    } catch (RuntimeException e) {
      // The message a publish gives: the path of keys and the problem.
      return Documents.publishFailure(FILE, e);
    }
  }

  private static String describe(Throwable t) {
    return t.getClass().getSimpleName() + ": " + t.getMessage();
  }

  @Test
  void halvesUnderTheKeyCharacterBoundWhoseSumIsOverItAreRefused() {
    ObjectNode tree = NODES.objectNode();
    ObjectNode big = tree.putObject("big");
    for (int i = 0; i < ENTRIES; i++) {
      big.put("n" + i, i);
    }
    Documents.Walk measured = single(new CompactJson(null, 0), Long.MAX_VALUE);
    measured.root(tree);
    long limit = measured.keyChars - 1;
    // Each half holds about half the characters: only the sum passes the bound.
    assertThatThrownBy(() -> forking(new CompactJson(null, 0), limit).root(tree))
        .isInstanceOf(DocumentTooLargeException.class)
        .hasMessageContaining("flattenedKeyChars>" + limit);
    assertThatThrownBy(() -> single(new CompactJson(null, 0), limit).root(tree))
        .isInstanceOf(DocumentTooLargeException.class)
        .hasMessageContaining("flattenedKeyChars>" + limit);
  }

  @Test
  void manyThreadsPublishingLargeTreesAtOnceEachGetTheirOwnBytes() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Callable<Boolean>> calls = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int seed = t;
        calls.add(
            () -> {
              ObjectNode tree = NODES.objectNode();
              ArrayNode list = tree.putArray("list");
              for (int i = 0; i < ENTRIES; i++) {
                list.add("thread " + seed + " item " + i);
              }
              CompactJson out = new CompactJson(null, 0);
              forking(out, Long.MAX_VALUE).root(tree);
              return java.util.Arrays.equals(out.toByteArray(), mapper.writeValueAsBytes(tree));
            });
      }
      for (Future<Boolean> f : pool.invokeAll(calls)) {
        assertThat(f.get()).isTrue();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void anInterruptedPublisherStillWritesTheWholeDocumentAndStaysInterrupted() {
    ObjectNode tree = NODES.objectNode();
    ArrayNode list = tree.putArray("list");
    for (int i = 0; i < ENTRIES; i++) {
      list.add(i);
    }
    CompactJson out = new CompactJson(null, 0);
    Thread.currentThread().interrupt();
    try {
      forking(out, Long.MAX_VALUE).root(tree);
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
    assertThat(out.toByteArray()).isEqualTo(mapper.writeValueAsBytes(tree));
  }
}
