package io.github.jsonmmap.agent;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import io.github.jsonmmap.Role;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.cfg.JsonNodeFeature;
import tools.jackson.databind.json.JsonMapper;

/** Wires the agent: the file, the publisher, the source, and a timer for standby take-over. */
@Configuration(proxyBeanMethods = false)
class AgentConfiguration {

  private static final Logger LOG = LoggerFactory.getLogger(AgentConfiguration.class);

  @Bean(destroyMethod = "close")
  JsonMmapFile jsonMmapAgentFile(AgentProperties properties) {
    if (properties.getFile() == null) {
      throw new IllegalStateException("jsonmmap.agent.file must be set: the file to write");
    }
    if (properties.getSource() == null) {
      throw new IllegalStateException("jsonmmap.agent.source must be set: etcd or directory");
    }
    Role role = properties.getRole() == AgentProperties.AgentRole.AUTO ? Role.AUTO : Role.WRITER;
    JsonMmapFile file =
        JsonMmapFile.open(JsonMmapOptions.builder(properties.getFile()).role(role).build());
    LOG.info("file opened: path={} role={} writer={}", file.path(), role, file.isWriter());
    return file;
  }

  @Bean
  JsonMapper jsonMmapAgentMapper(JsonMmapFile file) {
    StreamReadConstraints constraints =
        StreamReadConstraints.builder()
            .maxNestingDepth(file.options().maxNestingDepth())
            .maxDocumentLength(file.options().maxDocumentSize())
            .build();
    // As strict as the core's own parser (duplicate keys, trailing tokens), and numbers kept
    // exactly as written: 1.50 stays 1.50 on its way from the source to the readers.
    return JsonMapper.builder(
            JsonFactory.builder()
                .streamReadConstraints(constraints)
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build())
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
        .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
        .build();
  }

  @Bean(destroyMethod = "flushLog")
  DocumentPublisher jsonMmapAgentPublisher(
      JsonMmapFile file,
      AgentProperties properties,
      JsonMapper mapper,
      ObjectProvider<MeterRegistry> registry) {
    DocumentPublisher publisher =
        new DocumentPublisher(
            file, properties.getSource().name().toLowerCase(java.util.Locale.ROOT), mapper);
    registry.ifAvailable(
        r -> {
          Timer lag =
              Timer.builder("jsonmmap.agent.source.lag")
                  .description(
                      "Time from the source's change (a file's mtime; for etcd, the watch event's"
                          + " arrival) to the local publish.")
                  .publishPercentiles(0.5, 0.99)
                  .register(r);
          publisher.setLagRecorder(nanos -> lag.record(nanos, TimeUnit.NANOSECONDS));
        });
    return publisher;
  }

  @Bean(initMethod = "start", destroyMethod = "close")
  Source jsonMmapAgentSource(
      AgentProperties properties, DocumentPublisher publisher, JsonMapper mapper) {
    Source source =
        switch (properties.getSource()) {
          case DIRECTORY -> {
            AgentProperties.Directory d = properties.getDirectory();
            if (d.getPath() == null) {
              throw new IllegalStateException(
                  "jsonmmap.agent.directory.path must be set for source=directory");
            }
            yield new DirectorySource(
                d.getPath(),
                new DirectoryReader(mapper, java.util.Set.copyOf(d.getTrustedUsers())),
                publisher,
                d.getSettle(),
                d.getMaxDelay(),
                d.getPollInterval());
          }
          case ETCD -> {
            AgentProperties.Etcd e = properties.getEtcd();
            yield new EtcdSource(
                e.getEndpoints(),
                e.getKey(),
                e.getPrefix(),
                mapper,
                publisher,
                properties.getInitialBackoff(),
                properties.getMaxBackoff());
          }
        };
    LOG.info("source: {}", source.describe());
    return source;
  }

  @Bean(destroyMethod = "shutdownNow")
  ScheduledExecutorService jsonMmapAgentSync(
      DocumentPublisher publisher, AgentProperties properties) {
    ScheduledExecutorService executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "jsonmmap-agent-sync");
              t.setDaemon(true);
              return t;
            });
    long period = properties.getSyncInterval().toMillis();
    executor.scheduleWithFixedDelay(
        () -> {
          try {
            publisher.sync();
          } catch (RuntimeException e) {
            LOG.warn("sync failed: error={}", e.toString());
          }
        },
        period,
        period,
        TimeUnit.MILLISECONDS);
    return executor;
  }

  @Bean
  AgentHealthIndicator jsonMmapAgentHealthIndicator(DocumentPublisher publisher) {
    return new AgentHealthIndicator(publisher);
  }

  @Bean
  AgentMetrics jsonMmapAgentMetrics(DocumentPublisher publisher) {
    return new AgentMetrics(publisher);
  }

  @Bean
  AgentEndpoint jsonMmapAgentEndpoint(DocumentPublisher publisher, Source source) {
    return new AgentEndpoint(publisher, source);
  }
}
