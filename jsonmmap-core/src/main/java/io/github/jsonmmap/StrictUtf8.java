package io.github.jsonmmap;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * FORMAT.md's encoding rules for document bytes, checked before any JSON parser sees them, exactly
 * as a strict UTF-8 decoder (Python's {@code bytes.decode("utf-8")}) and RFC 8259 do: well-formed
 * UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF, no truncated sequence), no byte
 * order mark, and no unescaped control character, which also rules out UTF-16 and UTF-32 text (an
 * ASCII character in those carries zero bytes).
 *
 * <p>One pass, eight bytes at a time while the text is plain ASCII, no allocation. Stateless; safe
 * to call from any thread.
 */
final class StrictUtf8 {

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private static final long HIGH_BITS = 0x8080808080808080L;
  private static final long SPACES = 0x2020202020202020L;

  /** A problem kind, found at a byte offset. */
  enum Problem {
    BYTE_ORDER_MARK("byte-order-mark"),
    CONTROL_CHARACTER("control-character"),
    INVALID_LEAD_BYTE("invalid-lead-byte"),
    TRUNCATED_SEQUENCE("truncated-sequence"),
    OVERLONG_ENCODING("overlong-encoding"),
    SURROGATE("surrogate"),
    ABOVE_MAX_CODE_POINT("above-U+10FFFF");

    final String tag;

    Problem(String tag) {
      this.tag = tag;
    }
  }

  private StrictUtf8() {}

  /**
   * Checks {@code bytes}; returns -1 when they follow the rules, else {@code offset << 3 |
   * problem.ordinal()} for the first byte that breaks one (see {@link #offset} and {@link
   * #problem}).
   */
  static long check(byte[] bytes) {
    int n = bytes.length;
    if (n >= 3 && bytes[0] == (byte) 0xEF && bytes[1] == (byte) 0xBB && bytes[2] == (byte) 0xBF) {
      return fault(0, Problem.BYTE_ORDER_MARK);
    }
    int i = 0;
    while (i < n) {
      if (i + 8 <= n) {
        long word = (long) LONGS.get(bytes, i);
        // Plain ASCII with no byte below 0x20: the common case, skipped eight bytes at a time.
        if ((word & HIGH_BITS) == 0 && ((word - SPACES) & ~word & HIGH_BITS) == 0) {
          i += 8;
          continue;
        }
      }
      int b = bytes[i] & 0xFF;
      if (b < 0x80) {
        if (b < 0x20 && b != '\t' && b != '\n' && b != '\r') {
          return fault(i, Problem.CONTROL_CHARACTER);
        }
        i++;
        continue;
      }
      int length = sequence(bytes, i);
      if (length < 0) {
        return fault(i, Problem.values()[-1 - length]);
      }
      i += length;
    }
    return -1;
  }

  /**
   * The length of the well-formed UTF-8 sequence that the byte at {@code i} (0x80 or above) leads,
   * or {@code -1 - problem.ordinal()} for the problem it has: an overlong form, a surrogate,
   * something above U+10FFFF, a truncated sequence or a byte that leads none.
   */
  static int sequence(byte[] bytes, int i) {
    int b = bytes[i] & 0xFF;
    int length;
    int min;
    if (b >= 0xC2 && b <= 0xDF) {
      length = 2;
      min = 0x80;
    } else if (b >= 0xE0 && b <= 0xEF) {
      length = 3;
      min = 0x800;
    } else if (b >= 0xF0 && b <= 0xF4) {
      length = 4;
      min = 0x10000;
    } else if (b == 0xC0 || b == 0xC1) {
      return -1 - Problem.OVERLONG_ENCODING.ordinal();
    } else if (b >= 0xF5 && b <= 0xF7) {
      return -1 - Problem.ABOVE_MAX_CODE_POINT.ordinal();
    } else {
      return -1 - Problem.INVALID_LEAD_BYTE.ordinal();
    }
    int codePoint = b & (0x7F >> length);
    for (int k = 1; k < length; k++) {
      if (i + k >= bytes.length || (bytes[i + k] & 0xC0) != 0x80) {
        return -1 - Problem.TRUNCATED_SEQUENCE.ordinal();
      }
      codePoint = codePoint << 6 | (bytes[i + k] & 0x3F);
    }
    if (codePoint < min) {
      return -1 - Problem.OVERLONG_ENCODING.ordinal();
    }
    if (codePoint >= 0xD800 && codePoint <= 0xDFFF) {
      return -1 - Problem.SURROGATE.ordinal();
    }
    if (codePoint > 0x10FFFF) {
      return -1 - Problem.ABOVE_MAX_CODE_POINT.ordinal();
    }
    return length;
  }

  static int offset(long fault) {
    return (int) (fault >>> 3);
  }

  static Problem problem(long fault) {
    return Problem.values()[(int) (fault & 7)];
  }

  private static long fault(int offset, Problem problem) {
    return (long) offset << 3 | problem.ordinal();
  }
}
