package io.github.jsonmmap;

import java.util.Arrays;

/**
 * A check of a version against the last one a check vouched for ({@link FastCheck.Checked}), for
 * the common change: the same names and structure, some values changed. Configuration changes that
 * way, and a whole check of a 16 MiB document costs tens of milliseconds on each side.
 *
 * <p>It walks both documents' tokens side by side only where their bytes differ: stretches of equal
 * bytes are passed with one comparison ({@link Arrays#mismatch}), up to the last token start the
 * earlier check noted at or before the difference. Every token of the new document in a differing
 * stretch is checked: a structural one or a name must equal the old one byte for byte, a value must
 * be a scalar where the old one was a scalar, checked as a whole check checks it. The new document
 * then has the old one's tokens with some scalars changed, so it is JSON exactly when the old one
 * is, with the same names in every object (no duplicates), the same depth and the same flattened
 * keys: the old shape, bounded again by the new length. Anything else (an added or removed key, a
 * renamed one, a scalar made a container, more differing bytes than a quarter of the document) is
 * given up at once and the whole check runs, so what this accepts is what {@link FastCheck}
 * accepts, with the same shape; a test compares both on chains of changed documents.
 *
 * <p>Not thread-safe: one per recheck.
 */
final class Recheck {

  private final byte[] old;
  private final byte[] b;
  private final FastCheck tokens;
  private final int[] oldStarts;
  private final int[] starts;

  /** Where each document has got to: the same place in the same tokens. */
  private int p;

  private int q;

  /** The next old token start to carry over to {@link #starts}. */
  private int k;

  /** Bytes of the old document stepped through token by token so far. */
  private long stepped;

  /** The most {@link #stepped} may reach: past it the whole check costs less than going on. */
  private final long budget;

  private Recheck(FastCheck.Checked last, byte[] bytes, int maxStringLength) {
    this.old = last.bytes();
    this.b = bytes;
    this.tokens = FastCheck.tokens(bytes, maxStringLength, new FastCheck.Scratch());
    this.oldStarts = last.starts();
    this.starts = new int[oldStarts.length];
    this.budget = Math.max(4L * FastCheck.START_SPACING, bytes.length / 4);
  }

  /**
   * {@code bytes} checked against {@code last}: what a whole check would find, token starts carried
   * over, or null when the two differ otherwise than in scalar values (or by too much). The form is
   * the whole check's when the old one's was 0, else it may hold the old one's flags besides.
   */
  static FastCheck.Checked against(
      FastCheck.Checked last, byte[] bytes, long maxDocumentLength, int maxStringLength) {
    if (maxDocumentLength >= 0 && bytes.length > maxDocumentLength) {
      return null;
    }
    Documents.Shape shape = last.shape();
    if (shape.keyChars() > Documents.flattenedCharsLimit(bytes.length)) {
      return null;
    }
    Recheck r = new Recheck(last, bytes, maxStringLength);
    if (!r.walk()) {
      return null;
    }
    return new FastCheck.Checked(bytes, shape, last.form() | r.tokens.form(), r.starts);
  }

  private boolean walk() {
    while (true) {
      int equal = Arrays.mismatch(old, p, old.length, b, q, b.length);
      if (equal < 0) {
        carryStarts(Integer.MAX_VALUE);
        return true;
      }
      int differs = p + equal;
      // Pass the equal bytes up to the last token start at or before the difference: the bytes
      // before it are equal, so both documents are in the same state there, and the token at it is
      // compared whole below (a comma that ended an old number and is a digit now differs there).
      int jump = lastStartBefore(differs + 1);
      if (jump > p) {
        carryStarts(jump);
        q += jump - p;
        p = jump;
      }
      // Then token by token, until past the difference.
      do {
        if (!step()) {
          return false;
        }
        if (p == old.length) {
          return tokens.spaceAt(q) == b.length;
        }
      } while (p <= differs);
    }
  }

  /** The last old token start not carried over yet and below {@code limit}, or -1. */
  private int lastStartBefore(int limit) {
    int i = Arrays.binarySearch(oldStarts, k, oldStarts.length, limit);
    int before = (i >= 0 ? i : -i - 1) - 1;
    return before >= k ? oldStarts[before] : -1;
  }

  /** Carries the old token starts below {@code limit} over, where the same token starts now. */
  private void carryStarts(int limit) {
    while (k < oldStarts.length && oldStarts[k] < limit) {
      starts[k] = oldStarts[k] + (q - p);
      k++;
    }
  }

  /** One token of each document (with the white space before it); false when they differ. */
  private boolean step() {
    int from = p;
    p = oldSpace(p);
    q = tokens.spaceAt(q);
    carryStarts(p + 1);
    if (p == old.length) {
      return q == b.length;
    }
    if (q == b.length) {
      return false;
    }
    byte c = old[p];
    switch (c) {
      case '{', '}', '[', ']', ',', ':' -> {
        if (b[q] != c) {
          return false;
        }
        p++;
        q++;
      }
      case '"' -> {
        int end = CompactText.stringEnd(old, p + 1);
        if (end < 0) {
          return false;
        }
        int after = oldSpace(end);
        if (after < old.length && old[after] == ':') {
          // A name: the same bytes, quotes included.
          int length = end - p;
          if (q + length > b.length || !Arrays.equals(old, p, end, b, q, q + length)) {
            return false;
          }
          p = end;
          q += length;
        } else if (!scalar(end)) {
          return false;
        }
      }
      default -> {
        if (!scalar(oldScalarEnd(p))) {
          return false;
        }
      }
    }
    stepped += p - from;
    return stepped <= budget;
  }

  /**
   * The old scalar at {@link #p}, ending at {@code end}, against whatever scalar is at {@link #q}.
   */
  private boolean scalar(int end) {
    int at = tokens.scalarAt(q);
    if (at < 0) {
      return false;
    }
    p = end;
    q = at;
    return true;
  }

  // The old document was checked: these read its tokens without checking them again (its strings
  // end as CompactText.stringEnd finds, its numbers and literals are scalar characters only).

  private int oldSpace(int at) {
    while (at < old.length && CompactText.isWhiteSpace(old[at])) {
      at++;
    }
    return at;
  }

  private int oldScalarEnd(int at) {
    int i = at;
    while (i < old.length && CompactText.isScalarChar(old[i])) {
      i++;
    }
    return i;
  }
}
