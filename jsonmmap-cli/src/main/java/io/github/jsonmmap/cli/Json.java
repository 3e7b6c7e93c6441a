package io.github.jsonmmap.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
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
    } catch (NumberFormatException e) {
      throw CliException.usage(
          "VALUE is a number out of range (an exponent past what a decimal holds); "
              + "--string stores it as text");
    }
  }

  /**
   * Reads a JSON object given as an argument: the JSON itself, {@code @path} for a file, or {@code
   * -} for standard input. A file must be a regular file (a FIFO with no writer would block the
   * command in open(), a device like {@code /dev/zero} never ends: a pipe goes through {@code -});
   * a file or standard input is read to at most {@code limit} bytes and must be UTF-8.
   *
   * @param what what the value is, for messages ("document", "patch")
   * @param limit the most bytes of input taken (more is refused, not read)
   */
  static ObjectNode readObject(String argument, String what, long limit) {
    String source;
    String text;
    if (argument.equals("-")) {
      source = "stdin";
      text = decode(readBounded(System.in, source, what, limit), source, what);
    } else if (argument.startsWith("@")) {
      Path file = Path.of(argument.substring(1)).toAbsolutePath().normalize();
      source = "file " + file;
      text = decode(readFile(file, what, limit), source, what);
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
    } catch (NumberFormatException e) {
      throw CliException.usage(
          what
              + " is not valid JSON: input="
              + source
              + " error=number out of range (an exponent past what a decimal holds)");
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

  /**
   * The bytes of a regular file named by {@code @path} (links followed: the user named it), or of a
   * descriptor this process was given ({@code @/dev/stdin}, {@code @/dev/fd/63} from a shell's
   * {@code <(...)}), which is read as standard input is.
   */
  private static byte[] readFile(Path file, String what, long limit) {
    try {
      BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
      if (!attributes.isRegularFile() && !attributes.isDirectory() && ownDescriptor(file)) {
        try (InputStream in = Files.newInputStream(file)) {
          return readBounded(in, "file " + file, what, limit);
        }
      }
      if (!attributes.isRegularFile()) {
        throw CliException.usage(
            "cannot read "
                + what
                + ": input="
                + file
                + (attributes.isDirectory()
                    ? " is a directory"
                    : " is not a regular file (a FIFO, socket or device; to read a pipe, give -"
                        + " and pipe it to standard input)"));
      }
      if (attributes.size() > limit) {
        throw tooLarge(what, "file " + file, CliText.bytes(attributes.size()), limit);
      }
      try (InputStream in = Files.newInputStream(file)) {
        return readBounded(in, "file " + file, what, limit);
      }
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
  }

  /** Whether {@code file} names one of this process's open descriptors, whose writer exists. */
  private static boolean ownDescriptor(Path file) {
    String name = file.toString();
    return name.equals("/dev/stdin")
        || name.startsWith("/dev/fd/")
        || name.startsWith("/proc/self/fd/")
        || name.startsWith("/proc/" + ProcessHandle.current().pid() + "/fd/");
  }

  /** At most {@code limit} bytes of {@code in}; one more is refused as too large. */
  private static byte[] readBounded(InputStream in, String source, String what, long limit) {
    try {
      byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
      if (bytes.length > limit) {
        throw tooLarge(what, source, "over " + CliText.bytes(limit), limit);
      }
      return bytes;
    } catch (IOException e) {
      throw CliException.usage(
          "cannot read " + what + ": input=" + source + " error=" + e.getMessage());
    }
  }

  private static CliException tooLarge(String what, String source, String size, long limit) {
    return CliException.usage(
        what
            + " too large: input="
            + source
            + " size="
            + size
            + " limit="
            + CliText.bytes(limit)
            + " (the file's --max-size; a document is at most a third of it)");
  }

  private static String decode(byte[] bytes, String source, String what) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw CliException.usage(what + " is not UTF-8 text: input=" + source);
    }
  }

  private static String oneLine(String message) {
    return message == null ? "unknown" : message.replaceAll("\\s*\\R\\s*", " ").trim();
  }
}
