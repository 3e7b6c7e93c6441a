package io.github.jsonmmap.cli;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The options every write command shares. */
final class WriteOptions {

  @Option(
      names = "--wait",
      paramLabel = "DURATION",
      converter = Converters.Time.class,
      description =
          "If another process holds the writer lock, keep trying until it is free or DURATION"
              + " passes (500ms, 5s, 2m). Default: fail at once.")
  Duration wait = Duration.ZERO;

  @Option(
      names = "--max-size",
      paramLabel = "SIZE",
      converter = Converters.Size.class,
      description =
          "Largest size the file may grow to, header included (default: 64MiB, or the file's"
              + " size if larger).")
  long maxSize = JsonMmapOptions.DEFAULT_MAX_SIZE;

  @Mixin TrustOptions trust;

  JsonMmapFile open(Path file, PrintWriter err) {
    return Open.writer(file, maxSize, wait, err, trust);
  }
}
