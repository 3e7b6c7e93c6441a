package io.github.jsonmmap;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import tools.jackson.databind.JsonNode;

/**
 * The bytes of a document tree as Jackson's generator writes them with the settings the writer uses
 * (compact, UTF-8, the short escapes {@code \b \t \n \f \r}, other control characters as <code>
 * &#92;u00XX</code> in upper case, {@code "} and {@code \} escaped and nothing else, numbers as
 * their Java text), written by the walk that checks the tree ({@link Documents}) in the same pass.
 * The mapper's {@code writeValueAsBytes} builds a serialisation context, looks up a serializer and
 * dispatches per node; for the 1 KiB document of the benchmarks that was 24 µs of a cold publish
 * (the writer idles between changes) and the walk after it 5 µs more. A test compares the bytes
 * with Jackson's for every kind of node and character.
 *
 * <p>Only strings, numbers, booleans and nulls are written here; the walk hands any other leaf
 * (binary, POJO, raw value) back as {@link Unsupported}, and the caller serialises that document
 * with the mapper instead.
 *
 * <p>Not thread-safe: one per serialisation.
 */
final class CompactJson {

  /** A leaf this writer leaves to the mapper: the document is serialised by the mapper instead. */
  static final class Unsupported extends RuntimeException {
    private static final long serialVersionUID = 1L;
    static final Unsupported INSTANCE = new Unsupported();

    private Unsupported() {
      super("leaf left to the mapper", null, false, false);
    }
  }

  private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);

  /**
   * Per ASCII character: 0 written as it is, -1 as <code>&#92;u00XX</code>, else the letter of its
   * short escape.
   */
  private static final byte[] ESCAPES = new byte[128];

  static {
    for (int c = 0; c < 0x20; c++) {
      ESCAPES[c] = -1;
    }
    ESCAPES['\b'] = 'b';
    ESCAPES['\t'] = 't';
    ESCAPES['\n'] = 'n';
    ESCAPES['\f'] = 'f';
    ESCAPES['\r'] = 'r';
    ESCAPES['"'] = '"';
    ESCAPES['\\'] = '\\';
  }

  private byte[] out;
  private int length;

  /**
   * Whether this writer writes {@code c} as <code>&#92;u00XX</code> (a control character without a
   * short escape), the one form of a unicode escape it uses.
   */
  static boolean writesUnicodeEscape(int c) {
    return c >= 0 && c < ESCAPES.length && ESCAPES[c] < 0;
  }

  /**
   * @param buffer where to write: a buffer a previous serialisation left (grown when too short), or
   *     null for a new one
   * @param expectedLength the length the document likely has (the last one published)
   */
  CompactJson(byte[] buffer, int expectedLength) {
    out = buffer != null ? buffer : new byte[Math.max(64, expectedLength + (expectedLength >> 3))];
  }

  /** A copy of the bytes written: the buffer itself goes on to the next serialisation. */
  byte[] toByteArray() {
    return Arrays.copyOf(out, length);
  }

  /** The buffer written, for the next serialisation. */
  byte[] buffer() {
    return out;
  }

  int length() {
    return length;
  }

  /** The bytes {@code other} has written, after those written here. */
  void append(CompactJson other) {
    if (other.length > out.length - length) {
      grow(other.length);
    }
    System.arraycopy(other.out, 0, out, length, other.length);
    length += other.length;
  }

  void put(char ascii) {
    if (length == out.length) {
      grow(1);
    }
    out[length++] = (byte) ascii;
  }

  /** {@code ,"name":} (without the comma for the first name of an object). */
  void name(String name, boolean first) {
    if (!first) {
      put(',');
    }
    string(name);
    put(':');
  }

  /** A scalar leaf; throws {@link Unsupported} for any other node. */
  void scalar(JsonNode node) {
    switch (node.getNodeType()) {
      case STRING -> string(node.stringValue());
      case BOOLEAN -> ascii(node.booleanValue() ? "true" : "false");
      case NULL -> ascii("null");
      case NUMBER -> number(node);
      default -> throw Unsupported.INSTANCE;
    }
  }

  private void number(JsonNode node) {
    switch (node.numberType()) {
      case INT, LONG -> integer(node.longValue());
      case BIG_INTEGER -> ascii(node.bigIntegerValue().toString());
      case FLOAT -> ascii(Float.toString(node.floatValue()));
      case DOUBLE -> ascii(Double.toString(node.doubleValue()));
      case BIG_DECIMAL -> ascii(node.decimalValue().toString());
    }
  }

  /**
   * The digits of {@code value} as {@link Long#toString(long)} writes them, written in place: a
   * document of many integers makes no string per number (8.7 MB per version of a 16 MiB document
   * of service entries did).
   */
  void integer(long value) {
    if (value == Long.MIN_VALUE) {
      ascii("-9223372036854775808");
      return;
    }
    ensure(20);
    long v = value;
    if (v < 0) {
      out[length++] = '-';
      v = -v;
    }
    int end = length + Documents.Walk.digits(v);
    for (int at = end - 1; at >= length; at--) {
      out[at] = (byte) ('0' + (int) (v % 10));
      v /= 10;
    }
    length = end;
  }

  void ascii(String s) {
    int n = s.length();
    ensure(n);
    for (int i = 0; i < n; i++) {
      out[length++] = (byte) s.charAt(i);
    }
  }

  /**
   * A quoted string, UTF-8; the walk has refused lone surrogates before this runs, so a surrogate
   * here is the first of a pair.
   */
  void string(String s) {
    int n = s.length();
    // At most 6 bytes per char (an escape), room made per chunk so that the loop tests no bound; a
    // pair that straddles the chunk's end takes its second half along (4 bytes for two chars).
    put('"');
    int i = 0;
    while (i < n) {
      int chunk = Math.min(n - i, 4096);
      ensure(chunk * 6);
      int end = i + chunk;
      byte[] o = out;
      int at = length;
      for (; i < end; i++) {
        char c = s.charAt(i);
        if (c < 0x80) {
          byte e = ESCAPES[c];
          if (e == 0) {
            o[at++] = (byte) c;
          } else if (e > 0) {
            o[at++] = '\\';
            o[at++] = e;
          } else {
            o[at++] = '\\';
            o[at++] = 'u';
            o[at++] = '0';
            o[at++] = '0';
            o[at++] = HEX[c >> 4];
            o[at++] = HEX[c & 0xF];
          }
        } else if (c < 0x800) {
          o[at++] = (byte) (0xC0 | (c >> 6));
          o[at++] = (byte) (0x80 | (c & 0x3F));
        } else if (Character.isHighSurrogate(c) && i + 1 < n) {
          int cp = Character.toCodePoint(c, s.charAt(++i));
          o[at++] = (byte) (0xF0 | (cp >> 18));
          o[at++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
          o[at++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
          o[at++] = (byte) (0x80 | (cp & 0x3F));
        } else {
          o[at++] = (byte) (0xE0 | (c >> 12));
          o[at++] = (byte) (0x80 | ((c >> 6) & 0x3F));
          o[at++] = (byte) (0x80 | (c & 0x3F));
        }
      }
      length = at;
    }
    put('"');
  }

  private void ensure(int more) {
    if (out.length - length < more) {
      grow(more);
    }
  }

  private void grow(int more) {
    long needed = (long) length + more;
    long size = Math.max(needed, (long) out.length * 2);
    if (size > Integer.MAX_VALUE - 16) {
      if (needed > Integer.MAX_VALUE - 16) {
        throw new OutOfMemoryError("document longer than an array can hold");
      }
      size = Integer.MAX_VALUE - 16;
    }
    out = Arrays.copyOf(out, (int) size);
  }
}
