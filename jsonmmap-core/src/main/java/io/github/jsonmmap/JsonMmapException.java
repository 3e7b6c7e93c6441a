package io.github.jsonmmap;

import java.nio.file.Path;

/**
 * The root of every exception jsonmmap throws. Messages name the file and state the facts as {@code
 * name=value}, for example {@code document too large: path=/dev/shm/app.json size=2.1MiB
 * limit=1MiB}.
 *
 * <p>Subclasses exist where a caller may react differently; {@link #reason()} gives a short, stable
 * tag (for meters and health details) for every kind, including the ones without their own subclass
 * ({@code io}, {@code timeout}, {@code closed}, {@code not-ready}).
 */
public class JsonMmapException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final String reason;

  public JsonMmapException(String reason, Path file, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
    this.file = file;
  }

  public JsonMmapException(String reason, Path file, String message) {
    this(reason, file, message, null);
  }

  /** The file the problem is about, or null when it is about no file. */
  public Path file() {
    return file;
  }

  /** A short lowercase tag for the kind of problem, such as {@code checksum} or {@code locked}. */
  public String reason() {
    return reason;
  }
}
