package io.github.jsonmmap.agent;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * The agent's meters: the etcd revision and the document version in the file, whether the source is
 * up, source errors and publishes (the lag timer {@code jsonmmap.agent.source.lag} is registered
 * with the publisher).
 */
public final class AgentMetrics implements MeterBinder {

  private final DocumentPublisher publisher;

  public AgentMetrics(DocumentPublisher publisher) {
    this.publisher = publisher;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Gauge.builder("jsonmmap.agent.revision", publisher, DocumentPublisher::appliedRevision)
        .description("The etcd revision that the version in the file came from (-1 for none).")
        .register(registry);
    Gauge.builder("jsonmmap.agent.version", publisher, p -> p.file().snapshot().version())
        .description("The document version in the file.")
        .register(registry);
    Gauge.builder("jsonmmap.agent.source.up", publisher, p -> p.sourceUp() ? 1 : 0)
        .description("1 while the source answers with a valid document, else 0.")
        .register(registry);
    FunctionCounter.builder("jsonmmap.agent.errors", publisher, DocumentPublisher::errors)
        .description("Source failures and rejected documents.")
        .register(registry);
    FunctionCounter.builder("jsonmmap.agent.publishes", publisher, DocumentPublisher::publishes)
        .description("Versions this agent published.")
        .register(registry);
  }
}
