package io.github.jsonmmap.cli;

import java.util.Locale;

/**
 * The one way the commands turn text from a file, the document or the command line into terminal
 * output: every character that a terminal would act on instead of showing is replaced by a visible
 * escape, so that a key, a value, a document name, the writer info or a path can never print a
 * forged line, move the cursor or change colours. JSON output does not come through here: it is
 * escaped by {@link Json} and stays exact JSON.
 *
 * <p>Escaped: the backslash itself ({@code \\}, so that the output is unambiguous), C0 controls
 * ({@code \n}, {@code \r}, {@code \t}, else {@code \x1b} and the like), DEL and C1 controls ({@code
 * \x7f}, {@code \x9b}), the Unicode bidirectional controls U+061C, U+200E, U+200F, U+202A-U+202E,
 * U+2066-U+2069, the line and paragraph separators U+2028 and U+2029, and unpaired surrogates (a
 * backslash, {@code u} and four hex digits, such as {@code \}{@code u202e}). Everything else, other
 * Unicode text included, prints as it is.
 *
 * <p>Stateless; safe to call from any thread.
 */
final class SafeText {

  private SafeText() {}

  /** {@code value} as text that is safe to print on a terminal; "null" for null. */
  static String of(Object value) {
    String text = String.valueOf(value);
    int n = text.length();
    int i = 0;
    while (i < n && !needsEscape(text, i)) {
      i++;
    }
    if (i == n) {
      return text;
    }
    StringBuilder b = new StringBuilder(n + 16).append(text, 0, i);
    for (; i < n; i++) {
      char c = text.charAt(i);
      if (!needsEscape(text, i)) {
        b.append(c);
        continue;
      }
      switch (c) {
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c <= 0xFF) {
            b.append(String.format(Locale.ROOT, "\\x%02x", (int) c));
          } else {
            b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          }
        }
      }
    }
    return b.toString();
  }

  /** Whether the character at {@code i} is escaped (a well-formed surrogate pair is not). */
  private static boolean needsEscape(String text, int i) {
    char c = text.charAt(i);
    if (c == '\\' || isControl(c)) {
      return true;
    }
    if (Character.isHighSurrogate(c)) {
      return i + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(i + 1));
    }
    if (Character.isLowSurrogate(c)) {
      return i == 0 || !Character.isHighSurrogate(text.charAt(i - 1));
    }
    return false;
  }

  /**
   * C0, DEL, C1, and the format characters that reorder or break lines on a terminal: what must
   * never reach one raw, in text or in JSON strings.
   */
  static boolean isControl(int c) {
    return c < 0x20
        || (c >= 0x7F && c <= 0x9F)
        || c == 0x061C
        || c == 0x200E
        || c == 0x200F
        || (c >= 0x2028 && c <= 0x202E)
        || (c >= 0x2066 && c <= 0x2069);
  }
}
