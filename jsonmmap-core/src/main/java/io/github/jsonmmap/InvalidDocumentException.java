package io.github.jsonmmap;

import java.nio.file.Path;

/**
 * A document is not JSON, does not have an object at its root, or exceeds the parser's limits
 * (nesting depth, number or string length).
 */
public final class InvalidDocumentException extends JsonMmapException {

  private static final long serialVersionUID = 1L;

  public InvalidDocumentException(Path file, String message) {
    super("invalid-document", file, message, null);
  }

  public InvalidDocumentException(Path file, String message, Throwable cause) {
    super("invalid-document", file, message, cause);
  }
}
