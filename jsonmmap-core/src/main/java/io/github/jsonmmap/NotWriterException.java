package io.github.jsonmmap;

import java.nio.file.Path;

/** A write was attempted through a handle that does not hold the writer role. */
public final class NotWriterException extends JsonMmapException {

  private static final long serialVersionUID = 1L;

  public NotWriterException(Path file, String message) {
    super("not-writer", file, message, null);
  }

  public NotWriterException(Path file, String message, Throwable cause) {
    super("not-writer", file, message, cause);
  }
}
