package io.github.jsonmmap;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The flattened value of one key read straight from the bytes of a checked document, as {@link
 * Documents#lookup(java.nio.file.Path, byte[], String)} reads it with Jackson's tokenizer: a
 * listener that reads two keys of each new version paid 18 µs for the two in a cold reader once the
 * check no longer warmed the tokenizer for it. Skips what it passes without decoding it.
 *
 * <p>Only for bytes a check accepted (it trusts their syntax). It compares property names as bytes,
 * so an object it searches that holds a name with an escape, where the same name can be spelled two
 * ways, makes it give up (null) and the caller uses the tokenizer.
 *
 * <p>Stateless apart from the position; not thread-safe: one per lookup.
 */
final class FastLookup {

  private final byte[] b;
  private int pos;

  /** Whether the last string {@link #stringEnd} passed holds an escape. */
  private boolean escaped;

  private FastLookup(byte[] bytes) {
    this.b = bytes;
  }

  /** What {@code key} holds in {@code bytes}, or null when this reader cannot tell. */
  static Documents.Found find(byte[] bytes, String key) {
    FastLookup l = new FastLookup(bytes);
    Object value = l.navigate(key);
    return value == null ? null : new Documents.Found(value == NULL ? null : value, l.pos);
  }

  /** A JSON null found (the lookup's null means "cannot tell"). */
  private static final Object NULL = new Object();

  /** Gives up: the caller asks the tokenizer. */
  private static final Object UNKNOWN = null;

  private Object navigate(String key) {
    skipWhitespace();
    int n = key.length();
    if (n == 0) {
      return Documents.ABSENT;
    }
    int i = 0;
    boolean root = true;
    while (i < n) {
      byte c = b[pos];
      if (c == '{') {
        if (!root) {
          if (key.charAt(i) != '.') {
            return Documents.ABSENT;
          }
          i++;
        }
        int end = Documents.nameEnd(key, i);
        if (end == i) {
          return Documents.ABSENT;
        }
        byte[] name = utf8(key, i, end);
        int found = member(name);
        if (found <= 0) {
          return found == 0 ? Documents.ABSENT : UNKNOWN;
        }
        i = end;
      } else if (c == '[') {
        int end = Documents.indexEnd(key, i);
        if (end < 0) {
          return Documents.ABSENT;
        }
        if (!element(Documents.index(key, i, end))) {
          return Documents.ABSENT;
        }
        i = end;
      } else {
        return Documents.ABSENT;
      }
      root = false;
    }
    return leaf();
  }

  /**
   * A name of the key in UTF-8; one with a lone surrogate, which no name in checked bytes has
   * unescaped, as a byte that never occurs in them (the encoder would make it a {@code ?}, which
   * does).
   */
  private static byte[] utf8(String key, int from, int to) {
    String name = key.substring(from, to);
    return Documents.Walk.hasLoneSurrogate(name) ? new byte[] {(byte) 0xFF} : name.getBytes(UTF_8);
  }

  /**
   * Moves to the value of the member named {@code name} of the object at {@code pos}: 1 when found,
   * 0 when the object has none, -1 when a name with an escape stands in the way.
   */
  private int member(byte[] name) {
    pos++;
    skipWhitespace();
    if (b[pos] == '}') {
      return 0;
    }
    while (true) {
      int start = pos + 1;
      int end = stringEnd();
      if (escaped) {
        return -1;
      }
      skipWhitespace();
      pos++; // ':'
      skipWhitespace();
      if (Arrays.equals(b, start, end, name, 0, name.length)) {
        return 1;
      }
      skipValue();
      skipWhitespace();
      if (b[pos] == '}') {
        return 0;
      }
      pos++; // ','
      skipWhitespace();
    }
  }

  /** Moves to element {@code index} of the array at {@code pos}; false when it has no such one. */
  private boolean element(long index) {
    pos++;
    skipWhitespace();
    if (b[pos] == ']') {
      return false;
    }
    for (long k = 0; k < index; k++) {
      skipValue();
      skipWhitespace();
      if (b[pos] == ']') {
        return false;
      }
      pos++; // ','
      skipWhitespace();
    }
    return true;
  }

  /** The flattened value at {@code pos}, as {@code Documents.leafAt} gives it. */
  private Object leaf() {
    byte c = b[pos];
    switch (c) {
      case '{', '[' -> {
        pos++;
        skipWhitespace();
        if (b[pos] != (c == '{' ? '}' : ']')) {
          return Documents.ABSENT;
        }
        pos++;
        return c == '{' ? Map.of() : List.of();
      }
      case 'n' -> {
        pos += 4;
        return NULL;
      }
      case 't' -> {
        pos += 4;
        return Boolean.TRUE;
      }
      case 'f' -> {
        pos += 5;
        return Boolean.FALSE;
      }
      case '"' -> {
        return string();
      }
      default -> {
        return number();
      }
    }
  }

  /** The string at {@code pos}, decoded. */
  private String string() {
    int start = pos + 1;
    int end = stringEnd();
    if (!escaped) {
      return new String(b, start, end - start, UTF_8);
    }
    StringBuilder s = new StringBuilder(end - start);
    int k = start;
    while (k < end) {
      // The UTF-8 run up to the next escape, decoded whole.
      int from = k;
      while (k < end && b[k] != '\\') {
        k++;
      }
      s.append(new String(b, from, k - from, UTF_8));
      if (k == end) {
        break;
      }
      byte e = b[k + 1];
      switch (e) {
        case 'b' -> s.append('\b');
        case 'f' -> s.append('\f');
        case 'n' -> s.append('\n');
        case 'r' -> s.append('\r');
        case 't' -> s.append('\t');
        case 'u' -> {
          s.append((char) Integer.parseInt(new String(b, k + 2, 4, UTF_8), 16));
          k += 4;
        }
        default -> s.append((char) e); // " \ /
      }
      k += 2;
    }
    return s.toString();
  }

  /** The number at {@code pos}: the smallest of Integer, Long and BigInteger, or a BigDecimal. */
  private Number number() {
    int start = pos;
    boolean decimal = false;
    while (pos < b.length) {
      byte c = b[pos];
      if (c == '.' || c == 'e' || c == 'E') {
        decimal = true;
      } else if (c != '-' && c != '+' && (c < '0' || c > '9')) {
        break;
      }
      pos++;
    }
    String text = new String(b, start, pos - start, UTF_8);
    if (decimal) {
      return new BigDecimal(text);
    }
    if (pos - start <= 18) {
      return Documents.narrow(Long.parseLong(text));
    }
    BigInteger big = new BigInteger(text);
    return big.bitLength() > 63 ? big : Documents.narrow(big.longValue());
  }

  /**
   * From the opening quote at {@code pos}: moves past the closing one; returns its index and notes
   * in {@link #escaped} whether the string holds an escape.
   */
  private int stringEnd() {
    int k = pos + 1;
    boolean escapes = false;
    while (b[k] != '"') {
      if (b[k] == '\\') {
        escapes = true;
        k += 2;
      } else {
        k++;
      }
    }
    escaped = escapes;
    pos = k + 1;
    return k;
  }

  /** Moves past the value at {@code pos}, containers whole. */
  private void skipValue() {
    byte c = b[pos];
    if (c == '"') {
      stringEnd();
      return;
    }
    if (c == '{' || c == '[') {
      int depth = 0;
      while (true) {
        c = b[pos];
        if (c == '"') {
          stringEnd();
          continue;
        }
        pos++;
        if (c == '{' || c == '[') {
          depth++;
        } else if ((c == '}' || c == ']') && --depth == 0) {
          return;
        }
      }
    }
    // A number or a literal: up to the next delimiter.
    while (pos < b.length) {
      c = b[pos];
      if (c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\r' || c == '\t') {
        return;
      }
      pos++;
    }
  }

  private void skipWhitespace() {
    while (pos < b.length) {
      byte c = b[pos];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
        return;
      }
      pos++;
    }
  }
}
