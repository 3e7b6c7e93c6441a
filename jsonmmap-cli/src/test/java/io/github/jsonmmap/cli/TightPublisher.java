package io.github.jsonmmap.cli;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.Role;
import java.nio.file.Path;
import java.util.Map;

/**
 * A writer process for tests: takes the file given as its argument and publishes a new version in a
 * tight loop until it is killed. Says "publishing" on standard error once it holds the file.
 */
final class TightPublisher {

  private TightPublisher() {}

  public static void main(String[] args) {
    try (JsonMmapFile writer = JsonMmapFile.open(Path.of(args[0]), Role.WRITER)) {
      System.err.println("publishing");
      System.err.flush();
      for (long i = 0; ; i++) {
        writer.publish(Map.of("n", i));
      }
    }
  }
}
