package io.github.jsonmmap;

import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The flattened keys (Spring style, {@code a.b[0].c}) that differ between two versions of a
 * document. Immutable; the sets are sorted.
 *
 * @param added keys present only in the new version
 * @param removed keys present only in the old version
 * @param changed keys present in both with different values
 */
public record ChangedKeys(
    SortedSet<String> added, SortedSet<String> removed, SortedSet<String> changed) {

  /** No change at all. */
  public static final ChangedKeys NONE =
      new ChangedKeys(new TreeSet<>(), new TreeSet<>(), new TreeSet<>());

  public ChangedKeys {
    added = Collections.unmodifiableSortedSet(new TreeSet<>(added));
    removed = Collections.unmodifiableSortedSet(new TreeSet<>(removed));
    changed = Collections.unmodifiableSortedSet(new TreeSet<>(changed));
  }

  /**
   * The flattened keys that differ between two snapshots (see {@link Snapshot#flat()}). Costs one
   * side-by-side walk of the two documents and builds only the keys that differ; neither snapshot
   * is flattened for it unless a property name holds {@code .} or {@code [} (then two paths can
   * flatten to one key, and only comparing the flattened documents gives the right answer).
   */
  public static ChangedKeys between(Snapshot before, Snapshot after) {
    if (before == after) {
      return NONE;
    }
    if ((before.isFlattened() && after.isFlattened())
        || before.shape().dottedNames()
        || after.shape().dottedNames()) {
      return Documents.diff(before.flat(), after.flat());
    }
    return Documents.diffTrees(before.treeView(), after.treeView());
  }

  /** Every key that was added, removed or changed, sorted. */
  public SortedSet<String> all() {
    TreeSet<String> all = new TreeSet<>(added);
    all.addAll(removed);
    all.addAll(changed);
    return Collections.unmodifiableSortedSet(all);
  }

  /** Whether no key differs (the documents flatten to the same properties). */
  public boolean isEmpty() {
    return added.isEmpty() && removed.isEmpty() && changed.isEmpty();
  }
}
