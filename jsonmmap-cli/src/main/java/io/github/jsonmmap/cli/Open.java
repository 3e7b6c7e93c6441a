package io.github.jsonmmap.cli;

import io.github.jsonmmap.FileMissingException;
import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import io.github.jsonmmap.Role;
import io.github.jsonmmap.WatchMode;
import io.github.jsonmmap.WriterLockedException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/** Opens files the way the commands need them. Stateless. */
final class Open {

  /** How often {@code --wait} tries the writer lock again. */
  private static final Duration LOCK_RETRY = Duration.ofMillis(50);

  /** The page size of the file format: sizes are rounded up to it. */
  private static final long PAGE = 4096;

  private Open() {}

  /** Options for reading: any size the format allows, no file events (one look and done). */
  static JsonMmapOptions.Builder readerOptions(Path file) {
    return JsonMmapOptions.builder(file)
        .role(Role.READER)
        .maxSize(JsonMmapOptions.MAX_MAX_SIZE)
        .watchMode(WatchMode.POLL);
  }

  /** Opens an existing file as a reader, for one look. */
  static JsonMmapFile reader(Path file) {
    return JsonMmapFile.open(readerOptions(file).build());
  }

  /**
   * Opens an existing file as the writer, trying the lock again until {@code wait} passes.
   *
   * @throws FileMissingException when there is no file: write commands never create one
   * @throws WriterLockedException when the lock is still held after {@code wait}
   */
  static JsonMmapFile writer(Path path, long maxSize, Duration wait, PrintWriter err) {
    Path file = path.toAbsolutePath().normalize();
    long size = existingSize(file);
    JsonMmapOptions options =
        JsonMmapOptions.builder(file)
            .role(Role.WRITER)
            .maxSize(Math.min(JsonMmapOptions.MAX_MAX_SIZE, Math.max(maxSize, roundUp(size))))
            .build();
    long deadline = System.nanoTime() + wait.toNanos();
    boolean told = false;
    while (true) {
      try {
        return JsonMmapFile.open(options);
      } catch (WriterLockedException e) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          if (wait.isZero()) {
            throw e;
          }
          throw new WriterLockedException(
              file, e.getMessage() + " waited=" + CliText.duration(wait), e);
        }
        if (!told) {
          err.println("jsonmmap: waiting for the writer lock: " + e.getMessage());
          err.flush();
          told = true;
        }
        LockSupport.parkNanos(Math.min(left, LOCK_RETRY.toNanos()));
        if (Thread.interrupted()) {
          throw e;
        }
      }
    }
  }

  /** The size of an existing file; write commands never create one (that is {@code init}). */
  static long existingSize(Path file) {
    try {
      if (!Files.isRegularFile(file)) {
        throw missing(file);
      }
      return Files.size(file);
    } catch (IOException e) {
      throw missing(file);
    }
  }

  static FileMissingException missing(Path file) {
    return new FileMissingException(
        file,
        "file does not exist: path=" + file + " (create it with: jsonmmap init " + file + ")");
  }

  private static long roundUp(long size) {
    return (size + PAGE - 1) / PAGE * PAGE;
  }
}
