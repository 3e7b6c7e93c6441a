package io.github.jsonmmap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The one escaping rule of every text output. */
class SafeTextTest {

  @Test
  void plainTextAndOtherUnicodeAreUnchanged() {
    String text = "limits.rps=250 ünïcödé ✓ emoji \uD83D\uDE80 中文";

    assertThat(SafeText.of(text)).isSameAs(text);
  }

  @Test
  void c0DelAndC1ControlsAreEscaped() {
    assertThat(SafeText.of("a\nb\rc\td\u0000e\u001b[31mf\u007fg\u0085h\u009bi"))
        .isEqualTo("a\\nb\\rc\\td\\x00e\\x1b[31mf\\x7fg\\x85h\\x9bi");
  }

  @Test
  void bidirectionalAndLineBreakingFormatCharactersAreEscaped() {
    assertThat(
            SafeText.of(
                "\u202a\u202b\u202c\u202d\u202e|\u2066\u2067\u2068\u2069|\u200e\u200f\u061c|\u2028\u2029"))
        .isEqualTo(
            "\\u202a\\u202b\\u202c\\u202d\\u202e|\\u2066\\u2067\\u2068\\u2069|\\u200e\\u200f\\u061c"
                + "|\\u2028\\u2029");
  }

  @Test
  void aBackslashIsEscapedSoThatEscapesAreUnambiguous() {
    assertThat(SafeText.of("C:\\dir\\n")).isEqualTo("C:\\\\dir\\\\n");
    assertThat(SafeText.of("C:\\dir\\n")).isNotEqualTo(SafeText.of("C:\\dir\n"));
  }

  @Test
  void unpairedSurrogatesAreEscapedAndPairsKept() {
    assertThat(SafeText.of("a\uD83Db")).isEqualTo("a\\ud83db");
    assertThat(SafeText.of("a\uDE80b")).isEqualTo("a\\ude80b");
    assertThat(SafeText.of("\uD83D\uDE80\uD83D")).isEqualTo("\uD83D\uDE80\\ud83d");
  }

  @Test
  void nullPrintsAsNull() {
    assertThat(SafeText.of(null)).isEqualTo("null");
  }
}
