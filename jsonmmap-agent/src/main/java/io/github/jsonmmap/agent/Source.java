package io.github.jsonmmap.agent;

/**
 * A source of the document. It reports each state it reads to the {@link DocumentPublisher} (which
 * publishes only real changes), and its failures too, so that the health shows them; it retries by
 * itself.
 */
public interface Source extends AutoCloseable {

  /** The source's kind and location, for logs and the endpoint, e.g. {@code directory:/etc/app}. */
  String describe();

  /** Starts reading and following the source on threads of its own; returns at once. */
  void start();

  /** Stops following the source; idempotent. */
  @Override
  void close();
}
