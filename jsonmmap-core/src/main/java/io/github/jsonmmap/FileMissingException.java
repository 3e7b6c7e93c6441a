package io.github.jsonmmap;

import java.nio.file.Path;

/** The file does not exist (yet): no writer has created it. */
public final class FileMissingException extends JsonMmapException {

  private static final long serialVersionUID = 1L;

  public FileMissingException(Path file, String message) {
    super("missing", file, message, null);
  }

  public FileMissingException(Path file, String message, Throwable cause) {
    super("missing", file, message, cause);
  }
}
