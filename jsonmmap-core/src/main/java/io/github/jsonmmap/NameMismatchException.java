package io.github.jsonmmap;

import java.nio.file.Path;

/**
 * The file records a different document name than the one this process was configured with: two
 * applications are pointed at the same path by mistake.
 */
public final class NameMismatchException extends JsonMmapException {

  private static final long serialVersionUID = 1L;

  public NameMismatchException(Path file, String message) {
    super("name-mismatch", file, message, null);
  }

  public NameMismatchException(Path file, String message, Throwable cause) {
    super("name-mismatch", file, message, cause);
  }
}
