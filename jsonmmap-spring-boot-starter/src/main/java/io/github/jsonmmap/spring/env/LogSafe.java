package io.github.jsonmmap.spring.env;

import java.util.List;

/** Renders names from the document for one log line: control characters escaped, length bounded. */
final class LogSafe {

  /** Longest name rendered in full. */
  private static final int MAX_NAME = 200;

  private LogSafe() {}

  /** {@code [a, b, ...] (+N more)}, each name escaped and bounded. */
  static String names(List<String> names, int max) {
    StringBuilder out = new StringBuilder("[");
    for (int i = 0; i < names.size() && i < max; i++) {
      if (i > 0) {
        out.append(", ");
      }
      out.append(name(names.get(i)));
    }
    out.append(']');
    if (names.size() > max) {
      out.append(" (+").append(names.size() - max).append(" more)");
    }
    return out.toString();
  }

  /**
   * One name with control and format characters as Java unicode escapes, cut at {@value #MAX_NAME}.
   */
  static String name(String name) {
    StringBuilder out = new StringBuilder(Math.min(name.length(), MAX_NAME) + 8);
    for (int i = 0; i < name.length(); i++) {
      if (i == MAX_NAME) {
        return out.append("...").toString();
      }
      char c = name.charAt(i);
      int type = Character.getType(c);
      if (Character.isISOControl(c)
          || type == Character.FORMAT
          || type == Character.LINE_SEPARATOR
          || type == Character.PARAGRAPH_SEPARATOR) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
