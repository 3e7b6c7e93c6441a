package io.github.jsonmmap;

import java.nio.file.Path;

/** The file is not a valid jsonmmap file, or one of its header fields or slots is inconsistent. */
public class CorruptFileException extends JsonMmapException {

  private static final long serialVersionUID = 1L;

  public CorruptFileException(Path file, String message) {
    super("corrupt", file, message, null);
  }

  public CorruptFileException(Path file, String message, Throwable cause) {
    super("corrupt", file, message, cause);
  }
}
