package io.github.jsonmmap;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.StreamWriteConstraints;
import tools.jackson.core.TokenStreamFactory;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.core.exc.StreamConstraintsException;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.cfg.JsonNodeFeature;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.BooleanNode;
import tools.jackson.databind.node.DoubleNode;
import tools.jackson.databind.node.IntNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.LongNode;
import tools.jackson.databind.node.NullNode;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.databind.node.StringNode;

/**
 * Document handling that does not touch the file: FORMAT.md's document rules (strict UTF-8, bounded
 * parsing, exact numbers, a bounded flattened size), flattening to Spring-style keys, diffs, RFC
 * 7386 merge patches and single-key edits by path.
 *
 * <p>Stateless apart from the immutable mappers it is built with; safe to call from any thread.
 *
 * <p>The flattened size of a document is bounded so that taking in any version costs memory and
 * time linear in its size, whatever its shape: at most {@link #MAX_FLATTENED_KEYS} flattened keys,
 * and the characters of all flattened keys together at most {@link #flattenedCharsLimit(long)}. The
 * writer refuses a document beyond either bound before it publishes it; a reader refuses one
 * planted by another writer as invalid.
 */
final class Documents {

  /** Most flattened keys (scalars, nulls, empty objects and empty arrays) a document may have. */
  static final int MAX_FLATTENED_KEYS = 1 << 21;

  /**
   * The fewest entries of a container whose halves a publish walks on two threads ({@link
   * WalkHelper}), in a document likely longer than {@link #FORK_MIN_BYTES}.
   */
  static final int FORK_MIN_ENTRIES = 1024;

  /**
   * The shortest document likely to be published whose walk two threads share: on the development
   * VM a helper woken for a shorter walk (1 MiB, a few ms) mostly ran on the publisher's own core,
   * taking turns with it, and the split then cost more than it saved.
   */
  static final int FORK_MIN_BYTES = 2 * 1024 * 1024;

  /** Flattened key characters allowed per byte of document, on top of {@link #FLAT_CHARS_FLOOR}. */
  static final long FLAT_CHARS_PER_BYTE = 32;

  /** Flattened key characters any document may have, however small. */
  static final long FLAT_CHARS_FLOOR = 1L << 20;

  /** Most flattened key characters a document may have, however large. */
  static final long MAX_FLAT_CHARS = 1L << 27;

  /** Largest magnitude of a decimal number's scale: {@code 1e100000} is allowed, 1e100001 not. */
  static final int MAX_DECIMAL_SCALE = 100_000;

  private static final JsonMapper DEFAULT_MAPPER =
      JsonMapper.builder()
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .enable(JsonNodeFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
          .build();

  private final JsonMapper parser;

  /**
   * The same parser without Jackson's duplicate-name detection, for bytes that {@link #check} has
   * accepted (it finds duplicates itself, with one reusable name table per nesting level where
   * Jackson allocates a {@code HashSet} per object: two thirds of what a check allocated) and for
   * {@link #check} itself.
   */
  private final JsonMapper checked;

  private final StreamReadConstraints constraints;

  /** The length of the last document serialised: the first guess for the next one's buffer. */
  private volatile int lastSerializedLength;

  /**
   * The buffer the last serialisation wrote, kept for the next one (taken, so that two threads
   * never share it): a publish allocates one array of the document's size, its exact copy, instead
   * of two (in G1, each a humongous allocation for a document of megabytes).
   */
  private final AtomicReference<byte[]> spare = new AtomicReference<>();

  /**
   * The name sets of the last {@link #check}, kept for the next one (taken, as {@link #spare}):
   * grown to the document's largest objects, they spare a reader of a large document megabytes of
   * allocation per version.
   */
  private final AtomicReference<FastCheck.Scratch> checkScratch = new AtomicReference<>();

  /**
   * The last document {@link FastCheck} vouched for (taken, as {@link #spare}): the next version,
   * the same document with some values changed as a rule, is checked against it ({@link Recheck})
   * where their bytes differ instead of whole. It holds one document, the one a reader or writer
   * holds anyway while nothing newer passed a check.
   */
  private final AtomicReference<FastCheck.Checked> lastChecked = new AtomicReference<>();

  /**
   * A parser that refuses documents deeper than {@code maxNestingDepth} (the root object counts as
   * level 1) or longer than {@code maxDocumentLength}, duplicate keys and trailing tokens, and
   * keeps every number exactly as written: untrusted bytes never drive an unbounded allocation or
   * recursion, and never change value.
   */
  Documents(int maxNestingDepth, long maxDocumentLength) {
    this.constraints =
        StreamReadConstraints.builder()
            .maxNestingDepth(maxNestingDepth)
            .maxDocumentLength(maxDocumentLength)
            .build();
    this.parser = mapper(maxNestingDepth, true);
    this.checked = mapper(maxNestingDepth, false);
  }

  private JsonMapper mapper(int maxNestingDepth, boolean duplicateDetection) {
    JsonFactory factory =
        JsonFactory.builder()
            .streamReadConstraints(constraints)
            .streamWriteConstraints(
                StreamWriteConstraints.builder().maxNestingDepth(maxNestingDepth).build())
            .configure(StreamReadFeature.STRICT_DUPLICATE_DETECTION, duplicateDetection)
            // No shared table of names: it saves little for documents read once per version, and
            // names made to collide under its hash make Jackson refuse a document ("suspect a DoS
            // attack") that FastCheck, which does not model the table, would have accepted.
            .disable(TokenStreamFactory.Feature.CANONICALIZE_PROPERTY_NAMES)
            .build();
    return JsonMapper.builder(factory)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
        .enable(JsonNodeFeature.USE_BIG_DECIMAL_FOR_FLOATS)
        .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
        .build();
  }

  JsonMapper mapper() {
    return parser;
  }

  /**
   * The mapper a handle uses to convert objects to trees when the options name none: decimals read
   * from a tree become {@link BigDecimal}, so no value is rounded on the way.
   */
  static JsonMapper defaultMapper() {
    return DEFAULT_MAPPER;
  }

  /** The most characters all flattened keys of a document of {@code length} bytes may have. */
  static long flattenedCharsLimit(long length) {
    return Math.min(MAX_FLAT_CHARS, FLAT_CHARS_FLOOR + FLAT_CHARS_PER_BYTE * Math.max(0, length));
  }

  /** A parsed document and what its walk found. */
  record Parsed(ObjectNode tree, Shape shape) {}

  /**
   * What a walk of a document found.
   *
   * @param keys flattened keys
   * @param keyChars code points of all flattened keys together
   * @param dottedNames whether some property name is empty or holds {@code .} or {@code [}, so that
   *     two paths may flatten to the same key
   */
  record Shape(int keys, long keyChars, boolean dottedNames) {}

  /**
   * Parses JSON text by the encoding and syntax rules (strict UTF-8, no duplicate names, the
   * parser's limits) into a tree whose root must be an object; the flattened size is left to the
   * walk of whoever uses the tree (the writer walks what it publishes).
   */
  ObjectNode parseText(Path file, byte[] bytes) {
    checkEncoding(file, bytes);
    JsonNode tree;
    try {
      tree = parser.readTree(bytes);
    } catch (JacksonException e) {
      throw notJson(file, bytes, describe(e));
    } catch (NumberFormatException e) {
      throw notJson(file, bytes, NUMBER_OUT_OF_RANGE);
    }
    return requireObject(file, tree);
  }

  /**
   * Checks a document against every rule of FORMAT.md: encoding, JSON syntax and limits, an object
   * at the root, numbers within range, and the flattened size.
   */
  Parsed parseChecked(Path file, byte[] bytes) {
    ObjectNode root = parseText(file, bytes);
    Shape shape = walk(file, root, bytes.length, false);
    return new Parsed(root, shape);
  }

  /**
   * Checks a document against the same rules as {@link #parseChecked} in one streaming pass that
   * builds no tree: a reader takes a version in after this, and parses it into a tree only when
   * something needs one ({@link #parseValid}). Numbers and strings are decoded as the tree parse
   * decodes them, so that both accept and refuse the same documents.
   *
   * <p>{@code bytes} must never change after this: the check keeps them, to check the next version
   * against ({@link Recheck}).
   */
  Shape check(Path file, byte[] bytes) {
    Shape shape = vouch(bytes, null);
    return shape != null ? shape : fullCheck(file, bytes);
  }

  /**
   * The shape {@link FastCheck} finds when it vouches for {@code bytes}, else null; {@code form},
   * when given, gets what it found of the text's form ({@link FastCheck.Scratch#form()}).
   */
  private Shape vouch(byte[] bytes, int[] form) {
    FastCheck.Checked last = lastChecked.getAndSet(null);
    // A recheck finds the new text's form exactly only when the old one's was the writer's own.
    FastCheck.Checked checked =
        last == null || (form != null && last.form() != 0)
            ? null
            : Recheck.against(
                last, bytes, constraints.getMaxDocumentLength(), constraints.getMaxStringLength());
    if (checked == null) {
      FastCheck.Scratch taken = checkScratch.getAndSet(null);
      FastCheck.Scratch scratch = taken != null ? taken : new FastCheck.Scratch();
      try {
        checked =
            FastCheck.checked(
                bytes,
                constraints.getMaxNestingDepth(),
                constraints.getMaxDocumentLength(),
                constraints.getMaxNameLength(),
                constraints.getMaxStringLength(),
                scratch,
                FastCheck.START_SPACING);
      } finally {
        checkScratch.set(scratch);
      }
    }
    lastChecked.set(checked != null ? checked : last);
    if (checked == null) {
      return null;
    }
    if (form != null) {
      form[0] = checked.form();
    }
    return checked.shape();
  }

  /**
   * The check by Jackson's tokenizer, for what {@link FastCheck} does not vouch for: accepts it, or
   * refuses it saying what is wrong and where.
   */
  Shape fullCheck(Path file, byte[] bytes) {
    checkEncoding(file, bytes);
    Scan scan = new Scan(file, bytes);
    try (JsonParser p = tokens(bytes)) {
      scan.document(p);
    } catch (JacksonException e) {
      throw notJson(file, bytes, describe(e));
    } catch (NumberFormatException e) {
      // Decoding the number of a root that is not an object, say.
      throw notJson(file, bytes, NUMBER_OUT_OF_RANGE);
    } catch (BadValue e) {
      throw new InvalidDocumentException(
          file, "document is not valid: path=" + file + " key=" + e.key + " problem=" + e.problem);
    }
    return new Shape(scan.keys, scan.keyChars, scan.dottedNames);
  }

  /**
   * A token parser straight from the factory: the mapper's {@code createParser} builds a whole
   * deserialization context first, which the check and the lookup (tokens only, never a value
   * binding) do not use, and which cost a reader's watcher a fifth of its time per version in a
   * profile of JVMs that see a change every 20 ms. The limits are the factory's, so the same.
   */
  private JsonParser tokens(byte[] bytes) {
    return checked.tokenStreamFactory().createParser(ObjectReadContext.empty(), bytes);
  }

  /** Parses a document that {@link #check} accepted into its tree. */
  ObjectNode parseValid(Path file, byte[] bytes) {
    try {
      return requireObject(file, checked.readTree(bytes));
    } catch (JacksonException e) {
      throw notJson(file, bytes, describe(e));
    } catch (NumberFormatException e) {
      throw notJson(file, bytes, NUMBER_OUT_OF_RANGE);
    }
  }

  private static void checkEncoding(Path file, byte[] bytes) {
    long fault = StrictUtf8.check(bytes);
    if (fault >= 0) {
      throw notJson(
          file,
          bytes,
          "encoding problem="
              + StrictUtf8.problem(fault).tag
              + " offset="
              + StrictUtf8.offset(fault));
    }
  }

  private static InvalidDocumentException notJson(Path file, byte[] bytes, String error) {
    return new InvalidDocumentException(
        file,
        "document is not valid JSON: path=" + file + " size=" + bytes.length + " error=" + error);
  }

  /**
   * One streaming pass over a document: counts flattened keys and their characters as {@link Walk}
   * does over a tree (refusing as soon as a bound is passed), decodes every number and string the
   * way the tree parse does, and refuses trailing tokens and a root that is not an object.
   */
  private static final class Scan {
    private final Path file;
    private final byte[] bytes;
    private final long charsLimit;
    int keys;
    long keyChars;
    boolean dottedNames;

    /** Per open container: its flattened key length, whether an array, children seen, name. */
    private long[] keyLengths = new long[16];

    private boolean[] arrays = new boolean[16];
    private int[] children = new int[16];
    private String[] names = new String[16];

    /**
     * Per open object: the names it has so far (see {@link Names}); levels made when first used.
     */
    private Names[] seen = new Names[16];

    private int depth;

    /** The flattened key length of the value after the last property name. */
    private long pending;

    Scan(Path file, byte[] bytes) {
      this.file = file;
      this.bytes = bytes;
      this.charsLimit = flattenedCharsLimit(bytes.length);
    }

    void document(JsonParser p) {
      JsonToken first = p.nextToken();
      if (first != JsonToken.START_OBJECT) {
        notAnObject(p, first);
      }
      push(0, false);
      while (depth > 0) {
        JsonToken t = p.nextToken();
        if (t == null) {
          throw notJson(file, bytes, "Unexpected end-of-input" + where(p.currentLocation()));
        }
        switch (t) {
          case PROPERTY_NAME -> {
            String name = p.currentName();
            int d = depth - 1;
            if (!seen[d].add(name)) {
              throw notJson(
                  file, bytes, "Duplicate Object property" + where(p.currentTokenLocation()));
            }
            names[d] = name;
            children[d]++;
            pending = (d == 0 ? 0 : keyLengths[d] + 1) + name(name);
          }
          case START_OBJECT -> push(valueKeyLength(), false);
          case START_ARRAY -> push(valueKeyLength(), true);
          case END_OBJECT, END_ARRAY -> {
            depth--;
            if (!arrays[depth]) {
              seen[depth].clear();
            }
            if (children[depth] == 0 && depth > 0) {
              key(keyLengths[depth]);
            }
          }
          default -> {
            key(valueKeyLength());
            value(p, t);
          }
        }
      }
      JsonToken trailing = p.nextToken();
      if (trailing != null) {
        throw trailing(p);
      }
    }

    private InvalidDocumentException trailing(JsonParser p) {
      return notJson(file, bytes, "Trailing token" + where(p.currentTokenLocation()));
    }

    /** Parses the rest of a document whose root is not an object, then refuses it. */
    private void notAnObject(JsonParser p, JsonToken first) {
      if (first != null) {
        p.skipChildren();
        decode(p, first);
        if (p.nextToken() != null) {
          throw trailing(p);
        }
      }
      String kind =
          first == null
              ? "nothing"
              : switch (first) {
                case START_ARRAY -> "array";
                case VALUE_STRING -> "string";
                case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "number";
                case VALUE_TRUE, VALUE_FALSE -> "boolean";
                case VALUE_NULL -> "null";
                default -> first.name().toLowerCase(java.util.Locale.ROOT);
              };
      throw new InvalidDocumentException(
          file, "document root must be a JSON object: path=" + file + " root=" + kind);
    }

    private void push(long keyLength, boolean array) {
      if (depth == keyLengths.length) {
        int n = depth * 2;
        keyLengths = java.util.Arrays.copyOf(keyLengths, n);
        arrays = java.util.Arrays.copyOf(arrays, n);
        children = java.util.Arrays.copyOf(children, n);
        names = java.util.Arrays.copyOf(names, n);
        seen = java.util.Arrays.copyOf(seen, n);
      }
      if (!array && seen[depth] == null) {
        seen[depth] = new Names();
      }
      keyLengths[depth] = keyLength;
      arrays[depth] = array;
      children[depth] = 0;
      names[depth] = null;
      depth++;
    }

    /** The flattened key length of the value starting now, in the innermost container. */
    private long valueKeyLength() {
      int d = depth - 1;
      if (!arrays[d]) {
        return pending;
      }
      int index = children[d]++;
      return keyLengths[d] + 2 + Walk.digits(index);
    }

    private void key(long keyLength) {
      keys++;
      keyChars += keyLength;
      if (keys > MAX_FLATTENED_KEYS || keyChars > charsLimit) {
        throw tooCostly(file, keys, charsLimit, false);
      }
    }

    private long name(String name) {
      int length = name.length();
      if (length == 0) {
        dottedNames = true;
      }
      int pairs = 0;
      for (int i = 0; i < length; i++) {
        char c = name.charAt(i);
        if (c == '.' || c == '[') {
          dottedNames = true;
        } else if (Character.isHighSurrogate(c)
            && i + 1 < length
            && Character.isLowSurrogate(name.charAt(i + 1))) {
          pairs++;
          i++;
        }
      }
      return (long) length - pairs;
    }

    /** Decodes a scalar as the tree parse does, and checks a decimal's exponent. */
    private void value(JsonParser p, JsonToken t) {
      // A short decimal always decodes: its scale is read off its characters.
      long scale =
          t == JsonToken.VALUE_NUMBER_FLOAT
              ? shortDecimalScale(p.getStringCharacters(), p.getStringOffset(), p.getStringLength())
              : NOT_SHORT;
      if (scale == NOT_SHORT) {
        BigDecimal d;
        try {
          d = decode(p, t);
        } catch (NumberFormatException e) {
          // An exponent past what BigDecimal holds (Jackson reports "value exceeds limits").
          throw badValue("exponent-out-of-range limit=" + MAX_DECIMAL_SCALE);
        }
        if (d == null) {
          return;
        }
        scale = d.scale();
      }
      if (Math.abs(scale) > MAX_DECIMAL_SCALE) {
        throw badValue("exponent-out-of-range limit=" + MAX_DECIMAL_SCALE);
      }
    }

    /**
     * Decodes a scalar token as the tree parse does (a parser refuses a number or string only once
     * it is decoded); returns the value of a decimal, else null.
     */
    private static BigDecimal decode(JsonParser p, JsonToken t) {
      switch (t) {
        case VALUE_NUMBER_INT -> {
          if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
            p.getBigIntegerValue();
          }
        }
        case VALUE_NUMBER_FLOAT -> {
          return p.getDecimalValue();
        }
        case VALUE_STRING -> p.getStringLength();
        default -> {
          // true, false, null, or a container already skipped: nothing to decode
        }
      }
      return null;
    }

    /** A bad value at the current position, with its key path. */
    private BadValue badValue(String problem) {
      BadValue bad = new BadValue(problem);
      for (int d = depth - 1; d >= 0; d--) {
        if (arrays[d]) {
          bad.index(children[d] - 1);
        } else {
          bad.name(names[d]);
        }
      }
      return bad;
    }
  }

  private static String where(TokenStreamLocation at) {
    StringBuilder s = new StringBuilder();
    if (at != null && at != TokenStreamLocation.NA) {
      if (at.getLineNr() > 0) {
        s.append(" line=").append(at.getLineNr());
      }
      if (at.getColumnNr() > 0) {
        s.append(" column=").append(at.getColumnNr());
      }
      if (at.getByteOffset() >= 0) {
        s.append(" offset=").append(at.getByteOffset());
      }
    }
    return s.toString();
  }

  /** The error for a document past a flattened-size bound. */
  private static JsonMmapException tooCostly(
      Path file, int keys, long charsLimit, boolean writing) {
    String message =
        "document too costly to flatten: path="
            + file
            + (keys > MAX_FLATTENED_KEYS
                ? " flattenedKeys>" + MAX_FLATTENED_KEYS + " limit=" + MAX_FLATTENED_KEYS
                : " flattenedKeyChars>" + charsLimit + " limit=" + charsLimit)
            + " (FORMAT.md: at most "
            + MAX_FLATTENED_KEYS
            + " keys of at most "
            + FLAT_CHARS_PER_BYTE
            + " characters per document byte plus "
            + FLAT_CHARS_FLOOR
            + ", "
            + MAX_FLAT_CHARS
            + " in all)";
    return writing
        ? new DocumentTooLargeException(file, message)
        : new InvalidDocumentException(file, message);
  }

  /**
   * Converts any Jackson-serialisable value to a document tree. A tree is taken as it is, not
   * copied: the writer only reads it (checks and serialises it) and keeps nothing of it, its
   * snapshot is made from the bytes it wrote.
   *
   * <p>A {@link CharSequence} or a {@code byte[]} is JSON text (UTF-8 for bytes), parsed by the
   * rules a reader applies (strict UTF-8, no duplicate names, every number exactly as written, this
   * handle's depth and length limits): serialised as a value, either would be a JSON string, which
   * is never a document, so reading them as text takes nothing away.
   */
  ObjectNode toTree(Path file, JsonMapper mapper, Object value) {
    Objects.requireNonNull(value, "document");
    if (value instanceof CharSequence text) {
      // A character is a byte at least: refused before it is encoded when it has too many.
      refuseLongText(file, text.length(), "at least ");
      byte[] utf8 = utf8(file, text);
      refuseLongText(file, utf8.length, "");
      return parseText(file, utf8);
    }
    if (value instanceof byte[] utf8) {
      refuseLongText(file, utf8.length, "");
      return parseText(file, utf8);
    }
    JsonNode tree;
    try {
      tree = value instanceof JsonNode node ? node : mapper.valueToTree(value);
    } catch (JacksonException e) {
      throw new InvalidDocumentException(
          file, "document cannot be serialised: path=" + file + " error=" + describe(e));
    }
    return requireObject(file, tree);
  }

  /**
   * Refuses JSON text longer than the parser reads, as too large (the parser would call it not
   * JSON, naming its own limit): {@code maxSize}, white space included, for text of any form; the
   * document's own limit applies to what is stored.
   */
  private void refuseLongText(Path file, long length, String bound) {
    long limit = constraints.getMaxDocumentLength();
    if (length > limit) {
      throw new DocumentTooLargeException(
          file,
          "document too large: path="
              + file
              + " size="
              + bound
              + Units.bytes(length)
              + " limit="
              + Units.bytes(limit)
              + " (JSON text is read up to maxSize, white space included)");
    }
  }

  /**
   * The bytes to publish for a document given as JSON text ({@link #toTree} says which values are
   * text) that the writer can store without parsing it: text for which {@link FastCheck} vouches,
   * as a reader's check will, and whose every token is written as {@link #serialize} would write
   * its tree; white space between tokens is dropped ({@link CompactText}) and the rest checked
   * again. Null for any other value or text, which the caller converts ({@link #toTree}) and
   * serialises: that stores the same bytes, or says what is wrong.
   */
  Serialized storableText(Path file, Object value) {
    if (!(value instanceof byte[]) && !(value instanceof CharSequence)) {
      return null;
    }
    // The parser refuses text over the length, white space included (a character is a byte at
    // least), before anything is copied; the walk refuses numbers longer than the limit, which
    // FastCheck might vouch for.
    long size = value instanceof byte[] utf8 ? utf8.length : ((CharSequence) value).length();
    if (size > constraints.getMaxDocumentLength()
        || constraints.getMaxNumberLength() < FastCheck.MAX_NUMBER_CHARS) {
      return null;
    }
    byte[] text;
    if (value instanceof byte[] utf8) {
      // A copy first: the caller's array may change after this check, the stored bytes may not.
      text = utf8.clone();
    } else {
      text = utf8(file, (CharSequence) value);
      if (text.length > constraints.getMaxDocumentLength()) {
        return null;
      }
    }
    int[] form = new int[1];
    if (!spacedStart(text)) {
      Shape shape = vouch(text, form);
      if (shape == null || (form[0] & FastCheck.UNLIKE_WRITER) != 0) {
        return null;
      }
      if (form[0] == 0) {
        return new Serialized(text, shape);
      }
    }
    // White space: checked once compact (the flattened size's bound follows the length). Dropping
    // it changes no token, so this text is JSON exactly when the caller's is. Into a new array: a
    // check keeps the text it vouched for (vouch).
    byte[] compact = new byte[text.length];
    int length = CompactText.compact(text, compact);
    if (length < 0) {
      return null;
    }
    byte[] bytes = length == compact.length ? compact : Arrays.copyOf(compact, length);
    Shape shape = vouch(bytes, form);
    return shape != null && form[0] == 0 ? new Serialized(bytes, shape) : null;
  }

  /** Whether text starts as pretty-printed text does, white space in its first two bytes. */
  private static boolean spacedStart(byte[] text) {
    for (int i = 0; i < Math.min(2, text.length); i++) {
      if (CompactText.isWhiteSpace(text[i])) {
        return true;
      }
    }
    return false;
  }

  /**
   * JSON text as UTF-8, refusing a lone surrogate (which the JDK's encoder would replace by {@code
   * ?}, publishing a value the caller never wrote; a tree's string with one is refused too).
   */
  private static byte[] utf8(Path file, CharSequence text) {
    String s = text.toString();
    int lone = Walk.loneSurrogate(s);
    if (lone >= 0) {
      throw new InvalidDocumentException(
          file,
          "document is not valid JSON: path="
              + file
              + " length="
              + s.length()
              + " error=encoding problem=lone-surrogate index="
              + lone);
    }
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Converts one value (any Jackson-serialisable object, a tree, or null) to a node, copied. */
  JsonNode toNode(Path file, JsonMapper mapper, Object value) {
    if (value == null) {
      return JsonNodeFactory.instance.nullNode();
    }
    try {
      return value instanceof JsonNode node ? node.deepCopy() : mapper.valueToTree(value);
    } catch (JacksonException e) {
      throw new InvalidDocumentException(
          file, "value cannot be serialised: path=" + file + " error=" + describe(e));
    }
  }

  /**
   * Serialises a document the writer is about to publish, after checking that every reader will
   * take it in unchanged: no non-finite number, no lone surrogate, names and numbers within the
   * parser's limits, nesting within the limit, and a flattened size within the bounds. One walk
   * checks the tree and writes its bytes ({@link CompactJson}, the bytes the mapper would write); a
   * tree with a leaf that only the mapper writes (binary, POJO) is serialised by the mapper and
   * walked after.
   *
   * @throws InvalidDocumentException naming the key path of a value that breaks a rule
   * @throws DocumentTooLargeException naming the bound the flattened size exceeds
   */
  Serialized serialize(Path file, ObjectNode tree) {
    CompactJson out = new CompactJson(spare.getAndSet(null), lastSerializedLength);
    Walk walk =
        new Walk(
            file,
            MAX_FLAT_CHARS,
            true,
            constraints.getMaxNameLength(),
            constraints.getMaxNumberLength(),
            constraints.getMaxNestingDepth(),
            out);
    walk.forkLargeContainer(lastSerializedLength);
    try {
      walk.root(tree);
    } catch (CompactJson.Unsupported e) {
      return serializeWithMapper(file, tree);
    } catch (BadValue e) {
      throw cannotPublish(file, e);
    }
    // The bound on key characters depends on the length, known only now.
    long charsLimit = flattenedCharsLimit(out.length());
    if (walk.keyChars > charsLimit) {
      throw tooCostly(file, walk.keys, charsLimit, true);
    }
    byte[] bytes = out.toByteArray();
    lastSerializedLength = bytes.length;
    // Kept unless far larger than what it now serves (a document that shrank).
    if (out.buffer().length <= Math.max(1 << 16, 2L * bytes.length)) {
      spare.set(out.buffer());
    }
    return new Serialized(bytes, new Shape(walk.keys, walk.keyChars, walk.dottedNames));
  }

  /**
   * The mapper's serialisation, then the walk: for trees with leaves {@link CompactJson} leaves.
   */
  private Serialized serializeWithMapper(Path file, ObjectNode tree) {
    byte[] bytes;
    try {
      bytes = parser.writeValueAsBytes(tree);
    } catch (JacksonException e) {
      throw new InvalidDocumentException(
          file, "document cannot be serialised: path=" + file + " error=" + describe(e));
    }
    return new Serialized(bytes, walk(file, tree, bytes.length, true));
  }

  /** A document serialised for publishing, and what the walk that checked it found. */
  record Serialized(byte[] bytes, Shape shape) {}

  /** Walks a document without flattening it; see {@link Shape}. */
  static Shape shape(ObjectNode root) {
    Walk walk =
        new Walk(
            null,
            Long.MAX_VALUE,
            false,
            Integer.MAX_VALUE,
            Integer.MAX_VALUE,
            Integer.MAX_VALUE,
            null);
    walk.root(root);
    return new Shape(walk.keys, walk.keyChars, walk.dottedNames);
  }

  private Shape walk(Path file, ObjectNode root, long length, boolean writing) {
    Walk walk =
        new Walk(
            file,
            flattenedCharsLimit(length),
            writing,
            constraints.getMaxNameLength(),
            constraints.getMaxNumberLength(),
            Integer.MAX_VALUE,
            null);
    try {
      walk.root(root);
    } catch (BadValue e) {
      throw writing ? cannotPublish(file, e) : notValid(file, e);
    }
    return new Shape(walk.keys, walk.keyChars, walk.dottedNames);
  }

  /** What a publish throws for {@code e}, thrown by a {@link Walk} of the tree it publishes. */
  static RuntimeException publishFailure(Path file, RuntimeException e) {
    return e instanceof BadValue b ? cannotPublish(file, b) : e;
  }

  private static InvalidDocumentException cannotPublish(Path file, BadValue e) {
    return new InvalidDocumentException(
        file,
        "document cannot be published: path=" + file + " key=" + e.key + " problem=" + e.problem);
  }

  private static InvalidDocumentException notValid(Path file, BadValue e) {
    return new InvalidDocumentException(
        file, "document is not valid: path=" + file + " key=" + e.key + " problem=" + e.problem);
  }

  /** What {@link #shortDecimalScale} returns for a decimal it leaves to {@link BigDecimal}. */
  static final long NOT_SHORT = Long.MIN_VALUE;

  /**
   * The scale {@link BigDecimal} gives the decimal written in {@code chars} (the digits after the
   * point less the exponent), for a token the parser accepted of at most 24 characters with an
   * exponent of at most 6 digits, or {@link #NOT_SHORT}. Such a token always decodes (it is far
   * below every length limit, and its exponent far inside an {@code int}), so the check need not
   * build the number: building it was a tenth of the check of the benchmarks' 4 MiB document (a
   * decimal in every fifth value).
   */
  static long shortDecimalScale(char[] chars, int offset, int length) {
    if (length > 24) {
      return NOT_SHORT;
    }
    int end = offset + length;
    int i = offset;
    long fraction = 0;
    boolean inFraction = false;
    for (; i < end; i++) {
      char c = chars[i];
      if (c == 'e' || c == 'E') {
        break;
      }
      if (c == '.') {
        inFraction = true;
      } else if (inFraction) {
        fraction++;
      }
    }
    long exponent = 0;
    if (i < end) {
      i++;
      boolean negative = chars[i] == '-';
      if (negative || chars[i] == '+') {
        i++;
      }
      if (end - i > 6) {
        return NOT_SHORT;
      }
      for (; i < end; i++) {
        exponent = exponent * 10 + (chars[i] - '0');
      }
      if (negative) {
        exponent = -exponent;
      }
    }
    return fraction - exponent;
  }

  /**
   * The property names of one open object, to find a duplicate: a list scanned linearly while
   * short, with an open-addressing table beside it once longer; emptied for the next object at the
   * same level in time proportional to what it held. Allocates only to grow. Names whose hash codes
   * collide on purpose (they are easy to make) would make the table quadratic: a probe longer than
   * {@link #MAX_PROBES} moves the object to a {@code HashSet}, which keeps colliding strings in a
   * balanced tree.
   */
  static final class Names {
    private static final int LINEAR = 8;
    private static final int MAX_PROBES = 64;

    /** What {@link #insert} did. */
    private static final int ADDED = 0;

    private static final int DUPLICATE = 1;
    private static final int TOO_LONG = 2;

    private String[] list = new String[LINEAR];

    /** Set once a probe ran too long, for the rest of the object. */
    private java.util.HashSet<String> collided;

    /** Open addressing, at most half full; indexes {@link #list} once it holds {@link #LINEAR}. */
    private String[] table;

    private boolean indexed;
    private int size;

    /** Adds {@code name}; false when the object already has it. */
    boolean add(String name) {
      if (collided != null) {
        return collided.add(name);
      }
      if (size < LINEAR) {
        for (int i = 0; i < size; i++) {
          if (name.equals(list[i])) {
            return false;
          }
        }
      } else {
        boolean tableReady = indexed && size < table.length / 2 || index();
        int inserted = tableReady ? insert(table, name) : TOO_LONG;
        if (inserted == DUPLICATE) {
          return false;
        }
        if (inserted == TOO_LONG) {
          collided = new java.util.HashSet<>(java.util.Arrays.asList(list).subList(0, size));
          return collided.add(name);
        }
      }
      if (size == list.length) {
        list = java.util.Arrays.copyOf(list, size * 2);
      }
      list[size++] = name;
      return true;
    }

    /**
     * Puts every name held into a table four times their number (an empty one is reused); false
     * when a probe ran too long.
     */
    private boolean index() {
      int capacity = Integer.highestOneBit(size) * 4;
      if (indexed || table == null || table.length != capacity) {
        table = new String[capacity];
      }
      indexed = true;
      for (int i = 0; i < size; i++) {
        if (insert(table, list[i]) == TOO_LONG) {
          return false;
        }
      }
      return true;
    }

    /**
     * Puts {@code name} in {@code table}, unless it is there or the probe runs too long. The slot
     * is the top bits of the hash code times the golden ratio: names like {@code svc000001,
     * svc000002...} have consecutive hash codes, which taken as they are filled one run of
     * neighbouring slots that every later name had to probe past (a 4 MiB document of such names
     * fell back to the {@code HashSet} for its largest object).
     */
    private static int insert(String[] table, String name) {
      int mask = table.length - 1;
      int i = (name.hashCode() * 0x9E3779B9) >>> (Integer.numberOfLeadingZeros(table.length) + 1);
      for (int probes = 0; probes < MAX_PROBES; probes++, i = (i + 1) & mask) {
        String held = table[i];
        if (held == null) {
          table[i] = name;
          return ADDED;
        }
        if (held.equals(name)) {
          return DUPLICATE;
        }
      }
      return TOO_LONG;
    }

    /** Whether a probe ran too long and this object's names moved to a {@code HashSet}. */
    boolean fellBack() {
      return collided != null;
    }

    /** Empties this for the next object, in time proportional to what the last one held. */
    void clear() {
      collided = null;
      if (indexed) {
        // Sized for this object (at most four slots a name; a larger one left by an earlier
        // object is never reused): the fill costs what its inserts cost.
        java.util.Arrays.fill(table, null);
        indexed = false;
      }
      java.util.Arrays.fill(list, 0, size, null);
      size = 0;
    }
  }

  /** A value that breaks a rule, on its way up to the root collecting its key path. */
  private static final class BadValue extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String problem;
    private String key = "";

    BadValue(String problem) {
      super(problem, null, false, false);
      this.problem = problem;
    }

    BadValue name(String name) {
      key = key.isEmpty() || key.startsWith("[") ? name + key : name + "." + key;
      return this;
    }

    BadValue index(int index) {
      key = "[" + index + "]" + key;
      return this;
    }
  }

  /**
   * One walk over a tree counting flattened keys and their characters, refusing as soon as a bound
   * is passed; when {@code writing}, also refusing values a reader would refuse or change.
   */
  static final class Walk {
    private final Path file;
    private final long charsLimit;
    private final boolean writing;
    private final int maxNameLength;
    private final int maxNumberLength;
    private final int maxDepth;

    /** Where the walk writes the document as it goes, or null when it only walks. */
    private final CompactJson out;

    int keys;
    long keyChars;
    boolean dottedNames;

    /** Whether this walk may still hand half of one large container to {@link WalkHelper}. */
    private boolean mayFork;

    /** The length the document likely has, when {@link #mayFork}. */
    private int expectedLength;

    Walk(
        Path file,
        long charsLimit,
        boolean writing,
        int maxNameLength,
        int maxNumberLength,
        int maxDepth,
        CompactJson out) {
      this.file = file;
      this.charsLimit = charsLimit;
      this.writing = writing;
      this.maxNameLength = maxNameLength;
      this.maxNumberLength = maxNumberLength;
      this.maxDepth = maxDepth;
      this.out = out;
    }

    void root(ObjectNode root) {
      container(root, true, -1, 1);
    }

    /**
     * Lets this walk split the first container it meets with at least {@link #FORK_MIN_ENTRIES}
     * entries in two halves walked at the same time ({@link WalkHelper}), when it writes, the
     * document likely has {@code expectedLength} bytes, at least {@link #FORK_MIN_BYTES}, and there
     * is a second core. The bytes, the counts and the first error met are those of one walk.
     */
    void forkLargeContainer(int expectedLength) {
      this.expectedLength = expectedLength;
      mayFork =
          out != null
              && expectedLength >= FORK_MIN_BYTES
              && maxDepth <= WalkHelper.MAX_DEPTH
              && WalkHelper.available();
    }

    /**
     * The properties of an object, or the elements of an array, at nesting level {@code depth} (the
     * root is level 1) whose key is {@code keyLength} long (-1 for the root, whose names start
     * keys).
     */
    private void container(JsonNode container, boolean object, long keyLength, int depth) {
      if (out != null) {
        out.put(object ? '{' : '[');
      }
      int n = container.size();
      if (mayFork && n >= FORK_MIN_ENTRIES) {
        forked(container, object, keyLength, depth, n);
      } else {
        range(container, object, keyLength, depth, 0, n);
      }
      if (out != null) {
        out.put(object ? '}' : ']');
      }
    }

    /**
     * The properties {@code from} (inclusive) to {@code to} (exclusive), in the object's order; the
     * first of them is written without a comma only when it is the object's first.
     */
    private void properties(JsonNode object, long keyLength, int depth, int from, int to) {
      Iterator<Map.Entry<String, JsonNode>> entries = object.properties().iterator();
      for (int i = 0; i < from && entries.hasNext(); i++) {
        entries.next();
      }
      boolean first = from == 0;
      String name = null;
      // One handler for the loop: with one per entry, the handler's line was the hottest of
      // serialising a 1 MiB document in a profile.
      try {
        for (int i = from; i < to && entries.hasNext(); i++) {
          Map.Entry<String, JsonNode> e = entries.next();
          name = e.getKey();
          long nameLength = name(name);
          if (out != null) {
            out.name(name, first);
          }
          first = false;
          visit(e.getValue(), keyLength + 1 + nameLength, depth);
        }
      } catch (BadValue b) {
        throw b.name(name);
      }
    }

    /**
     * Walks the {@code n} entries of a large container in two halves at the same time: the first by
     * {@link WalkHelper}'s thread (or this one, when that is busy), the second by this thread, each
     * into a buffer of its own. The first half goes on from this walk's counts, so it refuses where
     * one walk would; the second is counted from zero and the sum is checked after both. When a
     * half fails, the first half's failure is thrown, as one walk would have met it first.
     */
    private void forked(JsonNode container, boolean object, long keyLength, int depth, int n) {
      mayFork = false;
      int half = n / 2;
      Walk head = helper();
      head.keys = keys;
      head.keyChars = keyChars;
      Walk tail = helper();
      WalkHelper.Task task =
          WalkHelper.start(() -> head.range(container, object, keyLength, depth, 0, half));
      Throwable tailFailure = null;
      try {
        tail.range(container, object, keyLength, depth, half, n);
      } catch (RuntimeException | Error e) {
        tailFailure = e;
      }
      Throwable failure = task.finish();
      if (failure == null) {
        failure = tailFailure;
      }
      if (failure instanceof Error e) {
        throw e;
      }
      if (failure != null) {
        // A failed half's buffer is never used, whatever it threw (a sneaky checked exception).
        throw failure instanceof RuntimeException e
            ? e
            : new IllegalStateException("walk of half a container failed", failure);
      }
      keys = head.keys + tail.keys;
      keyChars = head.keyChars + tail.keyChars;
      dottedNames |= head.dottedNames | tail.dottedNames;
      if (keys > MAX_FLATTENED_KEYS || keyChars > charsLimit) {
        throw tooCostly(file, keys, charsLimit, writing);
      }
      out.append(head.out);
      out.append(tail.out);
    }

    /** A walk with this one's limits writing into a buffer of its own, for half a container. */
    private Walk helper() {
      return new Walk(
          file,
          charsLimit,
          writing,
          maxNameLength,
          maxNumberLength,
          maxDepth,
          new CompactJson(null, expectedLength / 2));
    }

    /** The entries {@code from} (inclusive) to {@code to} (exclusive) of an object or an array. */
    private void range(
        JsonNode container, boolean object, long keyLength, int depth, int from, int to) {
      if (object) {
        properties(container, keyLength, depth, from, to);
      } else {
        elements(container, keyLength, depth, from, to);
      }
    }

    /** A value inside a container at nesting level {@code depth}. */
    private void visit(JsonNode node, long keyLength, int depth) {
      if (out != null && written(node, keyLength)) {
        return;
      }
      if (node.isContainer()) {
        if (depth >= maxDepth) {
          throw new BadValue(
              "too-deep nesting depth ("
                  + (depth + 1)
                  + ") exceeds the maximum allowed ("
                  + maxDepth
                  + ")");
        }
        if (node.isEmpty()) {
          key(keyLength);
          if (out != null) {
            out.put(node.isObject() ? '{' : '[');
            out.put(node.isObject() ? '}' : ']');
          }
        } else if (node.isObject()) {
          container(node, true, keyLength, depth + 1);
        } else {
          container(node, false, keyLength, depth + 1);
        }
      } else {
        key(keyLength);
        value(node);
        if (out != null) {
          out.scalar(node);
        }
      }
    }

    /**
     * Checks and writes a leaf of the node classes a tree is mostly made of, with calls the
     * compiler can bind: asked of a {@code JsonNode}, each of the questions the general path asks
     * ({@code isContainer}, {@code isNumber}, {@code getNodeType}, ...) is a call to one of a dozen
     * classes that no compiler inlines, and they were most of serialising a document of small
     * objects.
     *
     * @return false for any other node, which the general path then takes
     */
    private boolean written(JsonNode node, long keyLength) {
      Class<?> type = node.getClass();
      if (type == StringNode.class) {
        key(keyLength);
        String s = ((StringNode) node).stringValue();
        if (hasLoneSurrogate(s)) {
          throw new BadValue("lone-surrogate-in-string");
        }
        out.string(s);
      } else if (type == IntNode.class) {
        key(keyLength);
        out.integer(((IntNode) node).intValue());
      } else if (type == LongNode.class) {
        key(keyLength);
        out.integer(((LongNode) node).longValue());
      } else if (type == BooleanNode.class) {
        key(keyLength);
        out.ascii(((BooleanNode) node).booleanValue() ? "true" : "false");
      } else if (type == DoubleNode.class) {
        key(keyLength);
        double d = ((DoubleNode) node).doubleValue();
        if (!Double.isFinite(d)) {
          throw new BadValue("non-finite-number");
        }
        out.ascii(Double.toString(d));
      } else if (type == NullNode.class) {
        key(keyLength);
        out.ascii("null");
      } else {
        return false;
      }
      return true;
    }

    /** The elements {@code from} (inclusive) to {@code to} (exclusive). */
    private void elements(JsonNode array, long keyLength, int depth, int from, int to) {
      int i = from;
      try {
        for (; i < to; i++) {
          if (out != null && i > 0) {
            out.put(',');
          }
          visit(array.get(i), keyLength + 2 + digits(i), depth);
        }
      } catch (BadValue b) {
        throw b.index(i);
      }
    }

    private void key(long keyLength) {
      keys++;
      keyChars += keyLength;
      if (keys > MAX_FLATTENED_KEYS || keyChars > charsLimit) {
        throw tooCostly(file, keys, charsLimit, writing);
      }
    }

    /** The code points of a property name; notes names that make flattening ambiguous. */
    private long name(String name) {
      int length = name.length();
      if (writing && length > maxNameLength) {
        throw new BadValue("name-too-long length=" + length + " limit=" + maxNameLength);
      }
      if (length == 0) {
        dottedNames = true;
      }
      int pairs = 0;
      for (int i = 0; i < length; i++) {
        char c = name.charAt(i);
        if (c == '.' || c == '[') {
          dottedNames = true;
        } else if (Character.isSurrogate(c)) {
          if (Character.isHighSurrogate(c)
              && i + 1 < length
              && Character.isLowSurrogate(name.charAt(i + 1))) {
            pairs++;
            i++;
          } else if (writing) {
            throw new BadValue("lone-surrogate-in-name");
          }
        }
      }
      return (long) length - pairs;
    }

    private void value(JsonNode node) {
      if (!node.isNumber()) {
        if (writing && node.isString() && hasLoneSurrogate(node.stringValue())) {
          throw new BadValue("lone-surrogate-in-string");
        }
        return;
      }
      if (node.isFloatingPointNumber() && !node.isBigDecimal()) {
        double d = node.doubleValue();
        if (Double.isNaN(d) || Double.isInfinite(d)) {
          throw new BadValue("non-finite-number");
        }
      } else if (node.isBigDecimal()) {
        BigDecimal d = node.decimalValue();
        if (Math.abs((long) d.scale()) > MAX_DECIMAL_SCALE) {
          throw new BadValue("exponent-out-of-range limit=" + MAX_DECIMAL_SCALE);
        }
        if (writing && d.precision() > 18 && d.toString().length() > maxNumberLength) {
          throw new BadValue("number-too-long limit=" + maxNumberLength);
        }
      } else if (writing && node.isBigInteger() && node.bigIntegerValue().bitLength() > 63) {
        if (node.bigIntegerValue().toString().length() > maxNumberLength) {
          throw new BadValue("number-too-long limit=" + maxNumberLength);
        }
      }
    }

    static boolean hasLoneSurrogate(String s) {
      return loneSurrogate(s) >= 0;
    }

    /** The index of the first surrogate of {@code s} that is not half of a pair, or -1. */
    static int loneSurrogate(String s) {
      for (int i = 0, n = s.length(); i < n; i++) {
        char c = s.charAt(i);
        if (Character.isSurrogate(c)) {
          if (!Character.isHighSurrogate(c)
              || i + 1 >= n
              || !Character.isLowSurrogate(s.charAt(i + 1))) {
            return i;
          }
          i++;
        }
      }
      return -1;
    }

    static int digits(int i) {
      return digits((long) i);
    }

    /** The decimal digits of {@code i} (not negative). */
    static int digits(long i) {
      int digits = 1;
      while (i >= 10) {
        i /= 10;
        digits++;
      }
      return digits;
    }
  }

  static ObjectNode requireObject(Path file, JsonNode tree) {
    if (tree == null || !tree.isObject()) {
      String kind =
          tree == null || tree.isMissingNode()
              ? "nothing"
              : tree.getNodeType().toString().toLowerCase();
      throw new InvalidDocumentException(
          file, "document root must be a JSON object: path=" + file + " root=" + kind);
    }
    return (ObjectNode) tree;
  }

  static String oneLine(Throwable e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }

  /**
   * What a Jackson error says and where, without quoting the document: Jackson puts tokens and
   * values in its messages ({@code Unrecognized token 'hunter2'}), so only the words before the
   * first quote, parenthesis or colon are kept, with the line, column and byte offset. A limit
   * Jackson enforces is described in full: those messages hold only numbers and names of limits.
   */
  /**
   * What a parse that makes decimals {@link BigDecimal}s reports for a number whose exponent does
   * not fit one ({@code 1e99999999999}): Jackson throws a {@link NumberFormatException} for it, not
   * a {@link JacksonException}.
   */
  static final String NUMBER_OUT_OF_RANGE =
      "number out of range (an exponent past what a decimal holds)";

  static String describe(JacksonException e) {
    String original = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
    String what;
    if (e instanceof StreamConstraintsException) {
      what = original;
    } else {
      int cut = original.length();
      for (char c : new char[] {'\'', '"', '(', ':', '`', '\n'}) {
        int at = original.indexOf(c);
        if (at >= 0 && at < cut) {
          cut = at;
        }
      }
      what = original.substring(0, cut).strip();
      if (what.isEmpty()) {
        what = e.getClass().getSimpleName();
      }
    }
    return what.replace('\n', ' ') + where(e.getLocation());
  }

  // ---- flattening and diff

  /**
   * Flattens a tree to Spring-style keys, as Spring Boot flattens JSON property sources: nested
   * objects join with {@code .}, array elements get {@code [i]}; leaves are String, Number (see
   * {@link #leaf}), Boolean or null, and empty objects and arrays stay as an empty Map or List.
   */
  static Map<String, Object> flatten(JsonNode root) {
    return flatten(root, 16);
  }

  static Map<String, Object> flatten(JsonNode root, int expectedKeys) {
    Map<String, Object> flat = new LinkedHashMap<>(Math.max(16, expectedKeys * 4 / 3 + 1));
    StringBuilder key = new StringBuilder(64);
    for (Map.Entry<String, JsonNode> e : root.properties()) {
      key.setLength(0);
      key.append(e.getKey());
      flatten(key, e.getValue(), flat);
    }
    return Collections.unmodifiableMap(flat);
  }

  private static void flatten(StringBuilder key, JsonNode node, Map<String, Object> flat) {
    int length = key.length();
    if (node.isObject() && !node.isEmpty()) {
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        key.setLength(length);
        key.append('.').append(e.getKey());
        flatten(key, e.getValue(), flat);
      }
    } else if (node.isArray() && !node.isEmpty()) {
      for (int i = 0; i < node.size(); i++) {
        key.setLength(length);
        key.append('[').append(i).append(']');
        flatten(key, node.get(i), flat);
      }
    } else {
      flat.put(key.toString(), leaf(node));
    }
  }

  /**
   * The flattened value of a leaf, the same whether the tree was parsed or built by this process:
   * an integer is an Integer, Long or BigInteger, the smallest that holds it (as a parser gives
   * it); any other number is the exact BigDecimal of its JSON text; an empty object or array is an
   * empty Map or List.
   */
  static Object leaf(JsonNode node) {
    if (node.isNull() || node.isMissingNode()) {
      return null;
    }
    if (node.isBoolean()) {
      return node.booleanValue();
    }
    if (node.isNumber()) {
      return number(node);
    }
    if (node.isString()) {
      return node.stringValue();
    }
    if (node.isObject()) {
      return Map.of();
    }
    if (node.isArray()) {
      return List.of();
    }
    return node.toString();
  }

  private static Number number(JsonNode node) {
    if (node.isIntegralNumber()) {
      if (node.isBigInteger()) {
        BigInteger big = node.bigIntegerValue();
        if (big.bitLength() > 63) {
          return big;
        }
        return narrow(big.longValue());
      }
      return narrow(node.longValue());
    }
    if (node.isBigDecimal()) {
      return node.decimalValue();
    }
    // A double or float this process put in the tree: the value of the text it is written as.
    return new BigDecimal(
        node.isFloat() ? Float.toString(node.floatValue()) : Double.toString(node.doubleValue()));
  }

  static Number narrow(long value) {
    if (value == (int) value) {
      return Integer.valueOf((int) value);
    }
    return Long.valueOf(value);
  }

  /** What {@link #lookup} returns for a key that is not in the flattened document. */
  static final Object ABSENT = new Object();

  /**
   * The flattened value of {@code key} found by walking the tree, without flattening it: the same
   * as {@code flatten(root).get(key)} (or {@link #ABSENT}) for a document without empty names or
   * names holding {@code .} or {@code [} (the caller checks). Only the canonical form of a key is
   * found, as in the flattened map: {@code a[1]}, never {@code a[01]} nor {@code a[b]}.
   */
  static Object lookup(ObjectNode root, String key) {
    JsonNode node = root;
    int n = key.length();
    int i = 0;
    while (i < n) {
      if (node.isObject() && !node.isEmpty()) {
        if (node != root) {
          if (key.charAt(i) != '.') {
            return ABSENT;
          }
          i++;
        }
        int end = nameEnd(key, i);
        if (end == i) {
          return ABSENT;
        }
        node = node.get(key.substring(i, end));
        if (node == null) {
          return ABSENT;
        }
        i = end;
      } else if (node.isArray() && !node.isEmpty()) {
        int end = indexEnd(key, i);
        if (end < 0) {
          return ABSENT;
        }
        long index = index(key, i, end);
        if (index >= node.size()) {
          return ABSENT;
        }
        node = node.get((int) index);
        i = end;
      } else {
        return ABSENT;
      }
    }
    if (node == root || (node.isContainer() && !node.isEmpty())) {
      return ABSENT;
    }
    return leaf(node);
  }

  /**
   * Where the property name that starts at {@code i} of a flattened key ends: at '.', '[' or the
   * end.
   */
  static int nameEnd(String key, int i) {
    int end = i;
    while (end < key.length() && key.charAt(end) != '.' && key.charAt(end) != '[') {
      end++;
    }
    return end;
  }

  /**
   * Where the array index that starts at {@code i} of a flattened key ends (just past its ']'), or
   * -1 when it is not one in canonical form: '[', one to ten digits without a leading zero, ']'.
   */
  static int indexEnd(String key, int i) {
    int n = key.length();
    if (key.charAt(i) != '[') {
      return -1;
    }
    int j = i + 1;
    while (j < n && key.charAt(j) >= '0' && key.charAt(j) <= '9') {
      j++;
    }
    int digits = j - i - 1;
    if (digits == 0 || digits > 10 || digits > 1 && key.charAt(i + 1) == '0') {
      return -1;
    }
    return j < n && key.charAt(j) == ']' ? j + 1 : -1;
  }

  /** The value of the index {@link #indexEnd} accepted between {@code i} and {@code end}. */
  static long index(String key, int i, int end) {
    return Long.parseLong(key, i + 1, end - 1, 10);
  }

  /** What a lookup in document bytes found, and how many bytes it read to find it. */
  record Found(Object value, long consumed) {}

  /**
   * The flattened value of {@code key} found by reading the bytes of a document {@link #check}
   * accepted, without building its tree: the same answer as {@link #lookup(ObjectNode, String)} on
   * its tree. Reads only up to the value (subtrees on the way are skipped, not decoded), so a key
   * near the start costs little whatever the size of the document.
   */
  Found lookup(Path file, byte[] bytes, String key) {
    Found found = FastLookup.find(bytes, key);
    return found != null ? found : tokenLookup(file, bytes, key);
  }

  /** {@link #lookup} by Jackson's tokenizer: where names with escapes make bytes ambiguous. */
  Found tokenLookup(Path file, byte[] bytes, String key) {
    try (JsonParser p = tokens(bytes)) {
      Object value = navigate(p, key);
      return new Found(value, p.currentLocation().getByteOffset());
    } catch (JacksonException e) {
      throw notJson(file, bytes, describe(e));
    }
  }

  private static Object navigate(JsonParser p, String key) {
    JsonToken t = p.nextToken();
    boolean root = true;
    int n = key.length();
    int i = 0;
    while (i < n) {
      if (t == JsonToken.START_OBJECT) {
        if (!root) {
          if (key.charAt(i) != '.') {
            return ABSENT;
          }
          i++;
        }
        int end = nameEnd(key, i);
        if (end == i) {
          return ABSENT;
        }
        String name = key.substring(i, end);
        t = p.nextToken();
        while (t == JsonToken.PROPERTY_NAME && !name.equals(p.currentName())) {
          p.nextToken();
          p.skipChildren();
          t = p.nextToken();
        }
        if (t != JsonToken.PROPERTY_NAME) {
          return ABSENT;
        }
        t = p.nextToken();
        i = end;
      } else if (t == JsonToken.START_ARRAY) {
        int end = indexEnd(key, i);
        if (end < 0) {
          return ABSENT;
        }
        long index = index(key, i, end);
        t = p.nextToken();
        for (long k = 0; k < index && t != JsonToken.END_ARRAY; k++) {
          p.skipChildren();
          t = p.nextToken();
        }
        if (t == JsonToken.END_ARRAY) {
          return ABSENT;
        }
        i = end;
      } else {
        return ABSENT;
      }
      root = false;
    }
    if (root) {
      return ABSENT;
    }
    return leafAt(p, t);
  }

  /** The flattened value of the value at token {@code t}, as {@link #leaf} gives it for a node. */
  private static Object leafAt(JsonParser p, JsonToken t) {
    switch (t) {
      case START_OBJECT:
        return p.nextToken() == JsonToken.END_OBJECT ? Map.of() : ABSENT;
      case START_ARRAY:
        return p.nextToken() == JsonToken.END_ARRAY ? List.of() : ABSENT;
      case VALUE_NULL:
        return null;
      case VALUE_TRUE:
        return Boolean.TRUE;
      case VALUE_FALSE:
        return Boolean.FALSE;
      case VALUE_STRING:
        return p.getString();
      case VALUE_NUMBER_FLOAT:
        return p.getDecimalValue();
      case VALUE_NUMBER_INT:
        switch (p.getNumberType()) {
          case INT:
            return Integer.valueOf(p.getIntValue());
          case LONG:
            return narrow(p.getLongValue());
          default:
            BigInteger big = p.getBigIntegerValue();
            return big.bitLength() > 63 ? big : narrow(big.longValue());
        }
      default:
        return ABSENT;
    }
  }

  /** The keys that differ between two flattened documents. */
  static ChangedKeys diff(Map<String, Object> before, Map<String, Object> after) {
    TreeSet<String> added = new TreeSet<>();
    TreeSet<String> removed = new TreeSet<>();
    TreeSet<String> changed = new TreeSet<>();
    for (Map.Entry<String, Object> e : after.entrySet()) {
      if (!before.containsKey(e.getKey())) {
        added.add(e.getKey());
      } else if (!Objects.equals(before.get(e.getKey()), e.getValue())) {
        changed.add(e.getKey());
      }
    }
    for (String key : before.keySet()) {
      if (!after.containsKey(key)) {
        removed.add(key);
      }
    }
    return keys(added, removed, changed);
  }

  /**
   * The flattened keys that differ between two trees, found by walking both side by side: equal
   * subtrees cost a comparison and build no key, so a few changes in a large document build only
   * their own keys. Gives the same result as {@link #diff} of the two flattened documents when no
   * property name holds {@code .} or {@code [} (the caller checks).
   */
  static ChangedKeys diffTrees(ObjectNode before, ObjectNode after) {
    TreeDiff d = new TreeDiff();
    StringBuilder key = new StringBuilder(64);
    d.objects(key, before, after, true);
    return keys(d.added, d.removed, d.changed);
  }

  private static ChangedKeys keys(
      TreeSet<String> added, TreeSet<String> removed, TreeSet<String> changed) {
    if (added.isEmpty() && removed.isEmpty() && changed.isEmpty()) {
      return ChangedKeys.NONE;
    }
    return new ChangedKeys(added, removed, changed);
  }

  private static final class TreeDiff {
    final TreeSet<String> added = new TreeSet<>();
    final TreeSet<String> removed = new TreeSet<>();
    final TreeSet<String> changed = new TreeSet<>();

    void objects(StringBuilder key, JsonNode before, JsonNode after, boolean root) {
      int length = key.length();
      for (Map.Entry<String, JsonNode> e : after.properties()) {
        child(key, length, root);
        key.append(e.getKey());
        JsonNode old = before.get(e.getKey());
        if (old == null) {
          collect(key, e.getValue(), added);
        } else {
          node(key, old, e.getValue());
        }
      }
      for (Map.Entry<String, JsonNode> e : before.properties()) {
        if (!after.has(e.getKey())) {
          child(key, length, root);
          key.append(e.getKey());
          collect(key, e.getValue(), removed);
        }
      }
      key.setLength(length);
    }

    private static void child(StringBuilder key, int length, boolean root) {
      key.setLength(length);
      if (!root) {
        key.append('.');
      }
    }

    void node(StringBuilder key, JsonNode before, JsonNode after) {
      if (before == after) {
        return;
      }
      boolean beforeLeaf = !before.isContainer() || before.isEmpty();
      boolean afterLeaf = !after.isContainer() || after.isEmpty();
      if (beforeLeaf && afterLeaf) {
        if (!Objects.equals(leaf(before), leaf(after))) {
          changed.add(key.toString());
        }
      } else if (beforeLeaf || afterLeaf) {
        collect(key, before, removed);
        collect(key, after, added);
      } else if (before.isObject() && after.isObject()) {
        objects(key, before, after, false);
      } else if (before.isArray() && after.isArray()) {
        int length = key.length();
        int common = Math.min(before.size(), after.size());
        for (int i = 0; i < Math.max(before.size(), after.size()); i++) {
          key.setLength(length);
          key.append('[').append(i).append(']');
          if (i < common) {
            node(key, before.get(i), after.get(i));
          } else if (i < after.size()) {
            collect(key, after.get(i), added);
          } else {
            collect(key, before.get(i), removed);
          }
        }
        key.setLength(length);
      } else {
        collect(key, before, removed);
        collect(key, after, added);
      }
    }

    /** Adds the flattened keys of a subtree at {@code key} to {@code into}. */
    private static void collect(StringBuilder key, JsonNode node, TreeSet<String> into) {
      int length = key.length();
      if (node.isObject() && !node.isEmpty()) {
        for (Map.Entry<String, JsonNode> e : node.properties()) {
          key.setLength(length);
          key.append('.').append(e.getKey());
          collect(key, e.getValue(), into);
        }
      } else if (node.isArray() && !node.isEmpty()) {
        for (int i = 0; i < node.size(); i++) {
          key.setLength(length);
          key.append('[').append(i).append(']');
          collect(key, node.get(i), into);
        }
      } else {
        into.add(key.toString());
      }
      key.setLength(length);
    }
  }

  // ---- RFC 7386 JSON Merge Patch

  /** Applies an RFC 7386 merge patch to a copy of {@code target}. */
  static JsonNode mergePatch(JsonNode target, JsonNode patch) {
    if (!patch.isObject()) {
      return patch.deepCopy();
    }
    ObjectNode result =
        target != null && target.isObject()
            ? (ObjectNode) target.deepCopy()
            : JsonNodeFactory.instance.objectNode();
    for (Map.Entry<String, JsonNode> e : patch.properties()) {
      if (e.getValue().isNull()) {
        result.remove(e.getKey());
      } else {
        result.set(e.getKey(), mergePatch(result.get(e.getKey()), e.getValue()));
      }
    }
    return result;
  }

  // ---- single keys by path

  /** One step of a key path: a property name or an array index. */
  record Segment(String name, int index) {
    boolean isIndex() {
      return name == null;
    }

    @Override
    public String toString() {
      return isIndex() ? "[" + index + "]" : name;
    }
  }

  /**
   * Parses a Spring-style key: names separated by dots, array indexes in brackets ({@code
   * a.b[0].c}); a bracket holding anything but digits is a property name, so {@code a[with.dot]}
   * names the property "with.dot" of {@code a}.
   */
  static List<Segment> parsePath(String path) {
    if (path == null || path.isEmpty()) {
      throw new IllegalArgumentException("key must not be empty");
    }
    List<Segment> segments = new ArrayList<>();
    int i = 0;
    int n = path.length();
    while (i < n) {
      char c = path.charAt(i);
      if (c == '[') {
        int close = path.indexOf(']', i);
        if (close < 0) {
          throw new IllegalArgumentException("unclosed [ in key: key=" + path);
        }
        String inside = path.substring(i + 1, close);
        if (inside.isEmpty()) {
          throw new IllegalArgumentException("empty [] in key: key=" + path);
        }
        if (inside.chars().allMatch(Character::isDigit)) {
          try {
            segments.add(new Segment(null, Integer.parseInt(inside)));
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("array index too large in key: key=" + path, e);
          }
        } else {
          segments.add(new Segment(inside, -1));
        }
        i = close + 1;
      } else {
        int end = i;
        while (end < n && path.charAt(end) != '.' && path.charAt(end) != '[') {
          end++;
        }
        if (end == i) {
          throw new IllegalArgumentException("empty name in key: key=" + path);
        }
        segments.add(new Segment(path.substring(i, end), -1));
        i = end;
      }
      if (i < n && path.charAt(i) == '.') {
        i++;
        if (i == n) {
          throw new IllegalArgumentException("key ends with a dot: key=" + path);
        }
      }
    }
    return segments;
  }

  /** The node at a key path, or null when absent. */
  static JsonNode at(JsonNode root, String path) {
    JsonNode node = root;
    for (Segment s : parsePath(path)) {
      node = child(node, s);
      if (node == null) {
        return null;
      }
    }
    return node;
  }

  /**
   * Sets the value at a key path in {@code root} (modified in place), creating missing objects and
   * arrays on the way; an index may address an existing element or append one.
   */
  static void set(Path file, ObjectNode root, String path, JsonNode value) {
    List<Segment> segments = parsePath(path);
    if (segments.get(0).isIndex()) {
      throw new IllegalArgumentException("key must start with a name: key=" + path);
    }
    JsonNode parent = root;
    for (int i = 0; i < segments.size() - 1; i++) {
      Segment s = segments.get(i);
      Segment next = segments.get(i + 1);
      JsonNode child = child(parent, s);
      if (child == null || child.isNull()) {
        child =
            next.isIndex()
                ? JsonNodeFactory.instance.arrayNode()
                : JsonNodeFactory.instance.objectNode();
        assign(file, parent, s, child, path);
      } else if (next.isIndex() ? !child.isArray() : !child.isObject()) {
        throw new InvalidDocumentException(
            file,
            "cannot set key: path="
                + file
                + " key="
                + path
                + " at="
                + s
                + " holds "
                + child.getNodeType().toString().toLowerCase()
                + ", not "
                + (next.isIndex() ? "an array" : "an object"));
      }
      parent = child;
    }
    assign(file, parent, segments.get(segments.size() - 1), value, path);
  }

  /** Removes the value at a key path; false when there was nothing there. */
  static boolean remove(ObjectNode root, String path) {
    List<Segment> segments = parsePath(path);
    JsonNode parent = root;
    for (int i = 0; i < segments.size() - 1; i++) {
      parent = child(parent, segments.get(i));
      if (parent == null) {
        return false;
      }
    }
    Segment last = segments.get(segments.size() - 1);
    if (last.isIndex()) {
      if (parent instanceof ArrayNode array && last.index() < array.size()) {
        array.remove(last.index());
        return true;
      }
      return false;
    }
    return parent instanceof ObjectNode object && object.remove(last.name()) != null;
  }

  private static JsonNode child(JsonNode parent, Segment s) {
    if (s.isIndex()) {
      return parent.isArray() ? parent.get(s.index()) : null;
    }
    return parent.isObject() ? parent.get(s.name()) : null;
  }

  private static void assign(Path file, JsonNode parent, Segment s, JsonNode value, String path) {
    if (s.isIndex()) {
      ArrayNode array = (ArrayNode) parent;
      if (s.index() < array.size()) {
        array.set(s.index(), value);
      } else if (s.index() == array.size()) {
        array.add(value);
      } else {
        throw new InvalidDocumentException(
            file,
            "array index past the end: path="
                + file
                + " key="
                + path
                + " index="
                + s.index()
                + " size="
                + array.size());
      }
    } else {
      ((ObjectNode) parent).set(s.name(), value);
    }
  }
}
