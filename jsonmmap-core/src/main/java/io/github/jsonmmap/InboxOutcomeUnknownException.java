package io.github.jsonmmap;

import java.nio.file.Path;

/**
 * The whole request reached the writer but no reply came back (the writer died, closed the
 * connection or did not answer in time): the change may or may not have been committed. Read the
 * file to find out; never assume either.
 */
public final class InboxOutcomeUnknownException extends JsonMmapException {

  private static final long serialVersionUID = 1L;

  private final boolean timedOut;

  public InboxOutcomeUnknownException(
      Path file, String message, boolean timedOut, Throwable cause) {
    super("outcome-unknown", file, message, cause);
    this.timedOut = timedOut;
  }

  /**
   * Whether the client gave up waiting (the writer may still commit it later), rather than the
   * writer closing the connection without a reply (it died or stopped serving: it will not).
   */
  public boolean timedOut() {
    return timedOut;
  }
}
