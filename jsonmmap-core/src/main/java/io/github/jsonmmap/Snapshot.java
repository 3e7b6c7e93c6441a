package io.github.jsonmmap;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * One committed version of the document, as read from the file. Immutable: the accessors that
 * return trees or bytes return copies.
 *
 * <p>Safe to share between threads. The document is checked once, when the version is read, in a
 * streaming pass that builds no tree; its tree is parsed once, when something first needs it, and
 * the flattened view is computed once, on first use of {@link #flat()}, by whichever thread asks
 * first. The first {@link #get(String)} and {@link #contains(String)} calls read the value from the
 * bytes (stopping at it) until they have read as many bytes as the document holds, the next ones
 * walk the tree (a listener that reads two keys of a new version never pays for a tree nor for
 * flattening it); a snapshot looked up more often is flattened.
 *
 * <p>Numbers keep the value written in the document: in {@link #flat()} and {@link #get(String)} an
 * integer is an Integer, Long or BigInteger (the smallest that holds it) and any other number a
 * {@link java.math.BigDecimal} equal to its JSON text ({@code 1e400}, {@code
 * 0.30000000000000000001} and {@code 0.1} exactly).
 */
public final class Snapshot {

  private final Path file;
  private final long version;
  private final long publishedAtMicros;
  private final UUID writerId;
  private final byte[] bytes;
  private final JsonMapper mapper;

  /** Parses {@link #bytes} when the tree is first needed; null when the tree was given. */
  private final Documents documents;

  private volatile ObjectNode tree;
  private volatile Documents.Shape shape;
  private volatile Map<String, Object> flat;

  /**
   * Lookups answered without the flattened map; racy on purpose, it only decides when to flatten.
   */
  private int walks;

  /** Bytes read by lookups in the bytes; racy on purpose, it only decides when to parse. */
  private long scanned;

  private static final int WALKS_BEFORE_FLATTEN = 16;

  private Snapshot(
      Path file,
      long version,
      long publishedAtMicros,
      UUID writerId,
      byte[] bytes,
      ObjectNode tree,
      Documents documents,
      Documents.Shape shape,
      JsonMapper mapper) {
    this.file = file;
    this.version = version;
    this.publishedAtMicros = publishedAtMicros;
    this.writerId = writerId;
    this.bytes = bytes;
    this.tree = tree;
    this.documents = documents;
    this.shape = shape;
    this.mapper = mapper;
  }

  /**
   * A version read from a file: checks the bytes against FORMAT.md's document rules (strict UTF-8,
   * JSON within the parser's limits, an object at the root, the flattened size bound) and builds
   * the snapshot, or throws {@link InvalidDocumentException} naming the file. The bytes are checked
   * here without building a tree; they are parsed at most once, when a tree is first needed, and
   * nothing is flattened yet.
   */
  static Snapshot read(
      Path file,
      long version,
      long publishedAtMicros,
      UUID writerId,
      byte[] bytes,
      Documents documents,
      JsonMapper mapper) {
    Documents.Shape shape = documents.check(file, bytes);
    return new Snapshot(
        file, version, publishedAtMicros, writerId, bytes, null, documents, shape, mapper);
  }

  /**
   * A version this process has just written: {@code bytes} are the serialised {@code tree}, already
   * checked by the writer, so nothing is parsed again.
   */
  static Snapshot written(
      Path file,
      long version,
      long publishedAtMicros,
      UUID writerId,
      byte[] bytes,
      ObjectNode tree,
      JsonMapper mapper) {
    return new Snapshot(
        file, version, publishedAtMicros, writerId, bytes, tree, null, null, mapper);
  }

  /**
   * A version this process has just published: {@code bytes} were serialised and checked by the
   * writer ({@code shape} is what its check found), and are parsed, once, only when something needs
   * the tree; the writer keeps nothing of the tree it was given.
   */
  static Snapshot published(
      Path file,
      long version,
      long publishedAtMicros,
      UUID writerId,
      byte[] bytes,
      Documents.Shape shape,
      Documents documents,
      JsonMapper mapper) {
    return new Snapshot(
        file, version, publishedAtMicros, writerId, bytes, null, documents, shape, mapper);
  }

  /** The snapshot of a file that has no version yet: version 0, an empty object. */
  static Snapshot empty(Path file, JsonMapper mapper) {
    return new Snapshot(
        file,
        0,
        0,
        null,
        "{}".getBytes(StandardCharsets.UTF_8),
        JsonNodeFactory.instance.objectNode(),
        null,
        new Documents.Shape(0, 0, false),
        mapper);
  }

  /** The file this snapshot was read from. */
  public Path file() {
    return file;
  }

  /** The document version: 1 for the first, one more for each publish; 0 when none exists yet. */
  public long version() {
    return version;
  }

  /** When the writer committed this version, in microseconds since the epoch (0 for none). */
  public long publishedAtMicros() {
    return publishedAtMicros;
  }

  public Instant publishedAt() {
    return Instant.ofEpochSecond(
        Math.floorDiv(publishedAtMicros, 1_000_000L),
        Math.floorMod(publishedAtMicros, 1_000_000L) * 1000L);
  }

  /** The instance id of the writer that was registered in the header when this was read. */
  public Optional<UUID> writerId() {
    return Optional.ofNullable(writerId);
  }

  /** The document size in bytes (UTF-8 JSON). */
  public int size() {
    return bytes.length;
  }

  /** A copy of the document bytes exactly as stored (compact UTF-8 JSON). */
  public byte[] bytes() {
    return bytes.clone();
  }

  /** The document bytes themselves, not a copy: for comparisons inside the package. */
  byte[] bytesView() {
    return bytes;
  }

  /** The document as compact JSON text. */
  public String json() {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  /** A copy of the parsed document. */
  public ObjectNode tree() {
    return treeView().deepCopy();
  }

  /**
   * The document flattened to Spring-style keys ({@code a.b[0].c}) with String, Number, Boolean or
   * null values; unmodifiable, in document order.
   */
  public Map<String, Object> flat() {
    Map<String, Object> result = flat;
    if (result == null) {
      synchronized (this) {
        result = flat;
        if (result == null) {
          result = Documents.flatten(treeView(), shape().keys());
          flat = result;
        }
      }
    }
    return result;
  }

  /** The flattened value of a key (see {@link #flat()}), or null when absent. */
  public Object get(String key) {
    requireNonNull(key, "key");
    Map<String, Object> map = flatForLookup();
    if (map != null) {
      return map.get(key);
    }
    Object value = lookup(key);
    return value == Documents.ABSENT ? null : value;
  }

  /** Whether the flattened document has the key. */
  public boolean contains(String key) {
    requireNonNull(key, "key");
    Map<String, Object> map = flatForLookup();
    if (map != null) {
      return map.containsKey(key);
    }
    return lookup(key) != Documents.ABSENT;
  }

  /**
   * The flattened value of a key without the flattened map: read from the bytes while the tree is
   * not parsed and such reads have cost less than one pass over the document, else from the tree.
   */
  private Object lookup(String key) {
    if (tree == null && documents != null && scanned < bytes.length) {
      Documents.Found found = documents.lookup(file, bytes, key);
      scanned += Math.max(1, found.consumed());
      return found.value();
    }
    return Documents.lookup(treeView(), key);
  }

  /**
   * The flattened map when a lookup should use it: once it exists, once the document has names that
   * make a tree walk ambiguous, or after {@link #WALKS_BEFORE_FLATTEN} lookups (a snapshot read
   * often is worth flattening; one read once, as a listener does, is not).
   */
  private Map<String, Object> flatForLookup() {
    Map<String, Object> result = flat;
    if (result != null) {
      return result;
    }
    if (shape().dottedNames() || ++walks > WALKS_BEFORE_FLATTEN) {
      return flat();
    }
    return null;
  }

  /** The walk of the document: read versions have it, written ones compute it on first use. */
  Documents.Shape shape() {
    Documents.Shape result = shape;
    if (result == null) {
      result = Documents.shape(treeView());
      shape = result;
    }
    return result;
  }

  /** Whether the flattened view has been computed (it never is until someone asks). */
  boolean isFlattened() {
    return flat != null;
  }

  /**
   * The parsed document itself, not a copy: for diffs inside the package, never modified. Parsed
   * from the bytes on first use, once, by whichever thread asks first.
   */
  ObjectNode treeView() {
    ObjectNode result = tree;
    if (result == null) {
      synchronized (this) {
        result = tree;
        if (result == null) {
          result = documents.parseValid(file, bytes);
          tree = result;
        }
      }
    }
    return result;
  }

  /** Whether the tree has been parsed (a read version's is not until something needs it). */
  boolean isParsed() {
    return tree != null;
  }

  /**
   * The value at a key path ({@code a.b[0]}; an object or array as well as a leaf), converted to
   * {@code type}; empty when absent or null.
   *
   * @throws InvalidDocumentException when the value cannot be converted to the type
   */
  public <T> Optional<T> get(String key, Class<T> type) {
    requireNonNull(key, "key");
    requireNonNull(type, "type");
    JsonNode node = Documents.at(treeView(), key);
    if (node == null || node.isNull()) {
      return Optional.empty();
    }
    return Optional.ofNullable(convert(node, type, key));
  }

  /** A copy of the subtree at a key path, or empty when absent. */
  public Optional<JsonNode> node(String key) {
    requireNonNull(key, "key");
    JsonNode node = Documents.at(treeView(), key);
    return node == null ? Optional.empty() : Optional.of(node.deepCopy());
  }

  /** The whole document converted to {@code type} (a record, a class or a Map). */
  public <T> T as(Class<T> type) {
    return convert(treeView(), type, "(root)");
  }

  private <T> T convert(JsonNode node, Class<T> type, String key) {
    try {
      return mapper.treeToValue(node, type);
    } catch (JacksonException e) {
      throw new InvalidDocumentException(
          file,
          "cannot convert value: path="
              + file
              + " key="
              + key
              + " type="
              + type.getName()
              + " version="
              + version
              + " error="
              + Documents.describe(e));
    }
  }

  @Override
  public String toString() {
    return "Snapshot[file=" + file + ", version=" + version + ", size=" + bytes.length + "]";
  }
}
