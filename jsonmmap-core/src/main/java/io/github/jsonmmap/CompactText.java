package io.github.jsonmmap;

/**
 * Drops the white space between the tokens of JSON text, for the writer, which stores text without
 * parsing it when every token is already written as its own serialisation of the parsed tree would
 * write it ({@link Documents#storableText}, where {@link FastCheck} decides that, before and after
 * this).
 *
 * <p>It never decides whether text is JSON. It declines (returns -1) white space between two
 * characters of scalar tokens ({@code 1 2}, {@code tr ue}): dropping it would join two tokens into
 * one and make JSON of text that is not. A string is copied as it is, its escapes stepped over.
 */
final class CompactText {

  private CompactText() {}

  /**
   * Copies {@code in} to {@code out} (at least as long; may be {@code in} itself) without the white
   * space between tokens.
   *
   * @return the length written, or -1 when dropping white space would join two tokens, or a string
   *     has no end
   */
  static int compact(byte[] in, byte[] out) {
    int n = in.length;
    int o = 0;
    // The bytes from run to i are kept, and copied in one piece when white space ends them.
    int run = 0;
    int i = 0;
    while (i < n) {
      byte c = in[i];
      if (c == '"') {
        i = stringEnd(in, i + 1);
        if (i < 0) {
          return -1;
        }
      } else if (isWhiteSpace(c)) {
        int end = i + 1;
        while (end < n && isWhiteSpace(in[end])) {
          end++;
        }
        if (i > 0 && end < n && isScalarChar(in[i - 1]) && isScalarChar(in[end])) {
          return -1;
        }
        System.arraycopy(in, run, out, o, i - run);
        o += i - run;
        i = end;
        run = end;
      } else {
        i++;
      }
    }
    System.arraycopy(in, run, out, o, n - run);
    return o + n - run;
  }

  /**
   * The index after the closing quote of the string whose contents start at {@code from}, or -1.
   */
  static int stringEnd(byte[] in, int from) {
    int n = in.length;
    for (int i = from; i < n; i++) {
      byte c = in[i];
      if (c == '"') {
        return i + 1;
      }
      if (c == '\\') {
        i++;
      }
    }
    return -1;
  }

  /** JSON's white space: space, tab, line feed, carriage return. */
  static boolean isWhiteSpace(byte c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
  }

  /**
   * A character of a number or a literal, the only characters of those tokens: two of them never
   * stand side by side across a gap.
   */
  static boolean isScalarChar(byte c) {
    return (c >= '0' && c <= '9')
        || (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || c == '-'
        || c == '+'
        || c == '.';
  }
}
