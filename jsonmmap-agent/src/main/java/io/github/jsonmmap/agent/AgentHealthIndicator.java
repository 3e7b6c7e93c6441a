package io.github.jsonmmap.agent;

import io.github.jsonmmap.JsonMmapFile;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * The agent's health: DOWN with the reason while the source is unreachable or holds an invalid
 * document (the last published version stays and readers keep working), UP otherwise.
 */
public final class AgentHealthIndicator extends AbstractHealthIndicator {

  private final DocumentPublisher publisher;
  private final Source source;

  public AgentHealthIndicator(DocumentPublisher publisher, Source source) {
    this.publisher = publisher;
    this.source = source;
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    JsonMmapFile file = publisher.file();
    builder
        .withDetail("source", source.describe())
        .withDetail("file", file.path().toString())
        .withDetail("writer", file.isWriter())
        .withDetail("version", file.snapshot().version())
        .withDetail("reason", publisher.sourceReason());
    if (publisher.appliedRevision() >= 0) {
      builder.withDetail("etcdRevision", publisher.appliedRevision());
    }
    if (publisher.sourceUp()) {
      builder.up();
    } else {
      builder.down();
    }
  }
}
