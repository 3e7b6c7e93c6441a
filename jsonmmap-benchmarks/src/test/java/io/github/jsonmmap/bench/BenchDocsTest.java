package io.github.jsonmmap.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

/** The text a text-publishing writer hands over is the tree's own serialisation. */
class BenchDocsTest {

  @Test
  void aVersionsTextIsTheSerialisationOfItsTree() {
    for (int size : new int[] {1024, 64 << 10}) {
      ObjectNode items = BenchDocs.items(size);
      BenchDocs.Text text = new BenchDocs.Text(items);
      assertThat(text.version(7, 1_700_000_000_123_456_789L))
          .isEqualTo(BenchDocs.serialize(BenchDocs.root(7, 1_700_000_000_123_456_789L, items)));
      assertThat(text.version(Long.MAX_VALUE, 0))
          .isEqualTo(BenchDocs.serialize(BenchDocs.root(Long.MAX_VALUE, 0, items)));
    }
  }
}
