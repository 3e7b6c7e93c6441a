package io.github.jsonmmap.test;

import io.github.jsonmmap.spring.SharedConfigRefresher;
import io.github.jsonmmap.spring.SharedConfigTemplate;
import io.github.jsonmmap.spring.autoconfigure.JsonMmapAutoConfiguration;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;

/** {@link SharedConfigTestPublisher} in a test marked {@link AutoConfigureJsonMmap}. */
@AutoConfiguration(after = JsonMmapAutoConfiguration.class)
@ConditionalOnProperty(JsonMmapTestEnvironmentPostProcessor.ENABLED_PROPERTY)
@ConditionalOnBean(SharedConfigTemplate.class)
public final class JsonMmapTestAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean
  SharedConfigTestPublisher sharedConfigTestPublisher(
      SharedConfigTemplate template, ObjectProvider<SharedConfigRefresher> refresher) {
    return new SharedConfigTestPublisher(template, refresher);
  }
}
