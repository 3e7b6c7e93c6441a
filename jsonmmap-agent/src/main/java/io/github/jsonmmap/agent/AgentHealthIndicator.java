package io.github.jsonmmap.agent;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * The agent's health: DOWN while the source is unreachable or holds an invalid document, or while a
 * publish fails and waits to be retried (the last published version stays and readers keep
 * working), UP otherwise.
 *
 * <p>Details, shown only as {@code management.endpoint.health.show-details} allows (never, by
 * default): {@code writer}, {@code version}, {@code etcdRevision} and {@code reason}, a short tag
 * such as {@code unreachable}, {@code invalid} or {@code publish-failed}. Never the source's
 * location (etcd endpoints, a directory), the file's path, nor an error message: a health probe
 * need not see them, and an operator finds them in the {@code jsonmmapagent} endpoint and the logs.
 * The same rule as the starter's own health indicator.
 *
 * <p>Safe to call from any thread.
 */
public final class AgentHealthIndicator extends AbstractHealthIndicator {

  private final DocumentPublisher publisher;

  public AgentHealthIndicator(DocumentPublisher publisher) {
    super("jsonmmap agent health check failed");
    this.publisher = publisher;
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    builder
        .withDetail("writer", publisher.file().isWriter())
        .withDetail("version", publisher.file().snapshot().version())
        .withDetail("reason", publisher.reasonTag());
    if (publisher.appliedRevision() >= 0) {
      builder.withDetail("etcdRevision", publisher.appliedRevision());
    }
    if (publisher.up()) {
      builder.up();
    } else {
      builder.down();
    }
  }
}
