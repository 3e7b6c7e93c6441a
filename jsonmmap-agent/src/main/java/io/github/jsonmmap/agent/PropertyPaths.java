package io.github.jsonmmap.agent;

import io.github.jsonmmap.JsonMmapOptions;
import java.nio.file.Path;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Places a value at a dotted property name ({@code a.b.c}) in a document. A name of more than
 * {@link #MAX_SEGMENTS} segments is refused: it could never be published (the document's nesting is
 * bounded by as much by default), and a name of a hundred thousand segments would otherwise build a
 * tree that every recursive step after it (a merge, a comparison) overflows the stack on.
 * Stateless.
 */
final class PropertyPaths {

  /** The most segments a property name may have: the default nesting bound of a document. */
  static final int MAX_SEGMENTS = JsonMmapOptions.DEFAULT_MAX_NESTING_DEPTH;

  private PropertyPaths() {}

  static void set(Path origin, ObjectNode root, String name, String value) {
    set(origin, root, name, root.stringNode(value));
  }

  static void set(Path origin, ObjectNode root, String name, JsonNode value) {
    String[] parts = name.split("\\.", MAX_SEGMENTS + 1);
    if (parts.length > MAX_SEGMENTS) {
      throw new SourceException(
          "too-deep",
          origin,
          "property name has too many segments: source="
              + origin
              + " limit="
              + MAX_SEGMENTS
              + " name="
              + (name.length() > 80 ? name.substring(0, 80) + "..." : name));
    }
    ObjectNode node = root;
    for (int i = 0; i < parts.length; i++) {
      String part = parts[i];
      if (part.isEmpty()) {
        throw new SourceException(
            "invalid",
            origin,
            "empty segment in property name: source=" + origin + " name=" + name);
      }
      if (i == parts.length - 1) {
        JsonNode existing = node.get(part);
        if (existing instanceof ObjectNode a && value instanceof ObjectNode b) {
          DirectoryReader.merge(a, b);
        } else {
          node.set(part, value);
        }
        return;
      }
      JsonNode next = node.get(part);
      if (next == null) {
        node = node.putObject(part);
      } else if (next instanceof ObjectNode object) {
        node = object;
      } else {
        throw new SourceException(
            "conflict",
            origin,
            "property name conflicts with a value: source="
                + origin
                + " name="
                + name
                + " at="
                + part);
      }
    }
  }
}
