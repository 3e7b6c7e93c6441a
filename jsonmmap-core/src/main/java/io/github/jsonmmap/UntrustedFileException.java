package io.github.jsonmmap;

import java.nio.file.Path;

/**
 * A file or directory on the way to the shared file is not safe to trust: a symlink the library did
 * not create, not a regular file, owned or writable by an untrusted account. The message names the
 * path, its owner and mode, and the rule it breaks. Nothing was opened or changed.
 */
public final class UntrustedFileException extends JsonMmapException {

  private static final long serialVersionUID = 1L;

  public UntrustedFileException(Path file, String message) {
    super("untrusted", file, message, null);
  }

  public UntrustedFileException(Path file, String message, Throwable cause) {
    super("untrusted", file, message, cause);
  }
}
