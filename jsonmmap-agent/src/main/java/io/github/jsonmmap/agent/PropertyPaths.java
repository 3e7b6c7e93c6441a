package io.github.jsonmmap.agent;

import java.nio.file.Path;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** Places a value at a dotted property name ({@code a.b.c}) in a document. Stateless. */
final class PropertyPaths {

  private PropertyPaths() {}

  static void set(Path origin, ObjectNode root, String name, String value) {
    set(origin, root, name, root.stringNode(value));
  }

  static void set(Path origin, ObjectNode root, String name, JsonNode value) {
    String[] parts = name.split("\\.", -1);
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
