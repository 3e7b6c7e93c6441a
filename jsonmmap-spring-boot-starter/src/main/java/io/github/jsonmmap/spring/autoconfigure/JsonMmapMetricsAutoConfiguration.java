package io.github.jsonmmap.spring.autoconfigure;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.spring.SharedConfigRefresher;
import io.github.jsonmmap.spring.SharedConfigTemplate;
import io.github.jsonmmap.spring.metrics.JsonMmapMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Meters of the shared file ({@link JsonMmapMetrics}) where Micrometer is present and a {@link
 * MeterRegistry} exists; Boot binds the binder to the registry. The refresher reports each refresh
 * to the {@code jsonmmap.refresh} timer and each rejected version to {@code
 * jsonmmap.refresh.rejected}, the template each write to {@code jsonmmap.publish}.
 */
@AutoConfiguration(
    after = JsonMmapAutoConfiguration.class,
    afterName = {
      "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration"
    })
@ConditionalOnClass(MeterRegistry.class)
@ConditionalOnBean({JsonMmapFile.class, MeterRegistry.class})
public final class JsonMmapMetricsAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean
  JsonMmapMetrics jsonMmapMetrics(
      JsonMmapFile file,
      ObjectProvider<SharedConfigRefresher> refresher,
      ObjectProvider<SharedConfigTemplate> template) {
    JsonMmapMetrics metrics = new JsonMmapMetrics(file);
    refresher.ifAvailable(
        r -> {
          r.setRefreshTimer(metrics::recordRefresh);
          r.setRejectionListener(rejection -> metrics.recordRejection());
        });
    template.ifAvailable(t -> t.setPublishTimer(metrics::recordPublish));
    return metrics;
  }
}
