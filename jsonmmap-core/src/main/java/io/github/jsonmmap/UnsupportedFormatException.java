package io.github.jsonmmap;

import java.nio.file.Path;

/** The file was written with a format major version this library cannot read. */
public final class UnsupportedFormatException extends JsonMmapException {

  private static final long serialVersionUID = 1L;

  public UnsupportedFormatException(Path file, String message) {
    super("format-version", file, message, null);
  }

  public UnsupportedFormatException(Path file, String message, Throwable cause) {
    super("format-version", file, message, cause);
  }
}
