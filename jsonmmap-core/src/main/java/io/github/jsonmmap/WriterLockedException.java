package io.github.jsonmmap;

import java.nio.file.Path;

/**
 * Another process holds the file's writer lock. The message names the holder as recorded in the
 * header.
 */
public final class WriterLockedException extends JsonMmapException {

  private static final long serialVersionUID = 1L;

  public WriterLockedException(Path file, String message) {
    super("locked", file, message, null);
  }

  public WriterLockedException(Path file, String message, Throwable cause) {
    super("locked", file, message, cause);
  }
}
