package io.github.jsonmmap.cli;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
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

  /**
   * The most bytes of JSON input a command takes: the file's largest size ({@code --max-size}, or
   * the file's size if larger), three times the longest document it can hold, so pretty-printed
   * input fits; more cannot be a document of this file.
   */
  long inputLimit(Path file) {
    long size;
    try {
      size = Files.size(file);
    } catch (IOException e) {
      size = 0;
    }
    return Math.max(maxSize, size);
  }

  JsonMmapFile open(Path file, PrintWriter err) {
    return Open.writer(file, maxSize, wait, err, trust);
  }
}
