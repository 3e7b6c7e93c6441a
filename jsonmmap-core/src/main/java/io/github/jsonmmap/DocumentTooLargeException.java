package io.github.jsonmmap;

import java.nio.file.Path;

/** A document does not fit within the file's maximum size. Nothing was written. */
public final class DocumentTooLargeException extends JsonMmapException {

  private static final long serialVersionUID = 1L;

  public DocumentTooLargeException(Path file, String message) {
    super("too-large", file, message, null);
  }

  public DocumentTooLargeException(Path file, String message, Throwable cause) {
    super("too-large", file, message, cause);
  }
}
