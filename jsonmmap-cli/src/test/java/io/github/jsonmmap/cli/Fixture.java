package io.github.jsonmmap.cli;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.Role;
import io.github.jsonmmap.Snapshot;
import java.nio.file.Path;
import tools.jackson.databind.json.JsonMapper;

/**
 * Prepares and reads files from the test JVM itself, so that each test starts a child JVM only for
 * the commands it is about (every one costs about half a second).
 */
final class Fixture {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private Fixture() {}

  /** Creates the file with version 1, {}. */
  static void create(Path file) {
    JsonMmapFile.open(file, Role.WRITER).close();
  }

  /** Creates the file and publishes each document in turn; returns the last version. */
  static long create(Path file, String... documents) {
    try (JsonMmapFile writer = JsonMmapFile.open(file, Role.WRITER)) {
      long version = writer.snapshot().version();
      for (String document : documents) {
        version = writer.publish(JSON.readTree(document)).version();
      }
      return version;
    }
  }

  static Snapshot read(Path file) {
    try (JsonMmapFile reader = JsonMmapFile.open(file, Role.READER)) {
      return reader.snapshot();
    }
  }
}
