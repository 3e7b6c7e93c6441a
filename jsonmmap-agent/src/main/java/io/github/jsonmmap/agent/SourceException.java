package io.github.jsonmmap.agent;

import io.github.jsonmmap.JsonMmapException;
import java.nio.file.Path;

/**
 * A source could not be read or held an invalid document; the last published version stays. The
 * message names the source and uses {@code name=value} facts, never document content.
 */
public class SourceException extends JsonMmapException {

  private static final long serialVersionUID = 1L;

  public SourceException(String reason, Path file, String message, Throwable cause) {
    super(reason, file, message, cause);
  }

  public SourceException(String reason, Path file, String message) {
    super(reason, file, message);
  }
}
