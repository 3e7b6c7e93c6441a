package io.github.jsonmmap;

import java.nio.file.Path;

/**
 * No writer inbox took the request: no socket next to the file, nobody listening on it (a writer
 * that died), or the connection closed before the whole request was sent. The request was not
 * applied: it is safe to send it again or to take the writer lock.
 */
public final class InboxUnavailableException extends JsonMmapException {

  private static final long serialVersionUID = 1L;

  public InboxUnavailableException(Path file, String message, Throwable cause) {
    super("no-inbox", file, message, cause);
  }
}
