package io.github.jsonmmap;

import java.util.Arrays;

/**
 * A reader's check of a document in one pass over its bytes, for the documents it can vouch for:
 * JSON whose root is an object, strict UTF-8 inside strings and ASCII outside them, names without
 * escapes and without duplicates, short numbers, within every limit the full check applies. It
 * finds what the full check's walk finds ({@link Documents.Shape}) without a token parser, without
 * a second pass for the encoding, and without making a String of any name: a 1 KiB version cost a
 * cold reader 15 µs in Jackson's tokenizer (its symbol table, name canonicalisation and token
 * objects) and a 1 MiB one 7-8 ms.
 *
 * <p>It never refuses anything itself: on whatever it does not vouch for (an escape in a name, a
 * number longer than {@link #MAX_NUMBER_CHARS}, a surrogate escape, a limit reached, or anything
 * that is not JSON) it returns null, and {@link Documents#check} runs the full check, which accepts
 * the document or says exactly what is wrong with it and where. So what this accepts is a subset of
 * what the full check accepts, with the same result; a test compares both on valid and broken
 * documents.
 *
 * <p>Not thread-safe: one per check.
 */
final class FastCheck {

  /** Longer number tokens are left to the full check (which decodes them). */
  static final int MAX_NUMBER_CHARS = 100;

  /** {@link Scratch#form()}: white space between tokens. */
  static final int SPACED = 1;

  /**
   * {@link Scratch#form()}: a token the writer's serialisation writes otherwise once parsed (an
   * escape other than its own, a number with an exponent, a negative zero, a decimal it writes with
   * an exponent); see {@link Documents#storableText}.
   */
  static final int UNLIKE_WRITER = 2;

  /**
   * The least distance between two token starts a check notes ({@link Checked#starts}): a recheck
   * ({@link Recheck}) steps through at most about this many bytes before each difference.
   */
  static final int START_SPACING = 1024;

  private static final int LINEAR_NAMES = 8;
  private static final int MAX_PROBES = 64;

  private final byte[] b;
  private final int n;
  private final int maxDepth;
  private final int maxNameLength;
  private final int maxStringLength;
  private final long charsLimit;
  private int pos;

  private int keys;
  private long keyChars;
  private boolean dottedNames;

  /** {@link #SPACED} and {@link #UNLIKE_WRITER} as found. */
  private int form;

  /** Token starts noted so far ({@link Checked#starts}), null when not asked for. */
  private int[] starts;

  private int startCount;
  private int nextStart;
  private final int startSpacing;

  /** Per open container: its flattened key length, whether an array, children seen. */
  private long[] keyLengths = new long[16];

  private boolean[] arrays = new boolean[16];
  private int[] children = new int[16];
  private Names[] seen;
  private int depth;

  /** The flattened key length of the value after the last property name. */
  private long pending;

  /** What the last string scanned held: code points, a hash of its bytes, a dot or bracket. */
  private int codePoints;

  private int hash;
  private boolean dotted;

  private FastCheck(
      byte[] bytes,
      int maxDepth,
      int maxNameLength,
      int maxStringLength,
      Scratch scratch,
      int startSpacing) {
    this.startSpacing = startSpacing;
    if (startSpacing > 0) {
      this.starts = new int[Math.max(4, bytes.length / startSpacing + 2)];
    }
    this.seen = scratch.seen;
    this.b = bytes;
    this.n = bytes.length;
    this.maxDepth = maxDepth;
    this.maxNameLength = maxNameLength;
    this.maxStringLength = maxStringLength;
    this.charsLimit = Documents.flattenedCharsLimit(bytes.length);
  }

  /**
   * The shape of {@code bytes} when this pass vouches for them, else null (the full check decides).
   */
  static Documents.Shape shape(
      byte[] bytes, int maxDepth, long maxDocumentLength, int maxNameLength, int maxStringLength) {
    return shape(bytes, maxDepth, maxDocumentLength, maxNameLength, maxStringLength, new Scratch());
  }

  /**
   * Like {@link #shape(byte[], int, long, int, int)}, with the name sets of {@code scratch}, which
   * keeps them, grown, for the next check: checking a version of a large document then allocates no
   * name set (8 MB for the 160,000 names of one object, grown by doubling, when each check made its
   * own). One check at a time per scratch.
   */
  static Documents.Shape shape(
      byte[] bytes,
      int maxDepth,
      long maxDocumentLength,
      int maxNameLength,
      int maxStringLength,
      Scratch scratch) {
    Checked checked =
        checked(bytes, maxDepth, maxDocumentLength, maxNameLength, maxStringLength, scratch, 0);
    return checked == null ? null : checked.shape();
  }

  /**
   * Like {@link #shape(byte[], int, long, int, int, Scratch)}, noting also a token start every
   * {@code startSpacing} bytes or so (none when 0), for a {@link Recheck} of the next version.
   */
  static Checked checked(
      byte[] bytes,
      int maxDepth,
      long maxDocumentLength,
      int maxNameLength,
      int maxStringLength,
      Scratch scratch,
      int startSpacing) {
    if (maxDocumentLength >= 0 && bytes.length > maxDocumentLength) {
      return null;
    }
    FastCheck f =
        new FastCheck(bytes, maxDepth, maxNameLength, maxStringLength, scratch, startSpacing);
    try {
      if (!f.document()) {
        return null;
      }
      return new Checked(
          bytes,
          new Documents.Shape(f.keys, f.keyChars, f.dottedNames),
          f.form,
          f.starts == null ? new int[0] : Arrays.copyOf(f.starts, f.startCount));
    } finally {
      scratch.seen = f.seen;
      scratch.form = f.form;
    }
  }

  /**
   * A checker of single tokens of {@code bytes} ({@link #scalarAt}, {@link #spaceAt}), for a {@link
   * Recheck}; it notes their form as a whole check would.
   */
  static FastCheck tokens(byte[] bytes, int maxStringLength, Scratch scratch) {
    return new FastCheck(bytes, 1, 0, maxStringLength, scratch, 0);
  }

  /**
   * The end of the scalar value (a string, number or literal) at {@code at}, checked as a whole
   * check checks a value, or -1 when there is none there; nothing is counted.
   */
  int scalarAt(int at) {
    if (at >= n) {
      return -1;
    }
    pos = at;
    boolean ok =
        switch (b[at]) {
          case '"' -> string(false);
          case 't' -> literal("true");
          case 'f' -> literal("false");
          case 'n' -> literal("null");
          case '{', '[' -> false;
          default -> number();
        };
    return ok ? pos : -1;
  }

  /** The end of the JSON white space at {@code at} (noted in the form when there is some). */
  int spaceAt(int at) {
    pos = at;
    skipWhitespace();
    return pos;
  }

  /** What the token checks found of the text's form, as {@link Scratch#form()}. */
  int form() {
    return form;
  }

  /**
   * A document a check vouched for, kept for a {@link Recheck} of the next: its bytes (never
   * changed after the check), what the check found, and token starts at least {@link
   * #START_SPACING} apart (ascending; the parse is in the same state at each whatever came before
   * in a document with the same tokens).
   */
  record Checked(byte[] bytes, Documents.Shape shape, int form, int[] starts) {}

  /**
   * The name sets of one check, by nesting level, kept for the next. Each set is emptied when its
   * object opens, so nothing of one document reaches the next. Not thread-safe: one check at a
   * time.
   */
  static final class Scratch {
    private Names[] seen = new Names[16];
    private int form;

    /**
     * What the last check found of its text's form ({@link #SPACED}, {@link #UNLIKE_WRITER}); 0
     * when every token is as the writer writes it, without white space between (meaningful only
     * when it vouched for the text).
     */
    int form() {
      return form;
    }
  }

  private boolean document() {
    skipWhitespace();
    if (pos >= n || b[pos] != '{') {
      return false;
    }
    pos++;
    if (!push(0, false)) {
      return false;
    }
    boolean afterValue = false;
    while (depth > 0) {
      skipWhitespace();
      if (pos >= n) {
        return false;
      }
      if (pos >= nextStart && starts != null) {
        noteStart();
      }
      int d = depth - 1;
      byte c = b[pos];
      if (c == (arrays[d] ? ']' : '}') && (afterValue || children[d] == 0)) {
        pos++;
        if (!close()) {
          return false;
        }
        afterValue = true;
        continue;
      }
      if (afterValue) {
        if (c != ',') {
          return false;
        }
        pos++;
        skipWhitespace();
        if (pos >= n) {
          return false;
        }
      }
      if (!arrays[d] && !name(d)) {
        return false;
      }
      int kind = value();
      if (kind < 0) {
        return false;
      }
      afterValue = kind == 0;
    }
    skipWhitespace();
    return pos == n;
  }

  /** A property name, its colon and the whitespace after it, in the object at level {@code d}. */
  private boolean name(int d) {
    if (b[pos] != '"') {
      return false;
    }
    int start = pos + 1;
    if (!string(true)) {
      return false;
    }
    int length = pos - 1 - start;
    if (!seen[d].add(b, start, length, hash)) {
      return false;
    }
    children[d]++;
    if (dotted || length == 0) {
      dottedNames = true;
    }
    pending = (d == 0 ? 0 : keyLengths[d] + 1) + codePoints;
    skipWhitespace();
    if (pos >= n || b[pos] != ':') {
      return false;
    }
    pos++;
    skipWhitespace();
    return pos < n;
  }

  /** A value at {@code pos}: 0 for a scalar, 1 for an opened container, -1 to defer. */
  private int value() {
    int d = depth - 1;
    long keyLength = arrays[d] ? keyLengths[d] + 2 + Documents.Walk.digits(children[d]++) : pending;
    byte c = b[pos];
    switch (c) {
      case '{', '[' -> {
        pos++;
        return push(keyLength, c == '[') ? 1 : -1;
      }
      case '"' -> {
        if (!string(false)) {
          return -1;
        }
      }
      case 't' -> {
        if (!literal("true")) {
          return -1;
        }
      }
      case 'f' -> {
        if (!literal("false")) {
          return -1;
        }
      }
      case 'n' -> {
        if (!literal("null")) {
          return -1;
        }
      }
      default -> {
        if (!number()) {
          return -1;
        }
      }
    }
    return key(keyLength) ? 0 : -1;
  }

  private boolean push(long keyLength, boolean array) {
    if (depth >= maxDepth) {
      return false;
    }
    if (depth == keyLengths.length) {
      int size = depth * 2;
      keyLengths = Arrays.copyOf(keyLengths, size);
      arrays = Arrays.copyOf(arrays, size);
      children = Arrays.copyOf(children, size);
      seen = Arrays.copyOf(seen, size);
    }
    if (!array) {
      if (seen[depth] == null) {
        seen[depth] = new Names();
      } else {
        seen[depth].clear();
      }
    }
    keyLengths[depth] = keyLength;
    arrays[depth] = array;
    children[depth] = 0;
    depth++;
    return true;
  }

  /** Closes the innermost container; false when, empty, it is a key past a bound. */
  private boolean close() {
    depth--;
    if (!arrays[depth]) {
      seen[depth].clear();
    }
    // An empty object or array is a key of its own.
    return children[depth] != 0 || depth == 0 || key(keyLengths[depth]);
  }

  private void noteStart() {
    if (startCount == starts.length) {
      starts = Arrays.copyOf(starts, startCount * 2);
    }
    starts[startCount++] = pos;
    nextStart = pos + startSpacing;
  }

  private boolean key(long keyLength) {
    keys++;
    keyChars += keyLength;
    return keys <= Documents.MAX_FLATTENED_KEYS && keyChars <= charsLimit;
  }

  private void skipWhitespace() {
    // Compact documents have none: one comparison (a byte above the space, or a negative one that
    // is not whitespace either, ends the loop below at once).
    if (pos < n && b[pos] > ' ') {
      return;
    }
    int p = pos;
    while (p < n) {
      byte c = b[p];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
        break;
      }
      p++;
    }
    if (p != pos) {
      form |= SPACED;
      pos = p;
    }
  }

  private boolean literal(String word) {
    int length = word.length();
    if (n - pos < length) {
      return false;
    }
    for (int i = 0; i < length; i++) {
      if (b[pos + i] != word.charAt(i)) {
        return false;
      }
    }
    pos += length;
    return true;
  }

  /**
   * A number by RFC 8259's grammar, of at most {@link #MAX_NUMBER_CHARS} characters, with an
   * exponent of at most 6 digits and a decimal's scale within {@link Documents#MAX_DECIMAL_SCALE}.
   */
  private boolean number() {
    int start = pos;
    if (b[pos] == '-') {
      pos++;
    }
    if (pos >= n) {
      return false;
    }
    boolean zero = b[pos] == '0';
    if (zero) {
      pos++;
    } else if (!digits()) {
      return false;
    }
    long fraction = 0;
    boolean decimal = false;
    if (pos < n && b[pos] == '.') {
      pos++;
      int from = pos;
      if (!digits()) {
        return false;
      }
      fraction = pos - from;
      decimal = true;
      if (zero) {
        writtenLikeWriter(start, from);
      }
    } else if (zero && start != pos - 1) {
      // -0 is written 0.
      form |= UNLIKE_WRITER;
    }
    long exponent = 0;
    if (pos < n && (b[pos] == 'e' || b[pos] == 'E')) {
      pos++;
      boolean negative = pos < n && b[pos] == '-';
      if (pos < n && (negative || b[pos] == '+')) {
        pos++;
      }
      int from = pos;
      if (!digits() || pos - from > 6) {
        return false;
      }
      for (int i = from; i < pos; i++) {
        exponent = exponent * 10 + (b[i] - '0');
      }
      exponent = negative ? -exponent : exponent;
      decimal = true;
      // BigDecimal writes its own exponent form (1E+2 for 1e2, 1.5E+3 for 1500e0...).
      form |= UNLIKE_WRITER;
    }
    if (pos - start > MAX_NUMBER_CHARS) {
      return false;
    }
    return !decimal || Math.abs(fraction - exponent) <= Documents.MAX_DECIMAL_SCALE;
  }

  /**
   * For a decimal {@code 0.ddd} or {@code -0.ddd} whose fraction starts at {@code fractionStart}
   * and ends at {@code pos}: whether {@link java.math.BigDecimal#toString()} writes it back the
   * same. It does unless it is a negative zero (written without the sign) or its adjusted exponent
   * (the significant digits less one, less the scale) is below -6 (written with an exponent: {@code
   * 0.0000001} is {@code 1E-7}, {@code 0.0000000} is {@code 0E-7}).
   */
  private void writtenLikeWriter(int start, int fractionStart) {
    int scale = pos - fractionStart;
    int zeros = 0;
    while (zeros < scale && b[fractionStart + zeros] == '0') {
      zeros++;
    }
    boolean like = zeros == scale ? b[start] != '-' && scale <= 6 : zeros < 6;
    if (!like) {
      form |= UNLIKE_WRITER;
    }
  }

  /** One or more digits. */
  private boolean digits() {
    int from = pos;
    while (pos < n && b[pos] >= '0' && b[pos] <= '9') {
      pos++;
    }
    return pos > from;
  }

  /**
   * A string from its opening quote to just past its closing one; for a name, notes its code
   * points, hash and whether it holds a dot or bracket (for a value they mean nothing). A name may
   * hold no escape; a value only the short ones and {@code \}{@code uXXXX} of a character that is
   * not a surrogate.
   */
  private boolean string(boolean name) {
    int start = ++pos;
    int h = 0;
    boolean dots = false;
    // Printable ASCII first, in locals: most strings are nothing else. A byte below the space is a
    // control character or, negative, the start of a multi-byte sequence; either, or a quote or a
    // backslash, ends this loop and the general one below goes on from there.
    byte[] bytes = b;
    int end = n;
    int p = start;
    if (name) {
      while (p < end) {
        int c = bytes[p];
        if (c < ' ' || c == '"' || c == '\\') {
          break;
        }
        h = 31 * h + c;
        dots |= c == '.' || c == '[';
        p++;
      }
    } else {
      while (p < end) {
        int c = bytes[p];
        if (c < ' ' || c == '"' || c == '\\') {
          break;
        }
        p++;
      }
    }
    int points = p - start;
    pos = p;
    while (true) {
      if (pos >= n) {
        return false;
      }
      int c = b[pos] & 0xFF;
      if (c == '"') {
        break;
      }
      if (c < 0x80) {
        if (c < 0x20) {
          return false;
        }
        if (c == '\\') {
          if (name || !escape()) {
            return false;
          }
        } else {
          dots |= c == '.' || c == '[';
          pos++;
        }
      } else {
        int length = StrictUtf8.sequence(b, pos);
        if (length < 0) {
          return false;
        }
        for (int i = 1; i < length; i++) {
          h = 31 * h + b[pos + i];
        }
        pos += length;
      }
      h = 31 * h + c;
      points++;
    }
    int length = pos - start;
    pos++;
    if (length > (name ? maxNameLength : maxStringLength)) {
      return false;
    }
    codePoints = points;
    hash = h;
    dotted = dots;
    return true;
  }

  /** An escape at {@code pos} in a string value: a short one, or a non-surrogate {@code uXXXX}. */
  private boolean escape() {
    if (pos + 1 >= n) {
      return false;
    }
    switch (b[pos + 1]) {
      case '"', '\\', 'b', 'f', 'n', 'r', 't' -> {
        pos += 2;
        return true;
      }
      case '/' -> {
        form |= UNLIKE_WRITER;
        pos += 2;
        return true;
      }
      case 'u' -> {
        if (pos + 6 > n) {
          return false;
        }
        int unit = 0;
        for (int i = pos + 2; i < pos + 6; i++) {
          int digit = Character.digit(b[i], 16);
          if (digit < 0) {
            return false;
          }
          unit = unit << 4 | digit;
        }
        if (Character.isSurrogate((char) unit)) {
          return false;
        }
        // The writer writes this way only the characters its table says, hex in upper case.
        if (!CompactJson.writesUnicodeEscape(unit) || b[pos + 5] >= 'a') {
          form |= UNLIKE_WRITER;
        }
        pos += 6;
        return true;
      }
      default -> {
        return false;
      }
    }
  }

  /**
   * The names of one open object, as ranges of the document's bytes (names hold no escape, and
   * strict UTF-8 has one form per string, so equal names are equal bytes): compared one by one
   * while few, then through an open-addressing table by hash; a probe longer than {@link
   * #MAX_PROBES} (names made to collide) defers the document to the full check.
   */
  private static final class Names {
    private int[] starts = new int[LINEAR_NAMES];
    private int[] lengths = new int[LINEAR_NAMES];
    private int[] hashes = new int[LINEAR_NAMES];
    private int count;

    /** Slots holding a name's index + 1, 0 when empty; null while the object has few names. */
    private int[] table;

    /** Tables no longer in use, by the log2 of their length: the next object's, emptied. */
    private final int[][] spareTables = new int[32][];

    boolean add(byte[] b, int start, int length, int hash) {
      if (table == null) {
        for (int i = 0; i < count; i++) {
          if (hashes[i] == hash && same(b, i, start, length)) {
            return false;
          }
        }
        if (count == LINEAR_NAMES) {
          table = newTable(64);
          for (int i = 0; i < count; i++) {
            if (!place(b, i)) {
              return false;
            }
          }
        }
      } else if ((count + 1) * 2 > table.length) {
        int[] smaller = table;
        table = newTable(smaller.length * 2);
        keep(smaller);
        for (int i = 0; i < count; i++) {
          if (!place(b, i)) {
            return false;
          }
        }
      }
      if (count == starts.length) {
        starts = Arrays.copyOf(starts, count * 2);
        lengths = Arrays.copyOf(lengths, count * 2);
        hashes = Arrays.copyOf(hashes, count * 2);
      }
      starts[count] = start;
      lengths[count] = length;
      hashes[count] = hash;
      count++;
      return table == null || place(b, count - 1);
    }

    /** Places name {@code i} in the table; false when it is there already or probes run long. */
    private boolean place(byte[] b, int i) {
      int mask = table.length - 1;
      int slot = (hashes[i] * 0x9E3779B9) >>> (32 - Integer.numberOfTrailingZeros(table.length));
      for (int probe = 0; probe < MAX_PROBES; probe++) {
        int at = table[slot];
        if (at == 0) {
          table[slot] = i + 1;
          return true;
        }
        int j = at - 1;
        if (hashes[j] == hashes[i] && same(b, j, starts[i], lengths[i])) {
          return false;
        }
        slot = (slot + 1) & mask;
      }
      return false;
    }

    private boolean same(byte[] b, int i, int start, int length) {
      return lengths[i] == length
          && Arrays.equals(b, starts[i], starts[i] + length, b, start, start + length);
    }

    /** An empty table of {@code length} slots (a power of two): a spare one when there is. */
    private int[] newTable(int length) {
      int log = Integer.numberOfTrailingZeros(length);
      int[] spare = spareTables[log];
      if (spare == null) {
        return new int[length];
      }
      spareTables[log] = null;
      Arrays.fill(spare, 0);
      return spare;
    }

    private void keep(int[] table) {
      spareTables[Integer.numberOfTrailingZeros(table.length)] = table;
    }

    /** Empties the set for the next object at this level; its table, if any, is kept spare. */
    void clear() {
      count = 0;
      if (table != null) {
        keep(table);
        table = null;
      }
    }
  }
}
