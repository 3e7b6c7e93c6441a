package io.github.jsonmmap;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * Main classes that {@link TrustTest} runs in child JVMs under another umask or another account.
 * Each prints one fact a line.
 */
final class TrustChildren {

  private TrustChildren() {}

  private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);

  /** Creates the file as a writer with default options: {@code file}. Prints "created VERSION". */
  static final class Create {
    public static void main(String[] args) {
      try (JsonMmapFile writer =
          JsonMmapFile.open(
              JsonMmapOptions.builder(Path.of(args[0]))
                  .role(Role.WRITER)
                  .initialDocument(Map.of("app", "created"))
                  .build())) {
        OUT.println("created " + writer.snapshot().version());
      } catch (JsonMmapException e) {
        OUT.println("error reason=" + e.reason() + " " + e.getMessage());
      }
    }
  }

  /** Reads the key "app" of a file as a reader: {@code file}. Prints "app=VALUE" or the error. */
  static final class Read {
    public static void main(String[] args) {
      try (JsonMmapFile reader = JsonMmapFile.open(Path.of(args[0]), Role.READER)) {
        OUT.println("app=" + reader.snapshot().get("app"));
      } catch (JsonMmapException e) {
        OUT.println("error reason=" + e.reason() + " " + e.getMessage());
      }
    }
  }

  /** Prints "default=" and {@link JsonMmapOptions#defaultDirectory()}. */
  static final class DefaultDirectory {
    public static void main(String[] args) {
      OUT.println("default=" + JsonMmapOptions.defaultDirectory());
    }
  }
}
