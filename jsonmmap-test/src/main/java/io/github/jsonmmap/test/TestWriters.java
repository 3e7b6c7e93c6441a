package io.github.jsonmmap.test;

import io.github.jsonmmap.JsonMmapFile;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The writers the test support holds for reader applications, by path. Thread-safe. */
final class TestWriters {

  private static final Map<Path, JsonMmapFile> WRITERS = new ConcurrentHashMap<>();

  private TestWriters() {}

  static void put(JsonMmapFile writer) {
    WRITERS.put(writer.path(), writer);
  }

  static JsonMmapFile get(Path path) {
    return WRITERS.get(path);
  }

  static void remove(JsonMmapFile writer) {
    WRITERS.remove(writer.path(), writer);
  }
}
