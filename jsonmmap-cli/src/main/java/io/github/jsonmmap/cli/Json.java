package io.github.jsonmmap.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import tools.jackson.core.JacksonException;
import tools.jackson.core.SerializableString;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.io.CharacterEscapes;
import tools.jackson.core.io.SerializedString;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.util.DefaultIndenter;
import tools.jackson.core.util.DefaultPrettyPrinter;
import tools.jackson.core.util.Separators;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectWriter;
import tools.jackson.databind.cfg.JsonNodeFeature;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/** Reading JSON given on the command line and printing JSON the way jq does. Stateless. */
final class Json {

  /**
   * Strict: duplicate keys and trailing tokens are errors, so "1 2" is not taken as 1. Numbers are
   * kept exactly as written (no double that overflows to Infinity or loses digits), as the library
   * keeps them.
   */
  static final JsonMapper MAPPER =
      JsonMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .enable(JsonNodeFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
          .build();

  /**
   * Writes exact JSON that is also safe on a terminal: besides the C0 controls JSON requires to be
   * escaped, DEL, C1 and the bidirectional and line-breaking format characters of {@link
   * SafeText#isControl} are written as {@code \}{@code uXXXX} escapes, which are the same string.
   */
  private static final JsonMapper OUTPUT =
      JsonMapper.builder(JsonFactory.builder().characterEscapes(new TerminalEscapes()).build())
          .build();

  private static final ObjectWriter COMPACT = OUTPUT.writer();

  private static final ObjectWriter PRETTY =
      OUTPUT
          .writer()
          .with(
              new DefaultPrettyPrinter(
                      Separators.createDefaultInstance()
                          .withObjectNameValueSpacing(Separators.Spacing.AFTER)
                          .withObjectEmptySeparator("")
                          .withArrayEmptySeparator(""))
                  .withArrayIndenter(new DefaultIndenter("  ", "\n"))
                  .withObjectIndenter(new DefaultIndenter("  ", "\n")));

  private Json() {}

  static String pretty(JsonNode node) {
    return PRETTY.writeValueAsString(node);
  }

  static String compact(JsonNode node) {
    return COMPACT.writeValueAsString(node);
  }

  static ObjectNode object() {
    return JsonNodeFactory.instance.objectNode();
  }

  /** Parses text as JSON, or returns null when it is not exactly one valid JSON value. */
  static JsonNode tryParse(String text) {
    try {
      JsonNode node = MAPPER.readTree(text);
      return node == null || node.isMissingNode() ? null : node;
    } catch (JacksonException e) {
      return null;
    }
  }

  /**
   * Reads a JSON object given as an argument: the JSON itself, {@code @path} for a file, or {@code
   * -} for standard input.
   *
   * @param what what the value is, for messages ("document", "patch")
   */
  static ObjectNode readObject(String argument, String what) {
    String source;
    String text;
    if (argument.equals("-")) {
      source = "stdin";
      text = readStdin();
    } else if (argument.startsWith("@")) {
      Path file = Path.of(argument.substring(1)).toAbsolutePath().normalize();
      source = "file " + file;
      try {
        text = Files.readString(file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw CliException.usage(
            "cannot read "
                + what
                + ": input="
                + file
                + " error="
                + e.getClass().getSimpleName()
                + ": "
                + e.getMessage());
      }
    } else {
      source = "argument";
      text = argument;
    }
    JsonNode node;
    try {
      node = MAPPER.readTree(text);
    } catch (JacksonException e) {
      throw CliException.usage(
          what
              + " is not valid JSON: input="
              + source
              + " error="
              + oneLine(e.getOriginalMessage()));
    }
    if (node == null || node.isMissingNode()) {
      throw CliException.usage(what + " is empty: input=" + source);
    }
    if (!node.isObject()) {
      throw CliException.usage(
          what
              + " must be a JSON object: input="
              + source
              + " root="
              + node.getNodeType().toString().toLowerCase(Locale.ROOT));
    }
    return (ObjectNode) node;
  }

  /** JSON's own escapes, plus {@code \}{@code uXXXX} for what a terminal would act on. */
  private static final class TerminalEscapes extends CharacterEscapes {
    private static final long serialVersionUID = 1L;

    private final int[] ascii;

    TerminalEscapes() {
      ascii = CharacterEscapes.standardAsciiEscapesForJSON();
      ascii[0x7F] = CharacterEscapes.ESCAPE_STANDARD;
    }

    @Override
    public int[] getEscapeCodesForAscii() {
      return ascii;
    }

    @Override
    public SerializableString getEscapeSequence(int ch) {
      return SafeText.isControl(ch)
          ? new SerializedString(String.format(Locale.ROOT, "\\u%04X", ch))
          : null;
    }
  }

  private static String readStdin() {
    try {
      InputStream in = System.in;
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw CliException.usage("cannot read standard input: error=" + e.getMessage());
    }
  }

  private static String oneLine(String message) {
    return message == null ? "unknown" : message.replaceAll("\\s*\\R\\s*", " ").trim();
  }
}
