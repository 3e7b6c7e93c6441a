package io.github.jsonmmap.agent;

import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Reads a directory into one document: {@code *.json} (an object), {@code *.yaml}/{@code *.yml},
 * {@code *.properties} merged at the root, and every other file as one string value named after the
 * file (its content less one trailing newline, as Boot's {@code configtree:} reads a mounted
 * ConfigMap); a sub-directory becomes an object of the same name. Files are read in name order, a
 * later one overriding an earlier one. Names starting with {@code .} are skipped, which leaves out
 * Kubernetes' {@code ..data} and {@code ..2024_...} entries: their content is reached through the
 * visible symlinks.
 *
 * <p>Symlinks are followed on purpose: a mounted ConfigMap is made of them, and the agent reads
 * only the directory its operator named. Only regular files (after following) are read, so a FIFO
 * cannot block the agent.
 *
 * <p>Stateless and safe to call from any thread.
 */
final class DirectoryReader {

  /** Largest file read, so that a huge file cannot exhaust the agent's memory. */
  static final long MAX_FILE_SIZE = 16L * 1024 * 1024;

  private static final int MAX_DEPTH = 8;

  private final JsonMapper mapper;

  DirectoryReader(JsonMapper mapper) {
    this.mapper = mapper;
  }

  /** The latest modification time of the files read, in epoch microseconds. */
  record Result(ObjectNode document, long newestMicros) {}

  Result read(Path directory) {
    if (!Files.isDirectory(directory)) {
      throw new SourceException(
          "missing", directory, "source directory does not exist: path=" + directory);
    }
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    long[] newest = {0};
    readInto(directory, root, 0, newest);
    return new Result(root, newest[0]);
  }

  private void readInto(Path directory, ObjectNode target, int depth, long[] newest) {
    if (depth > MAX_DEPTH) {
      throw new SourceException(
          "too-deep",
          directory,
          "directory nesting too deep: path=" + directory + " limit=" + MAX_DEPTH);
    }
    List<Path> entries = new ArrayList<>();
    try (Stream<Path> list = Files.list(directory)) {
      list.filter(p -> !p.getFileName().toString().startsWith(".")).sorted().forEach(entries::add);
    } catch (IOException e) {
      throw new SourceException(
          "io", directory, "cannot list source directory: path=" + directory + " error=" + e, e);
    }
    for (Path entry : entries) {
      String name = entry.getFileName().toString();
      if (Files.isDirectory(entry)) {
        ObjectNode child =
            target.get(name) instanceof ObjectNode existing ? existing : target.putObject(name);
        readInto(entry, child, depth + 1, newest);
        continue;
      }
      if (!Files.isRegularFile(entry)) {
        continue;
      }
      byte[] bytes = readBytes(entry, newest);
      String lower = name.toLowerCase(java.util.Locale.ROOT);
      if (lower.endsWith(".json")) {
        merge(target, parseJson(entry, bytes));
      } else if (lower.endsWith(".yaml") || lower.endsWith(".yml")) {
        merge(target, parseYaml(entry, bytes));
      } else if (lower.endsWith(".properties")) {
        merge(target, parseProperties(entry, bytes));
      } else {
        String text = decode(entry, bytes);
        if (text.endsWith("\n")) {
          text = text.substring(0, text.length() - (text.endsWith("\r\n") ? 2 : 1));
        }
        target.put(name, text);
      }
    }
  }

  private static byte[] readBytes(Path file, long[] newest) {
    try {
      long size = Files.size(file);
      if (size > MAX_FILE_SIZE) {
        throw new SourceException(
            "too-large",
            file,
            "source file too large: path=" + file + " size=" + size + " limit=" + MAX_FILE_SIZE);
      }
      newest[0] =
          Math.max(
              newest[0],
              Files.getLastModifiedTime(file).to(java.util.concurrent.TimeUnit.MICROSECONDS));
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new SourceException(
          "io",
          file,
          "cannot read source file: path=" + file + " error=" + e.getClass().getSimpleName(),
          e);
    }
  }

  private static String decode(Path file, byte[] bytes) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new SourceException("invalid", file, "source file is not UTF-8 text: path=" + file, e);
    }
  }

  private ObjectNode parseJson(Path file, byte[] bytes) {
    JsonNode node;
    try {
      node = mapper.readTree(bytes);
    } catch (JacksonException e) {
      throw new SourceException(
          "invalid",
          file,
          "source file is not valid JSON (half-written?): path="
              + file
              + " line="
              + (e.getLocation() == null ? "?" : e.getLocation().getLineNr())
              + " size="
              + bytes.length,
          e);
    }
    if (!(node instanceof ObjectNode object)) {
      throw new SourceException(
          "invalid", file, "source file's root is not a JSON object: path=" + file);
    }
    return object;
  }

  private ObjectNode parseYaml(Path file, byte[] bytes) {
    String text = decode(file, bytes);
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    options.setMaxAliasesForCollections(50);
    options.setNestingDepthLimit(100);
    ObjectNode result = JsonNodeFactory.instance.objectNode();
    try {
      for (Object doc : new Yaml(new SafeConstructor(options)).loadAll(text)) {
        if (doc == null) {
          continue;
        }
        if (!(doc instanceof Map<?, ?>)) {
          throw new SourceException(
              "invalid", file, "source file's root is not a YAML mapping: path=" + file);
        }
        // Through JSON text, so that numbers are the nodes the JSON parser makes (1.5 a decimal,
        // not a double): the publisher compares documents node by node.
        merge(result, (ObjectNode) mapper.readTree(mapper.writeValueAsBytes(stringKeys(doc))));
      }
    } catch (SourceException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new SourceException(
          "invalid",
          file,
          "source file is not valid YAML (half-written?): path="
              + file
              + " error="
              + e.getClass().getSimpleName(),
          e);
    }
    return result;
  }

  private static Object stringKeys(Object value) {
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> copy = new TreeMap<>();
      map.forEach((k, v) -> copy.put(String.valueOf(k), stringKeys(v)));
      return copy;
    }
    if (value instanceof List<?> list) {
      return list.stream().map(DirectoryReader::stringKeys).toList();
    }
    if (value instanceof java.util.Date date) {
      return date.toInstant().toString();
    }
    return value;
  }

  private ObjectNode parseProperties(Path file, byte[] bytes) {
    Properties properties = new Properties();
    try {
      properties.load(new StringReader(decode(file, bytes)));
    } catch (IOException | IllegalArgumentException e) {
      throw new SourceException(
          "invalid", file, "source file is not a valid properties file: path=" + file, e);
    }
    ObjectNode result = JsonNodeFactory.instance.objectNode();
    new TreeMap<>(properties)
        .forEach((k, v) -> PropertyPaths.set(file, result, String.valueOf(k), String.valueOf(v)));
    return result;
  }

  /** Deep merge: objects merge key by key, anything else replaces. */
  static void merge(ObjectNode target, ObjectNode source) {
    for (Map.Entry<String, JsonNode> e : source.properties()) {
      JsonNode existing = target.get(e.getKey());
      if (existing instanceof ObjectNode a && e.getValue() instanceof ObjectNode b) {
        merge(a, b);
      } else {
        target.set(e.getKey(), e.getValue());
      }
    }
  }
}
