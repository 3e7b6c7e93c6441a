package io.github.jsonmmap.cli;

import io.github.jsonmmap.FileMissingException;
import io.github.jsonmmap.JsonMmapException;
import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import io.github.jsonmmap.Role;
import io.github.jsonmmap.UntrustedFileException;
import io.github.jsonmmap.WatchMode;
import io.github.jsonmmap.WriterLockedException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/** Opens files the way the commands need them. Stateless. */
final class Open {

  /** How often {@code --wait} tries the writer lock again. */
  private static final Duration LOCK_RETRY = Duration.ofMillis(50);

  /** The page size of the file format: sizes are rounded up to it. */
  private static final long PAGE = 4096;

  /** The file type bits of {@code unix:mode} ({@code S_IFMT}) and the types named in errors. */
  private static final int S_IFMT = 0170000;

  private static final int S_IFIFO = 0010000;
  private static final int S_IFCHR = 0020000;
  private static final int S_IFDIR = 0040000;
  private static final int S_IFBLK = 0060000;
  private static final int S_IFSOCK = 0140000;

  private Open() {}

  /**
   * How long one read may wait for the file to settle. Longer than the library's default: one look
   * from a command may meet a current slot its writer committed but has not released yet (FORMAT.md
   * section 8 step 2), which a reader takes only after its first 256 attempts, and a loaded machine
   * may take a while over those.
   */
  static final Duration READ_TIMEOUT = Duration.ofSeconds(10);

  /** Options for reading: any size the format allows, no file events (one look and done). */
  static JsonMmapOptions.Builder readerOptions(Path file, TrustOptions trust) {
    return trust.apply(
        JsonMmapOptions.builder(file)
            .role(Role.READER)
            .maxSize(JsonMmapOptions.MAX_MAX_SIZE)
            .readTimeout(READ_TIMEOUT)
            .watchMode(WatchMode.POLL));
  }

  /** Opens an existing file as a reader, for one look. */
  static JsonMmapFile reader(Path file, TrustOptions trust) {
    Path path = file.toAbsolutePath().normalize();
    requireRegularFile(path, false);
    return JsonMmapFile.open(readerOptions(path, trust).build());
  }

  /**
   * Opens an existing, initialised file as the writer, trying the lock again until {@code wait}
   * passes. Write commands never create or initialise a file: that is {@code init}.
   *
   * @throws FileMissingException when there is no file
   * @throws JsonMmapException when the file is empty or not initialised
   * @throws WriterLockedException when the lock is still held after {@code wait}
   */
  static JsonMmapFile writer(
      Path path, long maxSize, Duration wait, PrintWriter err, TrustOptions trust) {
    Path file = path.toAbsolutePath().normalize();
    long size = requireInitialised(file);
    JsonMmapOptions options =
        trust
            .apply(
                JsonMmapOptions.builder(file)
                    .role(Role.WRITER)
                    .maxSize(
                        Math.min(JsonMmapOptions.MAX_MAX_SIZE, Math.max(maxSize, roundUp(size)))))
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
          err.println(
              "jsonmmap: waiting for the writer lock: " + JsonMmapCli.oneLine(e.getMessage()));
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

  /**
   * Checks, before anything opens it, that {@code file} is a regular file (following a symlink:
   * whether a symlink may be followed is the library's rule), so that a FIFO or a device at the
   * path can never block a command. Returns its size.
   *
   * @param forWrite whether the message should say how to create a missing file
   */
  static long requireRegularFile(Path file, boolean forWrite) {
    BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(file, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      throw missing(file, forWrite);
    } catch (IOException e) {
      throw new JsonMmapException(
          "io",
          file,
          "cannot read file attributes: path="
              + file
              + " error="
              + e.getClass().getSimpleName()
              + ": "
              + e.getMessage(),
          e);
    }
    if (!attributes.isRegularFile()) {
      throw new UntrustedFileException(
          file,
          "not a regular file: path="
              + file
              + " type="
              + type(file, attributes)
              + " (jsonmmap opens only regular files)");
    }
    return attributes.size();
  }

  /**
   * Checks that {@code file} is an initialised jsonmmap file, and returns its size: an empty file,
   * an all-zero header or a format version of 0 (a creation that never finished) is refused, since
   * writing to it would initialise it.
   */
  static long requireInitialised(Path file) {
    long size = requireRegularFile(file, true);
    if (size == 0) {
      throw notInitialised(file, size, null);
    }
    try {
      JsonMmapFile.inspect(file);
    } catch (JsonMmapException e) {
      if ("not-ready".equals(e.reason())) {
        throw notInitialised(file, size, e);
      }
      // Anything else wrong with the file is the writer's to report when it refuses to open it.
    }
    return size;
  }

  private static JsonMmapException notInitialised(Path file, long size, Throwable cause) {
    return new JsonMmapException(
        "not-ready",
        file,
        "file is not initialised: path="
            + file
            + " size="
            + size
            + " (run jsonmmap init; write commands never create or initialise a file)",
        cause);
  }

  static FileMissingException missing(Path file, boolean forWrite) {
    return new FileMissingException(
        file,
        "file does not exist: path="
            + file
            + (forWrite ? " (create it with: jsonmmap init " + file + ")" : ""));
  }

  private static String type(Path file, BasicFileAttributes attributes) {
    if (attributes.isDirectory()) {
      return "directory";
    }
    try {
      int mode = (Integer) Files.getAttribute(file, "unix:mode");
      return switch (mode & S_IFMT) {
        case S_IFIFO -> "fifo";
        case S_IFCHR -> "character-device";
        case S_IFBLK -> "block-device";
        case S_IFSOCK -> "socket";
        case S_IFDIR -> "directory";
        default -> "other";
      };
    } catch (IOException | RuntimeException e) {
      return "other";
    }
  }

  private static long roundUp(long size) {
    return (size + PAGE - 1) / PAGE * PAGE;
  }
}
