package io.github.jsonmmap.spring;

import io.github.jsonmmap.JsonMmapException;
import java.nio.file.Path;

/**
 * A shared value could not be bound to the type asked for (a {@code forty} for an {@code int}, a
 * {@code 3 seconds} for a {@code Duration}). The message names the file, the property and the
 * target type, never the value.
 */
public final class SharedConfigBindException extends JsonMmapException {

  private static final long serialVersionUID = 1L;

  /** The {@link #reason()} of this exception. */
  public static final String REASON = "bind";

  private final String property;

  public SharedConfigBindException(Path file, String property, String message, Throwable cause) {
    super(REASON, file, message, cause);
    this.property = property;
  }

  /** The property (Spring name, {@code a.b[0].c}) that could not be bound. */
  public String property() {
    return property;
  }
}
