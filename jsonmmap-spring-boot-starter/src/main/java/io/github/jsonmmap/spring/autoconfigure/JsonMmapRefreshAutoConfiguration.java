package io.github.jsonmmap.spring.autoconfigure;

import io.github.jsonmmap.spring.SharedConfigCloudRefresher;
import io.github.jsonmmap.spring.SharedConfigRefresher;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.cloud.context.scope.refresh.RefreshScope;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * Where spring-cloud-context is present, each applied change also refreshes the {@link
 * RefreshScope} beans it may affect ({@code jsonmmap.refresh.enabled}); a {@link
 * SharedConfigCloudRefresher} bean of the application's replaces the starter's.
 */
@AutoConfiguration(
    after = JsonMmapAutoConfiguration.class,
    afterName = "org.springframework.cloud.autoconfigure.RefreshAutoConfiguration")
@ConditionalOnClass(RefreshScope.class)
@ConditionalOnBean(SharedConfigRefresher.class)
@ConditionalOnProperty(prefix = "jsonmmap.refresh", name = "enabled", matchIfMissing = true)
public final class JsonMmapRefreshAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean
  SharedConfigCloudRefresher sharedConfigCloudRefresher(
      ConfigurableApplicationContext context, ObjectProvider<RefreshScope> refreshScope) {
    return new SharedConfigCloudRefresher(context.getBeanFactory(), refreshScope.getIfAvailable());
  }
}
