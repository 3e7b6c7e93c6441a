package io.github.jsonmmap.spring.autoconfigure;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.spring.SharedConfigRefresher;
import io.github.jsonmmap.spring.health.JsonMmapHealthIndicator;
import java.util.Locale;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.annotation.Bean;

/**
 * The {@code jsonmmap} health indicator ({@link JsonMmapHealthIndicator}) where spring-boot-health
 * is present; {@code management.health.jsonmmap.enabled=false} turns it off. The status for a stale
 * writer comes from {@code jsonmmap.health.stale-status}, and {@code jsonmmap.optional} makes a
 * missing file healthy. With a refresher, the indicator also shows the applied version and a
 * rejected one, with {@code jsonmmap.health.rejected-status}.
 */
@AutoConfiguration(
    after = JsonMmapAutoConfiguration.class,
    beforeName =
        "org.springframework.boot.health.autoconfigure.contributor.HealthContributorAutoConfiguration")
@ConditionalOnClass(Health.class)
@ConditionalOnBean(JsonMmapFile.class)
@ConditionalOnEnabledHealthIndicator("jsonmmap")
@EnableConfigurationProperties(JsonMmapProperties.class)
public final class JsonMmapHealthAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean(value = JsonMmapHealthIndicator.class, name = "jsonmmapHealthIndicator")
  JsonMmapHealthIndicator jsonmmapHealthIndicator(
      JsonMmapFile file,
      JsonMmapProperties properties,
      ObjectProvider<SharedConfigRefresher> refresher) {
    Status stale = status(properties.getHealth().getStaleStatus());
    SharedConfigRefresher applier = refresher.getIfAvailable();
    if (applier == null) {
      return new JsonMmapHealthIndicator(file, stale, properties.isOptional());
    }
    return new RefreshAwareHealthIndicator(
        file,
        stale,
        properties.isOptional(),
        applier,
        status(properties.getHealth().getRejectedStatus()));
  }

  /** Status codes are upper case by convention ({@code UP}, {@code OUT_OF_SERVICE}). */
  private static Status status(String code) {
    if (code == null || code.isBlank()) {
      return Status.UP;
    }
    return new Status(code.trim().toUpperCase(Locale.ROOT));
  }
}
