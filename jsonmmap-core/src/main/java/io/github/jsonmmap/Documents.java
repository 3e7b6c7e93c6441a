package io.github.jsonmmap;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.StreamWriteConstraints;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Document handling that does not touch the file: bounded parsing, flattening to Spring-style keys,
 * diffs, RFC 7386 merge patches and single-key edits by path.
 *
 * <p>Stateless apart from the immutable mapper it is built with; safe to call from any thread.
 */
final class Documents {

  private static final JsonMapper DEFAULT_MAPPER = JsonMapper.builder().build();

  private final JsonMapper parser;

  /**
   * A parser that refuses documents deeper than {@code maxNestingDepth} or longer than {@code
   * maxDocumentLength}, duplicate keys and trailing tokens: untrusted bytes never drive an
   * unbounded allocation or recursion.
   */
  Documents(int maxNestingDepth, long maxDocumentLength) {
    StreamReadConstraints constraints =
        StreamReadConstraints.builder()
            .maxNestingDepth(maxNestingDepth)
            .maxDocumentLength(maxDocumentLength)
            .build();
    JsonFactory factory =
        JsonFactory.builder()
            .streamReadConstraints(constraints)
            .streamWriteConstraints(
                StreamWriteConstraints.builder().maxNestingDepth(maxNestingDepth).build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    this.parser =
        JsonMapper.builder(factory).enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();
  }

  JsonMapper mapper() {
    return parser;
  }

  /** The mapper a handle uses to convert objects to trees when the options name none. */
  static JsonMapper defaultMapper() {
    return DEFAULT_MAPPER;
  }

  /** Parses a document; its root must be an object. */
  ObjectNode parse(Path file, byte[] bytes) {
    JsonNode tree;
    try {
      tree = parser.readTree(bytes);
    } catch (JacksonException e) {
      throw new InvalidDocumentException(
          file,
          "document is not valid JSON: path="
              + file
              + " size="
              + bytes.length
              + " error="
              + oneLine(e),
          e);
    }
    return requireObject(file, tree);
  }

  /** Converts any Jackson-serialisable value (or a tree) to a document tree, copied. */
  ObjectNode toTree(Path file, JsonMapper mapper, Object value) {
    Objects.requireNonNull(value, "document");
    JsonNode tree;
    try {
      tree = value instanceof JsonNode node ? node.deepCopy() : mapper.valueToTree(value);
    } catch (JacksonException e) {
      throw new InvalidDocumentException(
          file, "document cannot be serialised: path=" + file + " error=" + oneLine(e), e);
    }
    return requireObject(file, tree);
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
          file, "value cannot be serialised: path=" + file + " error=" + oneLine(e), e);
    }
  }

  byte[] serialize(Path file, ObjectNode tree) {
    try {
      return parser.writeValueAsBytes(tree);
    } catch (JacksonException e) {
      throw new InvalidDocumentException(
          file, "document cannot be serialised: path=" + file + " error=" + oneLine(e), e);
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

  // ---- flattening and diff

  /**
   * Flattens a tree to Spring-style keys, as Spring Boot flattens JSON property sources: nested
   * objects join with {@code .}, array elements get {@code [i]}; leaves are String, Number, Boolean
   * or null, and empty objects and arrays stay as an empty Map or List.
   */
  static Map<String, Object> flatten(JsonNode root) {
    Map<String, Object> flat = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : root.properties()) {
      flatten(e.getKey(), e.getValue(), flat);
    }
    return Collections.unmodifiableMap(flat);
  }

  private static void flatten(String key, JsonNode node, Map<String, Object> flat) {
    if (node.isObject()) {
      if (node.isEmpty()) {
        flat.put(key, Map.of());
        return;
      }
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        flatten(key + "." + e.getKey(), e.getValue(), flat);
      }
    } else if (node.isArray()) {
      if (node.isEmpty()) {
        flat.put(key, List.of());
        return;
      }
      for (int i = 0; i < node.size(); i++) {
        flatten(key + "[" + i + "]", node.get(i), flat);
      }
    } else {
      flat.put(key, leaf(node));
    }
  }

  private static Object leaf(JsonNode node) {
    if (node.isNull() || node.isMissingNode()) {
      return null;
    }
    if (node.isBoolean()) {
      return node.booleanValue();
    }
    if (node.isNumber()) {
      return node.numberValue();
    }
    if (node.isString()) {
      return node.stringValue();
    }
    return node.toString();
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
    if (added.isEmpty() && removed.isEmpty() && changed.isEmpty()) {
      return ChangedKeys.NONE;
    }
    return new ChangedKeys(added, removed, changed);
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
