package io.github.jsonmmap.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where the benchmarks put their shared files. */
final class WorkDir {

  private WorkDir() {}

  /**
   * {@code -Djsonmmap.bench.dir}, else {@code /dev/shm} (the tmpfs a host would put a shared file
   * on) when writable, else the temp directory.
   */
  static Path base() {
    String configured = System.getProperty("jsonmmap.bench.dir");
    if (configured != null) {
      return Path.of(configured);
    }
    Path shm = Path.of("/dev/shm");
    return Files.isDirectory(shm) && Files.isWritable(shm)
        ? shm
        : Path.of(System.getProperty("java.io.tmpdir"));
  }

  static Path create(String prefix) throws IOException {
    Path base = base();
    Files.createDirectories(base);
    return Files.createTempDirectory(base, prefix);
  }
}
